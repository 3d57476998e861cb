//! The drive as operators run it: `kill -9` of `hearth serve` in the middle of a resumable upload.
//! After a restart the upload resumes from the last acknowledged offset and completes intact, and
//! after collection no orphaned chunk and no dangling reference remains — on SQLite with local files
//! and on PostgreSQL with S3 (SeaweedFS).

mod support;

use std::time::Duration;

use bytes::Bytes;
use hearth_testkit::{Backend, TestDatabase, eventually_within};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Hearth, KEY, local, post};

const MB: usize = 1024 * 1024;
/// Hearth's chunk size: acknowledged offsets of an interrupted request fall on its multiples.
const CHUNK: u64 = 4 * 1024 * 1024;

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn tus(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("tus-resumable", "1.0.0")
    }

    async fn offset(&self, path: &str) -> u64 {
        let head = self.tus(Method::HEAD, path).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        head.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn create(&self, length: usize, name: &str) -> String {
        let metadata = format!(
            "filename {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, name)
        );
        let created = self
            .tus(Method::POST, "/api/v1/files/tus")
            .header("upload-length", length.to_string())
            .header("upload-metadata", metadata)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        created.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn patch(&self, path: &str, offset: usize, body: reqwest::Body) -> reqwest::Response {
        self.tus(Method::PATCH, path)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn admin(&self, method: Method, path: &str) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }
}

/// Sends `head` as the start of a PATCH body that then stalls: the request is in flight, never done.
fn stalled_body(head: Vec<u8>) -> (reqwest::Body, tokio::sync::mpsc::Sender<Bytes>) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let first = futures::stream::iter(
        head.chunks(MB)
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let rest = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    use futures::StreamExt;
    (reqwest::Body::wrap_stream(first.chain(rest)), tx)
}

async fn a_killed_server_resumes_the_upload_and_leaves_no_garbage(
    db: Option<&TestDatabase>,
    extra_env: Vec<(&'static str, String)>,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = local(&[("LOG_LEVEL", "info")])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if let Some(db) = db {
        env.push(("DATABASE_URL".into(), db.url.clone()));
        env.push(("HEARTH_SECRET_KEY".into(), KEY.into()));
    }
    env.extend(extra_env.into_iter().map(|(k, v)| (k.to_owned(), v)));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let mut serve = Hearth::spawn(dir.path(), &[], &env_refs);
    let base = serve.base_url().await;
    let http = hearth_testkit::http_client();
    let session: Value = post(
        &http,
        &format!("{base}/api/v1/auths/signup"),
        json!({"email": "admin@example.org", "password": "admin-password"}),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let client = Client {
        http,
        base,
        token: session["token"].as_str().unwrap().to_owned(),
    };
    let file = data(30 * MB + 321, 11);
    let upload = client.create(file.len(), "big.bin").await;
    let abandoned = client.create(20 * MB, "abandoned.bin").await;

    // A first request is acknowledged whole.
    let first = 9 * MB + 7;
    let response = client
        .patch(&upload, 0, file[..first].to_vec().into())
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // A second is in flight when the server dies: 10 MB sent, the rest never comes.
    let (body, _keep_open) = stalled_body(file[first..first + 10 * MB].to_vec());
    let in_flight = {
        let client = Client {
            http: client.http.clone(),
            base: client.base.clone(),
            token: client.token.clone(),
        };
        let upload = upload.clone();
        tokio::spawn(async move {
            let _ = client
                .tus(Method::PATCH, &upload)
                .header("content-type", "application/offset+octet-stream")
                .header("upload-offset", first.to_string())
                .body(body)
                .send()
                .await;
        })
    };
    // The whole chunks it carried are acknowledged while it is still running.
    let expected = (first as u64 + 10 * MB as u64) / CHUNK * CHUNK;
    eventually_within(
        "the in-flight request's chunks to be acknowledged",
        Duration::from_secs(30),
        || async { client.offset(&upload).await == expected },
    )
    .await;
    let (abandoned_body, _keep_abandoned_open) = stalled_body(data(6 * MB, 12));
    let abandoned_flight = {
        let http = client.http.clone();
        let url = format!("{}{abandoned}", client.base);
        let token = client.token.clone();
        tokio::spawn(async move {
            let _ = http
                .patch(url)
                .bearer_auth(token)
                .header("tus-resumable", "1.0.0")
                .header("content-type", "application/offset+octet-stream")
                .header("upload-offset", "0")
                .body(abandoned_body)
                .send()
                .await;
        })
    };
    eventually_within(
        "the abandoned upload to hold a chunk",
        Duration::from_secs(30),
        || async { client.offset(&abandoned).await == CHUNK },
    )
    .await;

    serve.child.start_kill().unwrap();
    serve.child.wait().await.unwrap();
    in_flight.abort();
    abandoned_flight.abort();

    let mut restarted = Hearth::spawn(dir.path(), &[], &env_refs);
    let client = Client {
        base: restarted.base_url().await,
        ..client
    };
    let acknowledged = client.offset(&upload).await;
    assert_eq!(
        acknowledged, expected,
        "the upload resumes from the last acknowledged offset"
    );
    let response = client
        .patch(
            &upload,
            acknowledged as usize,
            file[acknowledged as usize..].to_vec().into(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let id = upload.rsplit('/').next().unwrap();
    let downloaded = client
        .http
        .get(format!("{}/api/v1/files/{id}/content", client.base))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&downloaded)),
        hex::encode(Sha256::digest(&file))
    );

    // The abandoned upload is terminated; collection leaves exactly the finished file's chunks.
    let terminated = client.tus(Method::DELETE, &abandoned).send().await.unwrap();
    assert_eq!(terminated.status(), StatusCode::NO_CONTENT);
    client.admin(Method::POST, "/api/v1/storage/collect").await;
    let check = client.admin(Method::GET, "/api/v1/storage/check").await;
    assert_eq!(check["clean"], true, "{check}");
    let chunks = file.len().div_ceil(CHUNK as usize) as u64;
    assert_eq!(check["chunks"], chunks, "{check}");
    assert_eq!(check["chunk_objects"], chunks, "{check}");
    assert!(restarted.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_tus_upload_on_sqlite_and_local_files() {
    a_killed_server_resumes_the_upload_and_leaves_no_garbage(None, Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_tus_upload_on_postgres_and_s3() {
    let db = TestDatabase::create(Backend::Postgres).await;
    let s3 = hearth_testkit::s3_storage();
    let env = vec![
        ("STORAGE_PROVIDER", "s3".to_owned()),
        ("S3_BUCKET_NAME", s3.s3_bucket_name.unwrap()),
        ("S3_ENDPOINT_URL", s3.s3_endpoint_url.unwrap()),
        ("S3_ACCESS_KEY_ID", s3.s3_access_key_id.unwrap()),
        (
            "S3_SECRET_ACCESS_KEY",
            s3.s3_secret_access_key.unwrap().expose().to_owned(),
        ),
        ("S3_KEY_PREFIX", s3.s3_key_prefix.unwrap()),
    ];
    a_killed_server_resumes_the_upload_and_leaves_no_garbage(Some(&db), env).await;
}
