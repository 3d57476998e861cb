//! The files benchmark: one large file uploaded (a streamed multipart form, `POST /api/v1/files/`)
//! and downloaded (`GET /api/v1/files/{id}/content`) through Hearth, on local storage and on S3
//! (SeaweedFS from `scripts/s3.sh`), each beside the same number of bytes written to and read from
//! the same store directly with `object_store` — the floor, a plain copy with no drive around it.
//! Also Hearth's peak memory while it takes the upload: it streams the body to storage chunk by
//! chunk, so the target is under 100 MiB whatever the file's size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::sync::oneshot;

use crate::Table;
use crate::report::Compare;
use crate::servers::{self, Binary, Server};

const S: &str = "files";
const MIB: f64 = 1024.0 * 1024.0;
/// Hearth's chunk size and chunks written at once per upload (`hearth_storage::CHUNK_SIZE` and
/// `IN_FLIGHT`): the local baseline writes parts of the same size, as many at once.
const PART: usize = 4 * 1024 * 1024;
const IN_FLIGHT: usize = 2;
/// S3's smallest part (but the last): SeaweedFS, like S3, refuses to complete an upload with smaller
/// ones (EntityTooSmall), so the S3 baseline uses this rather than Hearth's 4 MiB.
const S3_PART: usize = 5 * 1024 * 1024;
/// The client streams the form body in pieces of this size (slices of one buffer, nothing copied).
const PIECE: usize = 256 * 1024;
/// The run number is written every this many bytes (see [`stamp`]).
const STAMP_EVERY: usize = 64 * 1024;
/// What Hearth should stay under while it takes the upload.
const RSS_TARGET_MIB: u64 = 100;
/// How often Hearth's RSS is sampled during the upload (a cross-check of `VmHWM`).
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// SeaweedFS as `scripts/s3.sh` starts it.
const S3_ENDPOINT: &str = "http://127.0.0.1:8333";
const S3_BUCKET: &str = "hearth";
const S3_ACCESS_KEY: &str = "hearthkey";
const S3_SECRET_KEY: &str = "hearthsecret";
const S3_REGION: &str = "us-east-1";

/// Where Hearth keeps the files, and the baseline its copy.
enum Storage {
    /// Hearth on its embedded defaults (`DATA_DIR/files`).
    Local,
    /// The SeaweedFS bucket, under a prefix of this run's own.
    S3 { prefix: String },
}

impl Storage {
    fn label(&self) -> &'static str {
        match self {
            Storage::Local => "local storage",
            Storage::S3 { .. } => "S3 (SeaweedFS)",
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Storage::Local => Vec::new(),
            Storage::S3 { prefix } => vec![
                ("STORAGE_PROVIDER", "s3".into()),
                ("S3_ENDPOINT_URL", S3_ENDPOINT.into()),
                ("S3_BUCKET_NAME", S3_BUCKET.into()),
                ("S3_ACCESS_KEY_ID", S3_ACCESS_KEY.into()),
                ("S3_SECRET_ACCESS_KEY", S3_SECRET_KEY.into()),
                ("S3_KEY_PREFIX", prefix.clone()),
            ],
        }
    }
}

/// What one store measured: seconds for each transfer, and Hearth's memory during the upload.
struct Measured {
    upload: f64,
    upload_direct: f64,
    download: f64,
    download_direct: f64,
    /// `VmHWM` after the upload (reset just before it), MiB.
    peak_rss: f64,
    /// The highest `VmRSS` sampled during the upload, MiB.
    sampled_rss: f64,
}

/// Runs the files scenario with a file of `file_mb` MiB on each store.
pub(crate) async fn run(file_mb: u64, table: &mut Table) -> Result<()> {
    if file_mb == 0 {
        bail!("--file-mb must be at least 1 (Hearth refuses empty files)");
    }
    let len = file_mb
        .checked_mul(1024 * 1024)
        .and_then(|n| usize::try_from(n).ok())
        .context("--file-mb is too large")?;
    let mut data = random_bytes(len);
    eprintln!("files: {file_mb} MiB of test data made");
    let client = reqwest::Client::builder().build()?;
    let stores = [
        Storage::Local,
        Storage::S3 {
            prefix: format!("bench-{}", uuid::Uuid::now_v7().simple()),
        },
    ];
    for (run, storage) in (1u64..).zip(stores) {
        stamp(&mut data, run);
        let bytes = std::mem::take(&mut data).freeze();
        let measured = measure(&client, &storage, &bytes).await;
        data = unshare(bytes);
        let m = measured?;
        let label = storage.label();
        eprintln!("files: {label} measured");
        let rate = |seconds: f64| len as f64 / MIB / seconds;
        table.push(
            S,
            format!("upload of a {file_mb} MiB file (streamed multipart form), {label}"),
            "MiB/s",
            rate(m.upload),
            Some(rate(m.upload_direct)),
            Compare::Ratio,
        );
        table.push(
            S,
            format!("download of the {file_mb} MiB file, {label}"),
            "MiB/s",
            rate(m.download),
            Some(rate(m.download_direct)),
            Compare::Ratio,
        );
        table.push(
            S,
            format!(
                "Hearth peak RSS during the {file_mb} MiB upload, {label} (target < {RSS_TARGET_MIB} MiB)"
            ),
            "MiB",
            m.peak_rss,
            None,
            Compare::None,
        );
        table.push(
            S,
            format!(
                "Hearth highest RSS sampled every {} ms during the upload, {label}",
                SAMPLE_EVERY.as_millis()
            ),
            "MiB",
            m.sampled_rss,
            None,
            Compare::None,
        );
    }
    Ok(())
}

/// Starts Hearth on `storage` and measures the upload and download through it and directly.
async fn measure(client: &reqwest::Client, storage: &Storage, data: &Bytes) -> Result<Measured> {
    let server = Server::start(Binary::Hearth, &storage.env(), &[]).await?;
    let key = servers::api_key(&server.addr).await?;
    let (store, path): (Arc<dyn ObjectStore>, ObjectPath) = match storage {
        Storage::Local => {
            // Beside Hearth's DATA_DIR, so on the same filesystem, and removed with it.
            let dir = server.dir().join("baseline");
            std::fs::create_dir_all(&dir)?;
            let local: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(&dir)?);
            (local, ObjectPath::from("baseline.bin"))
        }
        Storage::S3 { prefix } => (
            s3_store()?,
            ObjectPath::from(format!("{prefix}/baseline.bin")),
        ),
    };
    let part = match storage {
        Storage::Local => PART,
        Storage::S3 { .. } => S3_PART,
    };
    let measured = async {
        let pid = server.pid()?;
        // VmHWM would otherwise also cover start-up and sign-up (the password hash).
        if let Err(error) = servers::reset_peak_rss(pid) {
            eprintln!("files: cannot reset Hearth's peak RSS ({error}); it includes start-up");
        }
        let (stop, stopped) = oneshot::channel();
        let sampler = tokio::spawn(sample_rss(pid, stopped));
        let uploaded = hearth_upload(client, &server.addr, &key, data).await;
        let _ = stop.send(());
        let sampled_rss = sampler.await?;
        let peak_rss = servers::peak_rss_mib(pid)?;
        let (id, upload) = uploaded?;
        settle_disk().await?;
        let upload_direct = direct_upload(store.as_ref(), &path, data, part).await?;
        settle_disk().await?;
        let download = hearth_download(client, &server.addr, &key, &id, data.len()).await?;
        let download_direct = direct_download(store.as_ref(), &path, data.len()).await?;
        Ok::<_, anyhow::Error>(Measured {
            upload,
            upload_direct,
            download,
            download_direct,
            peak_rss,
            sampled_rss,
        })
    }
    .await;
    // Leave nothing behind in the shared bucket (local files go with the server's directory).
    let cleaned = match storage {
        Storage::Local => Ok(()),
        Storage::S3 { prefix } => delete_prefix(store.as_ref(), prefix).await,
    };
    server.stop().await?;
    let measured = measured?;
    cleaned?;
    Ok(measured)
}

/// `len` pseudo-random bytes (splitmix64): incompressible, and no two 4 MiB chunks alike.
fn random_bytes(len: usize) -> BytesMut {
    let mut data = BytesMut::zeroed(len);
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for word in data.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        word.copy_from_slice(&z.to_le_bytes()[..word.len()]);
    }
    data
}

/// Writes `run` at the start of every [`STAMP_EVERY`] bytes, so that each upload is new content.
/// Hearth stores a file as content-addressed chunks (every 4 MiB) and each distinct chunk once: the
/// same bytes uploaded again would only add references, trivially fast. A single flipped byte would
/// change only the first chunk, so every chunk gets the stamp.
fn stamp(data: &mut [u8], run: u64) {
    let run = run.to_le_bytes();
    for block in data.chunks_mut(STAMP_EVERY) {
        let n = block.len().min(run.len());
        block[..n].copy_from_slice(&run[..n]);
    }
}

/// The buffer back for the next run's stamp. Every slice handed out has been dropped by now, so
/// this takes the allocation back; should one still be held, the bytes are copied instead.
fn unshare(bytes: Bytes) -> BytesMut {
    bytes
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]))
}

/// Samples `pid`'s RSS every [`SAMPLE_EVERY`] until `stop`; the highest sample, in MiB.
async fn sample_rss(pid: u32, mut stop: oneshot::Receiver<()>) -> f64 {
    let mut highest = 0.0_f64;
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    loop {
        tokio::select! {
            _ = &mut stop => return highest,
            _ = tick.tick() => {
                if let Ok(rss) = servers::rss_mib(pid) {
                    highest = highest.max(rss);
                }
            }
        }
    }
}

/// Writes dirty pages out, so that one measurement's writes are not paid for by the next.
async fn settle_disk() -> Result<()> {
    let status = tokio::process::Command::new("sync").status().await?;
    if !status.success() {
        bail!("sync failed: {status}");
    }
    Ok(())
}

/// Uploads `data` as the `file` part of a multipart form: the file's id and the seconds taken.
async fn hearth_upload(
    client: &reqwest::Client,
    addr: &str,
    key: &str,
    data: &Bytes,
) -> Result<(String, f64)> {
    let len = data.len();
    let whole = data.clone();
    let pieces =
        futures::stream::iter((0..len).step_by(PIECE).map(move |start| {
            Ok::<_, std::io::Error>(whole.slice(start..(start + PIECE).min(len)))
        }));
    // With the length known, the whole form has one and is sent with a Content-Length.
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(pieces),
        len as u64,
    )
    .file_name("bench.bin")
    .mime_str("application/octet-stream")?;
    let form = reqwest::multipart::Form::new().part("file", part);
    let started = Instant::now();
    let response = client
        .post(format!("http://{addr}/api/v1/files/"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.is_success() {
        bail!("the upload failed with {status}: {text}");
    }
    let file: serde_json::Value = serde_json::from_str(&text)?;
    if file["meta"]["size"].as_u64() != Some(len as u64) {
        bail!(
            "the upload stored {} for {len} bytes sent",
            file["meta"]["size"]
        );
    }
    let id = file["id"].as_str().context("the file's id")?.to_owned();
    Ok((id, seconds))
}

/// Reads the file's content to the end, counting and discarding it: the seconds taken.
async fn hearth_download(
    client: &reqwest::Client,
    addr: &str,
    key: &str,
    id: &str,
    len: usize,
) -> Result<f64> {
    let started = Instant::now();
    let mut response = client
        .get(format!("http://{addr}/api/v1/files/{id}/content"))
        .bearer_auth(key)
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        bail!(
            "the download failed with {status}: {}",
            response.text().await?
        );
    }
    let mut received = 0;
    while let Some(bytes) = response.chunk().await? {
        received += bytes.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    if received != len {
        bail!("the download gave {received} of {len} bytes");
    }
    Ok(seconds)
}

/// The SeaweedFS bucket, as Hearth reaches it (path-style, plain HTTP).
fn s3_store() -> Result<Arc<dyn ObjectStore>> {
    let store = AmazonS3Builder::new()
        .with_endpoint(S3_ENDPOINT)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region(S3_REGION)
        .with_bucket_name(S3_BUCKET)
        .with_access_key_id(S3_ACCESS_KEY)
        .with_secret_access_key(S3_SECRET_KEY)
        .build()?;
    Ok(Arc::new(store))
}

/// Writes `data` to `path` as a multipart upload of `part`-byte parts, [`IN_FLIGHT`] at once (as
/// Hearth writes its chunks): the seconds taken.
async fn direct_upload(
    store: &dyn ObjectStore,
    path: &ObjectPath,
    data: &Bytes,
    part: usize,
) -> Result<f64> {
    let started = Instant::now();
    let mut writer = WriteMultipart::new_with_chunk_size(store.put_multipart(path).await?, part);
    for start in (0..data.len()).step_by(part) {
        writer.wait_for_capacity(IN_FLIGHT).await?;
        writer.put(data.slice(start..(start + part).min(data.len())));
    }
    writer.finish().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Reads `path` to the end, counting and discarding it: the seconds taken.
async fn direct_download(store: &dyn ObjectStore, path: &ObjectPath, len: usize) -> Result<f64> {
    let started = Instant::now();
    let mut stream = store.get(path).await?.into_stream();
    let mut received = 0;
    while let Some(bytes) = stream.try_next().await? {
        received += bytes.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    if received != len {
        bail!("the direct read gave {received} of {len} bytes");
    }
    Ok(seconds)
}

/// Deletes every object under `prefix`: Hearth's chunks and the baseline's copy.
async fn delete_prefix(store: &dyn ObjectStore, prefix: &str) -> Result<()> {
    let objects: Vec<_> = store
        .list(Some(&ObjectPath::from(prefix)))
        .try_collect()
        .await?;
    for object in objects {
        store.delete(&object.location).await?;
    }
    Ok(())
}
