//! A closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending its next
//! request as soon as the previous answer arrives, for a fixed time. Latencies go to an HDR histogram.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde::Serialize;

/// One endpoint under load.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) addr: String,
    pub(crate) path: String,
    pub(crate) bearer: Option<String>,
}

/// What a load run measured.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LoadResult {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Runs `connections` connections against `target` for `duration` (after `warmup`).
pub(crate) async fn run(
    target: &Target,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<LoadResult> {
    if !warmup.is_zero() {
        drive(target, connections, warmup).await?;
    }
    let (requests, errors, histogram, elapsed) = drive(target, connections, duration).await?;
    Ok(LoadResult {
        requests,
        errors,
        requests_per_second: requests as f64 / elapsed.as_secs_f64(),
        p50_ms: histogram.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
    })
}

type Histogram = hdrhistogram::Histogram<u64>;

async fn drive(
    target: &Target,
    connections: usize,
    duration: Duration,
) -> Result<(u64, u64, Histogram, Duration)> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let target = target.clone();
        tasks.push(tokio::spawn(
            async move { connection(&target, deadline).await },
        ));
    }
    let mut histogram = Histogram::new(3)?;
    let (mut requests, mut errors) = (0, 0);
    for task in tasks {
        let (done, failed, latencies) = task.await??;
        requests += done;
        errors += failed;
        histogram.add(latencies)?;
    }
    Ok((requests, errors, histogram, started.elapsed()))
}

/// One keep-alive connection's loop: (successful requests, failed requests, latencies in µs).
async fn connection(target: &Target, deadline: Instant) -> Result<(u64, u64, Histogram)> {
    let stream = tokio::net::TcpStream::connect(&target.addr)
        .await
        .context("connect")?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut histogram = Histogram::new(3)?;
    let (mut done, mut failed) = (0, 0);
    while Instant::now() < deadline {
        let mut request = Request::get(&target.path).header("host", &target.addr);
        if let Some(bearer) = &target.bearer {
            request = request.header("authorization", format!("Bearer {bearer}"));
        }
        let request = request.body(Empty::<Bytes>::new())?;
        let sent = Instant::now();
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let ok = response.status().is_success();
        response.into_body().collect().await?;
        histogram.record(sent.elapsed().as_micros() as u64)?;
        if ok { done += 1 } else { failed += 1 }
    }
    Ok((done, failed, histogram))
}

/// One request, for probing and set-up: (status, body).
pub(crate) async fn request(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    bearer: Option<&str>,
) -> Result<(u16, String)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr);
    if let Some(bearer) = bearer {
        builder = builder.header("authorization", format!("Bearer {bearer}"));
    }
    let request = match body {
        Some(json) => builder
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(Bytes::from(json.to_owned())).boxed())?,
        None => builder.body(Empty::<Bytes>::new().boxed())?,
    };
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await?.to_bytes();
    if status >= 500 {
        bail!("{method} {path}: {status}");
    }
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}
