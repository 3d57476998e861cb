//! Resumable uploads over tus 1.0 on local storage and S3: the protocol spoken by hand (creation,
//! creation-with-upload, parts at odd offsets, checksums, termination, the errors of each), and the
//! official `tuspy` client uploading 200 MB, interrupted by a kill and resumed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hearth_testkit::Backend;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use sha1::Digest as _;

use crate::files::{
    Storage, bytes, collect_and_check, count, download, sha256, store_of, use_storage,
};
use crate::support::{TestApp, expect_error};

const TUS: &str = "/api/v1/files/tus";

fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

async fn tus(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/offset+octet-stream")
            .body(body);
    }
    request.send().await.expect("request sent")
}

fn offset_of(response: &Response) -> u64 {
    response.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn the_protocol_by_hand(backend: Backend, storage: Storage) {
    let app = TestApp::spawn_with(backend, use_storage(storage)).await;
    let store = store_of(&app);
    let admin = app.admin().await;
    let data = bytes(10 * 1024 * 1024 + 777, 42);

    let options = app
        .client
        .request(Method::OPTIONS, app.url(TUS))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(options.headers()["tus-version"], "1.0.0");
    let extensions = options.headers()["tus-extension"].to_str().unwrap();
    for extension in [
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    ] {
        assert!(extensions.contains(extension), "{extensions}");
    }

    // Creation with the first 1,000,001 bytes.
    let created = tus(
        &app,
        Method::POST,
        TUS,
        &admin,
        &[
            ("upload-length", data.len().to_string()),
            (
                "upload-metadata",
                format!("filename {},filetype {}", b64("Über.bin"), b64("text/html")),
            ),
        ],
        Some(data[..1_000_001].to_vec()),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["tus-resumable"], "1.0.0");
    assert!(created.headers().contains_key("upload-expires"));
    assert_eq!(offset_of(&created), 1_000_001);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/api/v1/files/tus/"));

    // Parts that cross chunk boundaries at odd offsets.
    let mut offset = 1_000_001usize;
    for size in [3_333_333usize, 2_000_000] {
        let part = tus(
            &app,
            Method::PATCH,
            &location,
            &admin,
            &[("upload-offset", offset.to_string())],
            Some(data[offset..offset + size].to_vec()),
        )
        .await;
        assert_eq!(part.status(), StatusCode::NO_CONTENT);
        offset += size;
        assert_eq!(offset_of(&part), offset as u64);
    }
    let head = tus(&app, Method::HEAD, &location, &admin, &[], None).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(offset_of(&head), offset as u64);
    assert_eq!(
        head.headers()["upload-length"],
        data.len().to_string().as_str()
    );
    assert_eq!(head.headers()["cache-control"], "no-store");

    // A wrong offset, a wrong checksum, an unknown algorithm, the wrong content type, no version.
    let stale = tus(
        &app,
        Method::PATCH,
        &location,
        &admin,
        &[("upload-offset", "0".into())],
        Some(b"x".to_vec()),
    )
    .await;
    expect_error(stale, StatusCode::CONFLICT).await;
    let next = data[offset..offset + 1_500_000].to_vec();
    let wrong = STANDARD.encode(sha1::Sha1::digest(b"something else"));
    let mismatch = tus(
        &app,
        Method::PATCH,
        &location,
        &admin,
        &[
            ("upload-offset", offset.to_string()),
            ("upload-checksum", format!("sha1 {wrong}")),
        ],
        Some(next.clone()),
    )
    .await;
    assert_eq!(mismatch.status().as_u16(), 460);
    let unknown = tus(
        &app,
        Method::PATCH,
        &location,
        &admin,
        &[
            ("upload-offset", offset.to_string()),
            ("upload-checksum", "crc99 AAAA".into()),
        ],
        Some(b"x".to_vec()),
    )
    .await;
    expect_error(unknown, StatusCode::BAD_REQUEST).await;
    let head = tus(&app, Method::HEAD, &location, &admin, &[], None).await;
    assert_eq!(
        offset_of(&head),
        offset as u64,
        "a refused part keeps nothing"
    );
    let untyped = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&admin)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", offset.to_string())
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    expect_error(untyped, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let unversioned = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&admin)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    expect_error(unversioned, StatusCode::PRECONDITION_FAILED).await;
    // The right checksum is accepted.
    let right = STANDARD.encode(sha1::Sha1::digest(&next));
    let checked = tus(
        &app,
        Method::PATCH,
        &location,
        &admin,
        &[
            ("upload-offset", offset.to_string()),
            ("upload-checksum", format!("sha1 {right}")),
        ],
        Some(next.clone()),
    )
    .await;
    assert_eq!(checked.status(), StatusCode::NO_CONTENT);
    offset += next.len();
    // Past the declared length is refused; the rest completes the file.
    let mut past = data[offset..].to_vec();
    past.push(0);
    let too_long = tus(
        &app,
        Method::PATCH,
        &location,
        &admin,
        &[("upload-offset", offset.to_string())],
        Some(past),
    )
    .await;
    expect_error(too_long, StatusCode::PAYLOAD_TOO_LARGE).await;
    let last = tus(
        &app,
        Method::PATCH,
        &location,
        &admin,
        &[("upload-offset", offset.to_string())],
        Some(data[offset..].to_vec()),
    )
    .await;
    assert_eq!(last.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&last), data.len() as u64);
    let id = location.rsplit('/').next().unwrap();
    let file: Value = app
        .get(&format!("/api/v1/files/{id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(file["state"], "ready");
    assert_eq!(file["filename"], "Über.bin");
    assert_eq!(
        file["meta"]["content_type"], "application/octet-stream",
        "the client's filetype is not trusted"
    );
    assert_eq!(sha256(&download(&app, &admin, id).await), sha256(&data));
    assert_eq!(count(&store, "uploads/").await, 0, "pending parts are gone");

    // Termination of an unfinished upload deletes what it stored.
    let doomed = tus(
        &app,
        Method::POST,
        TUS,
        &admin,
        &[
            ("upload-length", "9000000".into()),
            ("upload-metadata", format!("filename {}", b64("doomed.bin"))),
        ],
        Some(bytes(6_000_000, 9)),
    )
    .await;
    let doomed = doomed.headers()["location"].to_str().unwrap().to_owned();
    assert!(count(&store, "uploads/").await > 0);
    let terminated = tus(&app, Method::DELETE, &doomed, &admin, &[], None).await;
    assert_eq!(terminated.status(), StatusCode::NO_CONTENT);
    let head = tus(&app, Method::HEAD, &doomed, &admin, &[], None).await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    let check = collect_and_check(&app, &admin).await;
    assert_eq!(check["chunks"], 3, "only the finished file's chunks remain");

    // Creation errors: no length, an empty file, a path as the name, no version header.
    for (headers, status) in [
        (vec![], StatusCode::BAD_REQUEST),
        (
            vec![("upload-length", "0".to_owned())],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![
                ("upload-length", "10".to_owned()),
                ("upload-metadata", format!("filename {}", b64("../x"))),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        expect_error(
            tus(&app, Method::POST, TUS, &admin, &headers, None).await,
            status,
        )
        .await;
    }
    let unversioned = app
        .client
        .post(app.url(TUS))
        .bearer_auth(&admin)
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    expect_error(unversioned, StatusCode::PRECONDITION_FAILED).await;
}

/// An upload past its expiry answers 410 and the collector discards it with its parts and chunks.
/// (The expiry is moved into the past in the database: the default is 48 hours.)
async fn expired_uploads_are_gone_and_collected(backend: Backend, storage: Storage) {
    let app = TestApp::spawn_with(backend, use_storage(storage)).await;
    let store = store_of(&app);
    let admin = app.admin().await;
    let created = tus(
        &app,
        Method::POST,
        TUS,
        &admin,
        &[
            ("upload-length", "9000000".into()),
            ("upload-metadata", format!("filename {}", b64("late.bin"))),
        ],
        Some(bytes(5_000_000, 3)),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(count(&store, "uploads/").await, 1);
    let id = location.rsplit('/').next().unwrap();
    expire(&app, id).await;
    let head = tus(&app, Method::HEAD, &location, &admin, &[], None).await;
    assert_eq!(head.status(), StatusCode::GONE);
    let collected: Value = app
        .post(
            "/api/v1/storage/collect",
            Some(&admin),
            serde_json::json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(collected["expired_uploads"], 1, "{collected}");
    let check = collect_and_check(&app, &admin).await;
    assert_eq!(check["chunks"], 0);
    assert_eq!(count(&store, "uploads/").await, 0);
    assert_eq!(count(&store, "chunks/").await, 0);
    let head = tus(&app, Method::HEAD, &location, &admin, &[], None).await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
}

/// Moves an upload's expiry into the past, behind the server's back.
async fn expire(app: &TestApp, id: &str) {
    use sqlx::Connection;
    let sql = format!("UPDATE files SET expires_at = 1 WHERE id = '{id}'");
    match app.db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

/// The official tuspy client uploads 200 MB in 8 MB parts; the process is killed mid-upload, a new
/// one resumes from the server's offset, and the downloaded bytes hash the same.
async fn tuspy_resumes_a_killed_200_mb_upload(backend: Backend, storage: Storage) {
    let app = TestApp::spawn_with(backend, use_storage(storage)).await;
    let admin = app.admin().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let data = bytes(200 * 1024 * 1024, 5);
    std::fs::write(&path, &data).unwrap();
    let expected = sha256(&data);
    drop(data);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/python/tus_client.py"
    );
    let endpoint = app.url(&format!("{TUS}/"));
    let args = |extra: &[&str]| {
        let mut args = vec![
            script.to_owned(),
            "upload".into(),
            "--endpoint".into(),
            endpoint.clone(),
            "--token".into(),
            admin.clone(),
            "--file".into(),
            path.display().to_string(),
            "--chunk-size".into(),
            (8 * 1024 * 1024 + 5).to_string(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let mut first = tokio::process::Command::new(hearth_testkit::python())
        .args(args(&[]))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(first.stdout.take().unwrap()));
    let mut url = String::new();
    // Read progress until a third of the file is acknowledged, then kill the client mid-part.
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(u) = line.strip_prefix("URL ") {
            url = u.to_owned();
        }
        if let Some(offset) = line.strip_prefix("OFFSET ")
            && offset.parse::<u64>().unwrap() > 60 * 1024 * 1024
        {
            break;
        }
    }
    assert!(!url.is_empty(), "tuspy printed its upload URL");
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let path_of_url = url
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .unwrap();
    let head = tus(&app, Method::HEAD, &path_of_url, &admin, &[], None).await;
    let offset = offset_of(&head);
    assert!(
        offset > 60 * 1024 * 1024 && offset < 200 * 1024 * 1024,
        "{offset}"
    );

    let resumed = tokio::process::Command::new(hearth_testkit::python())
        .args(args(&["--url", &url]))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        resumed.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        stdout.contains(&format!("DONE {}", 200 * 1024 * 1024)),
        "{stdout}"
    );
    let id = url.rsplit('/').next().unwrap();
    assert_eq!(sha256(&download(&app, &admin, id).await), expected);
    collect_and_check(&app, &admin).await;
}

macro_rules! on_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite_local { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::Sqlite, super::Storage::Local).await } )* }
        mod postgres_s3 { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::Postgres, super::Storage::S3).await } )* }
        mod mysql_local { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::MySql, super::Storage::Local).await } )* }
    };
}

on_stores!(the_protocol_by_hand, expired_uploads_are_gone_and_collected);

mod tuspy {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_local_storage() {
        tuspy_resumes_a_killed_200_mb_upload(Backend::Sqlite, Storage::Local).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_s3() {
        tuspy_resumes_a_killed_200_mb_upload(Backend::Postgres, Storage::S3).await;
    }
}
