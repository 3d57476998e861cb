//! The drive over HTTP on local storage and on a real S3 server (SeaweedFS): form and tus uploads,
//! deduplication counted in the store itself, downloads with ranges and validators, limits and bad
//! input, folders, avatars, and collection leaving no orphan and no dangling reference.

use std::sync::Arc;

use hearth_config::Settings;
use hearth_core::seams::BlobStore;
use hearth_storage::ObjectBlobStore;
use hearth_testkit::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, expect_error};

/// Where a test's files live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Storage {
    Local,
    S3,
}

/// Runs each test on SQLite with local files, SQLite with S3, PostgreSQL with S3 and MariaDB with
/// local files: both stores, and the chunk protocol on every database.
macro_rules! each_store {
    ($($test:ident),* $(,)?) => {
        mod sqlite_local { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::Sqlite, super::Storage::Local).await } )* }
        mod sqlite_s3 { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::Sqlite, super::Storage::S3).await } )* }
        mod postgres_s3 { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::Postgres, super::Storage::S3).await } )* }
        mod mysql_local { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test(hearth_testkit::Backend::MySql, super::Storage::Local).await } )* }
    };
}

pub(crate) fn use_storage(storage: Storage) -> impl FnOnce(&mut Settings) {
    move |settings: &mut Settings| {
        if storage == Storage::S3 {
            settings.storage = hearth_testkit::s3_storage();
        }
    }
}

/// Deterministic pseudo-random bytes (xorshift), different per seed.
pub(crate) fn bytes(len: usize, seed: u64) -> Vec<u8> {
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

pub(crate) fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The app's own store, opened from its settings: objects are counted where they really are.
pub(crate) fn store_of(app: &TestApp) -> Arc<ObjectBlobStore> {
    let settings = app.settings();
    Arc::new(
        hearth_storage::open_blob_store(&settings.storage, &settings.core.data_dir)
            .expect("the store opens"),
    )
}

pub(crate) async fn count(store: &ObjectBlobStore, prefix: &str) -> usize {
    store.list(prefix).await.expect("listing").len()
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    data: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(data).file_name(name.to_owned()),
    );
    app.client
        .post(app.url("/api/v1/files/"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("request sent")
}

pub(crate) async fn upload_ok(app: &TestApp, token: &str, name: &str, data: Vec<u8>) -> Value {
    let response = upload(app, token, name, data).await;
    assert_eq!(response.status(), StatusCode::OK, "upload of {name}");
    response.json().await.unwrap()
}

pub(crate) async fn download(app: &TestApp, token: &str, id: &str) -> Vec<u8> {
    let response = app.get(&format!("/api/v1/files/{id}/content"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

/// Runs the collector, then the storage check, which must be clean.
pub(crate) async fn collect_and_check(app: &TestApp, admin: &str) -> Value {
    let collected = app
        .post("/api/v1/storage/collect", Some(admin), json!({}))
        .await;
    assert_eq!(collected.status(), StatusCode::OK);
    let check: Value = app
        .get("/api/v1/storage/check", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["clean"], true, "storage check: {check}");
    check
}

async fn uploads_round_trip_with_ranges_validators_and_sniffed_types(
    backend: Backend,
    storage: Storage,
) {
    let app = TestApp::spawn_with(backend, use_storage(storage)).await;
    let admin = app.admin().await;
    // Three chunks, the last a short one.
    let data = bytes(9 * 1024 * 1024 + 123, 1);
    let file = upload_ok(&app, &admin, "Résumé «final».bin", data.clone()).await;
    let id = file["id"].as_str().unwrap();
    assert_eq!(file["filename"], "Résumé «final».bin");
    assert_eq!(file["meta"]["size"], data.len());
    assert_eq!(file["meta"]["content_type"], "application/octet-stream");
    assert_eq!(file["state"], "ready");
    assert_eq!(sha256(&download(&app, &admin, id).await), sha256(&data));

    let content = format!("/api/v1/files/{id}/content");
    let full = app.get(&content, &admin).await;
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        full.headers()["content-disposition"],
        "attachment; filename=\"R_sum_ _final_.bin\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%C2%ABfinal%C2%BB.bin"
    );
    drop(full);
    // A range across a chunk boundary, a suffix range, and one past the end.
    let start = 4 * 1024 * 1024 - 10;
    let ranged = app
        .client
        .get(app.url(&content))
        .bearer_auth(&admin)
        .header("range", format!("bytes={start}-{}", start + 19))
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes {start}-{}/{}", start + 19, data.len()).as_str()
    );
    assert_eq!(&ranged.bytes().await.unwrap()[..], &data[start..start + 20]);
    let suffix = app
        .client
        .get(app.url(&content))
        .bearer_auth(&admin)
        .header("range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(&suffix.bytes().await.unwrap()[..], &data[data.len() - 5..]);
    let beyond = app
        .client
        .get(app.url(&content))
        .bearer_auth(&admin)
        .header("range", format!("bytes={}-", data.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", data.len()).as_str()
    );
    expect_error(beyond, StatusCode::RANGE_NOT_SATISFIABLE).await;
    let unchanged = app
        .client
        .get(app.url(&content))
        .bearer_auth(&admin)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    // If-Range with a stale validator sends the whole file.
    let stale = app
        .client
        .get(app.url(&content))
        .bearer_auth(&admin)
        .header("range", "bytes=0-9")
        .header("if-range", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    drop(stale);

    // The declared type and the name do not decide the type; the bytes do.
    let png = upload_ok(
        &app,
        &admin,
        "holiday.txt",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec(),
    )
    .await;
    assert_eq!(png["meta"]["content_type"], "image/png");
    let markdown = upload_ok(&app, &admin, "notes.md", b"# Notes\n\nhello".to_vec()).await;
    assert_eq!(markdown["meta"]["content_type"], "text/markdown");

    // Listing, rename, move into a folder, folder deletion moves the file up.
    let listed = app.get("/api/v1/files", &admin).await;
    assert_eq!(listed.headers()["x-total-count"], "3");
    let folder: Value = app
        .post(
            "/api/v1/files/folders",
            Some(&admin),
            json!({"name": "Reports"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let folder_id = folder["id"].as_str().unwrap();
    let moved: Value = app
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{id}"),
            Some(&admin),
            Some(json!({"filename": "cv.bin", "folder_id": folder_id})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["filename"], "cv.bin");
    assert_eq!(moved["folder_id"], folder_id);
    let in_folder: Vec<Value> = app
        .get(&format!("/api/v1/files?folder_id={folder_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(in_folder.len(), 1);
    let top: Vec<Value> = app
        .get("/api/v1/files?folder_id=root", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(top.len(), 2);
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/files/folders/{folder_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::OK);
    let file: Value = app
        .get(&format!("/api/v1/files/{id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(file["folder_id"], Value::Null);
}

async fn identical_content_is_stored_once_across_uploads_and_users(
    backend: Backend,
    storage: Storage,
) {
    let app = TestApp::spawn_with(backend, use_storage(storage)).await;
    let store = store_of(&app);
    let admin = app.admin().await;
    let bob = app.approved_user(&admin, "bob@example.org").await;
    let data = bytes(50 * 1024 * 1024, 7);
    let chunks = data.len().div_ceil(4 * 1024 * 1024);
    let first = upload_ok(&app, &admin, "big.bin", data.clone()).await;
    assert_eq!(count(&store, "chunks/").await, chunks);
    let second = upload_ok(&app, &admin, "again.bin", data.clone()).await;
    let bobs = upload_ok(&app, &bob, "bobs.bin", data.clone()).await;
    assert_eq!(
        count(&store, "chunks/").await,
        chunks,
        "the same 50 MB uploaded three times (by two users) is stored once"
    );
    assert_eq!(first["hash"], bobs["hash"]);
    let written = app
        .metric("hearth_drive_chunks_total{outcome=\"written\"}")
        .await;
    let deduplicated = app
        .metric("hearth_drive_chunks_total{outcome=\"deduplicated\"}")
        .await;
    assert_eq!(
        (written, deduplicated),
        (chunks as f64, 2.0 * chunks as f64)
    );
    assert_eq!(app.metric("hearth_drive_files_completed_total").await, 3.0);
    assert_eq!(
        app.metric("hearth_drive_uploaded_bytes_total").await,
        3.0 * data.len() as f64
    );
    assert_eq!(
        sha256(&download(&app, &bob, bobs["id"].as_str().unwrap()).await),
        sha256(&data)
    );
    // Usage counts each user's files, deduplicated or not.
    let usage: Value = app
        .get("/api/v1/files/usage", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usage["used_bytes"], 2 * data.len());

    // Deleting two of three copies frees nothing; the last one frees every chunk.
    for (token, file) in [(&admin, &first), (&admin, &second)] {
        let path = format!("/api/v1/files/{}", file["id"].as_str().unwrap());
        assert_eq!(
            app.call(Method::DELETE, &path, Some(token), None)
                .await
                .status(),
            StatusCode::OK
        );
    }
    collect_and_check(&app, &admin).await;
    assert_eq!(count(&store, "chunks/").await, chunks);
    let path = format!("/api/v1/files/{}", bobs["id"].as_str().unwrap());
    app.call(Method::DELETE, &path, Some(&bob), None).await;
    let check = collect_and_check(&app, &admin).await;
    assert_eq!(check["chunks"], 0);
    assert_eq!(count(&store, "chunks/").await, 0);
    assert_eq!(
        app.metric("hearth_drive_chunks_collected_total").await,
        chunks as f64
    );
}

async fn bad_input_and_limits_are_refused_and_leave_nothing_behind(
    backend: Backend,
    storage: Storage,
) {
    let app = TestApp::spawn_with(backend, |settings| {
        use_storage(storage)(settings);
        settings.security.file_max_size = Some(5);
        settings.security.file_max_count = Some(2);
        settings.security.file_allowed_extensions = vec!["bin".into(), "md".into()];
        settings.security.file_user_quota = Some(12);
    })
    .await;
    let store = store_of(&app);
    let admin = app.admin().await;
    let bob = app.approved_user(&admin, "bob@example.org").await;
    let mb = 1024 * 1024;

    for name in ["../../etc/passwd.bin", "..\\boot.bin", "a/b.bin", ".."] {
        let detail = expect_error(
            upload(&app, &admin, name, b"x".to_vec()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(detail.contains("filename"), "{name}: {detail}");
    }
    let detail = expect_error(
        upload(&app, &admin, "empty.bin", Vec::new()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(detail.contains("empty"), "{detail}");
    let detail = expect_error(
        upload(&app, &admin, "big.bin", bytes(5 * mb + 1, 2)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(detail.contains("FILE_MAX_SIZE"), "{detail}");
    let detail = expect_error(
        upload(&app, &admin, "tool.exe", b"MZ".to_vec()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert!(detail.contains("FILE_ALLOWED_EXTENSIONS"), "{detail}");
    let form = (0..3).fold(reqwest::multipart::Form::new(), |form, i| {
        form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes(1000, i)).file_name(format!("{i}.bin")),
        )
    });
    let too_many = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let detail = expect_error(too_many, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(detail.contains("FILE_MAX_COUNT"), "{detail}");
    let not_multipart = app
        .post("/api/v1/files", Some(&admin), json!({"file": "x"}))
        .await;
    expect_error(not_multipart, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    // Nothing of the refused requests was kept.
    let listed: Vec<Value> = app.get("/api/v1/files", &admin).await.json().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");

    // The quota: 12 MB per user; a third 5 MB file does not fit.
    for seed in 0..2 {
        upload_ok(
            &app,
            &admin,
            &format!("{seed}.bin"),
            bytes(5 * mb, 10 + seed),
        )
        .await;
    }
    let detail = expect_error(
        upload(&app, &admin, "third.bin", bytes(5 * mb, 20)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(detail.contains("quota"), "{detail}");
    // An administrator raises it for this user.
    let me: Value = app
        .get("/api/v1/auths/", &admin)
        .await
        .json()
        .await
        .unwrap();
    let raised = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}/quota", me["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"quota_mb": 20})),
        )
        .await;
    assert_eq!(raised.status(), StatusCode::OK);
    let third = upload_ok(&app, &admin, "third.bin", bytes(5 * mb, 20)).await;

    // Another user's file is not there for bob, in any way.
    let id = third["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, format!("/api/v1/files/{id}")),
        (Method::GET, format!("/api/v1/files/{id}/content")),
        (Method::DELETE, format!("/api/v1/files/{id}")),
    ] {
        expect_error(
            app.call(method, &path, Some(&bob), None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    expect_error(
        app.call(
            Method::PATCH,
            &format!("/api/v1/files/{id}"),
            Some(&bob),
            Some(json!({"filename": "mine.bin"})),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.get("/api/v1/files/not-an-id", &bob).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let check = collect_and_check(&app, &admin).await;
    assert_eq!(
        check["chunks"],
        3 * 2,
        "three 5 MB files of two chunks each"
    );
    assert_eq!(count(&store, "uploads/").await, 0);
}

async fn avatars_are_images_under_ids_only(backend: Backend, storage: Storage) {
    let app = TestApp::spawn_with(backend, use_storage(storage)).await;
    let store = store_of(&app);
    let admin = app.admin().await;
    let me: Value = app
        .get("/api/v1/auths/", &admin)
        .await
        .json()
        .await
        .unwrap();
    let id = me["id"].as_str().unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01".to_vec();
    let put = |body: Vec<u8>| {
        app.client
            .put(app.url("/api/v1/users/me/avatar"))
            .bearer_auth(&admin)
            .body(body)
            .send()
    };
    assert_eq!(put(png.clone()).await.unwrap().status(), StatusCode::OK);
    let got = app.get(&format!("/api/v1/users/{id}/avatar"), &admin).await;
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(&got.bytes().await.unwrap()[..], &png[..]);
    let keys: Vec<String> = store
        .list("avatars/")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key.as_str().to_owned())
        .collect();
    assert_eq!(keys, vec![format!("avatars/{}/{id}", me_tenant())]);
    expect_error(
        put(b"<svg onload=alert(1)>".to_vec()).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    expect_error(
        put(bytes(6 * 1024 * 1024, 3)).await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let deleted = app
        .call(
            Method::DELETE,
            "/api/v1/users/me/avatar",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    expect_error(
        app.get(&format!("/api/v1/users/{id}/avatar"), &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(count(&store, "avatars/").await, 0);
}

/// Uploads and deletions of the same content race the collector: every file that stays ready keeps all
/// its chunks, and afterwards the store holds each chunk once and nothing else.
async fn collection_racing_uploads_of_the_same_content_never_loses_a_chunk(
    backend: Backend,
    storage: Storage,
) {
    let app = std::sync::Arc::new(TestApp::spawn_with(backend, use_storage(storage)).await);
    let store = store_of(&app);
    let admin = app.admin().await;
    let data = bytes(9 * 1024 * 1024, 99);
    let uploads = (0..8).map(|i| {
        let (app, admin, data) = (app.clone(), admin.clone(), data.clone());
        tokio::spawn(async move {
            let file = upload_ok(&app, &admin, &format!("{i}.bin"), data).await;
            let id = file["id"].as_str().unwrap().to_owned();
            if i % 2 == 0 {
                let path = format!("/api/v1/files/{id}");
                let deleted = app.call(Method::DELETE, &path, Some(&admin), None).await;
                assert_eq!(deleted.status(), StatusCode::OK);
                None
            } else {
                Some(id)
            }
        })
    });
    let collector = {
        let (app, admin) = (app.clone(), admin.clone());
        tokio::spawn(async move {
            for _ in 0..30 {
                let collected = app
                    .post("/api/v1/storage/collect", Some(&admin), json!({}))
                    .await;
                assert_eq!(collected.status(), StatusCode::OK);
            }
        })
    };
    let mut kept = Vec::new();
    for upload in uploads {
        kept.extend(upload.await.unwrap());
    }
    collector.await.unwrap();
    assert_eq!(kept.len(), 4);
    for id in &kept {
        assert_eq!(sha256(&download(&app, &admin, id).await), sha256(&data));
    }
    let check = collect_and_check(&app, &admin).await;
    assert_eq!(check["chunks"], 3);
    assert_eq!(count(&store, "chunks/").await, 3);
}

fn me_tenant() -> hearth_core::TenantId {
    hearth_core::TenantId::DEFAULT
}

each_store!(
    uploads_round_trip_with_ranges_validators_and_sniffed_types,
    identical_content_is_stored_once_across_uploads_and_users,
    bad_input_and_limits_are_refused_and_leave_nothing_behind,
    avatars_are_images_under_ids_only,
    collection_racing_uploads_of_the_same_content_never_loses_a_chunk,
);
