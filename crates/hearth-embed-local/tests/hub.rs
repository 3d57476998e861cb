//! The model hub download code against a server laid out as the Hugging Face hub is
//! (`{endpoint}/{org}/{name}/resolve/main/{file}`), serving the real model files: no hub is
//! reachable from here, so this local HTTP server stands in for its file paths.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hearth_embed_local::hub::{Hub, resolve};
use hearth_embed_local::{LoadError, LocalEmbedder};

const MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";

#[derive(Clone)]
struct Files {
    root: PathBuf,
    /// Files this hub pretends not to have.
    missing: Arc<Vec<&'static str>>,
    requests: Arc<AtomicU64>,
}

async fn file(
    State(files): State<Files>,
    UrlPath((org, name, file)): UrlPath<(String, String, String)>,
) -> Response {
    files.requests.fetch_add(1, Ordering::SeqCst);
    if format!("{org}/{name}") != MODEL || files.missing.contains(&file.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(files.root.join(&file)).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A hub serving the test model's files, but not `missing`.
async fn hub(missing: Vec<&'static str>) -> (Hub, Arc<AtomicU64>) {
    let requests = Arc::new(AtomicU64::new(0));
    let files = Files {
        root: hearth_testkit::model_dir(),
        missing: Arc::new(missing),
        requests: requests.clone(),
    };
    let app = Router::new()
        .route(
            "/{org}/{name}/resolve/main/{*file}",
            axum::routing::get(file),
        )
        .with_state(files);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let hub = Hub {
        endpoint: format!("http://{addr}"),
        offline: false,
        hf_home: None,
    };
    (hub, requests)
}

fn same_file(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[tokio::test]
async fn a_model_is_downloaded_once_into_the_cache_and_then_loads() {
    let (hub, requests) = hub(vec![]).await;
    let cache = tempfile::tempdir().unwrap();
    let dir = resolve(MODEL, cache.path(), &hub, true).await.unwrap();
    assert_eq!(
        dir,
        cache.path().join("sentence-transformers--all-MiniLM-L6-v2")
    );
    let source = hearth_testkit::model_dir();
    for file in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "onnx/model.onnx",
    ] {
        assert!(same_file(&dir.join(file), &source.join(file)), "{file}");
    }
    // No temporary file is left beside them.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let fetched = requests.load(Ordering::SeqCst);
    // Found in the cache from now on, even offline.
    let offline = Hub {
        offline: true,
        ..hub.clone()
    };
    assert_eq!(
        resolve(MODEL, cache.path(), &offline, true).await.unwrap(),
        dir
    );
    assert_eq!(requests.load(Ordering::SeqCst), fetched);
    let engine = LocalEmbedder::load(&dir, MODEL, 4, None).unwrap();
    let vectors = engine.embed_blocking(&["downloaded".to_owned()]).unwrap();
    assert_eq!(vectors[0].len(), 384);
}

#[tokio::test]
async fn the_onnx_graph_is_fetched_only_when_asked_for_and_added_later() {
    let (hub, _) = hub(vec![]).await;
    let cache = tempfile::tempdir().unwrap();
    let dir = resolve(MODEL, cache.path(), &hub, false).await.unwrap();
    assert!(!dir.join("onnx/model.onnx").exists());
    resolve(MODEL, cache.path(), &hub, true).await.unwrap();
    assert!(dir.join("onnx/model.onnx").is_file());
}

#[tokio::test]
async fn a_hub_without_a_required_file_leaves_no_half_model() {
    let (broken, _) = hub(vec!["model.safetensors"]).await;
    let cache = tempfile::tempdir().unwrap();
    match resolve(MODEL, cache.path(), &broken, false).await {
        Err(LoadError::Download(reason)) => assert!(reason.contains("404"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // Offline, the cache has nothing usable: it says so instead of loading half a model.
    let offline = Hub {
        offline: true,
        ..broken
    };
    match resolve(MODEL, cache.path(), &offline, false).await {
        Err(LoadError::Model(reason)) => assert!(reason.contains("HF_HUB_OFFLINE"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A working hub completes it.
    let (good, _) = hub(vec![]).await;
    let dir = resolve(MODEL, cache.path(), &good, false).await.unwrap();
    assert!(dir.join("model.safetensors").is_file());
}

#[tokio::test]
async fn the_hugging_face_cache_is_used_before_any_download() {
    let (hub, requests) = hub(vec![]).await;
    let hf_home = tempfile::tempdir().unwrap();
    let snapshot = hf_home
        .path()
        .join("hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/0123abcd");
    std::fs::create_dir_all(&snapshot).unwrap();
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        std::fs::copy(hearth_testkit::model_dir().join(file), snapshot.join(file)).unwrap();
    }
    let hub = Hub {
        hf_home: Some(hf_home.path().to_path_buf()),
        ..hub
    };
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(
        resolve(MODEL, cache.path(), &hub, false).await.unwrap(),
        snapshot
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bad_model_names_and_incomplete_directories_are_refused() {
    let (hub, requests) = hub(vec![]).await;
    let cache = tempfile::tempdir().unwrap();
    for spec in ["no-slash", "../etc/passwd", "a/b/c", "org/.."] {
        match resolve(spec, cache.path(), &hub, false).await {
            Err(LoadError::Model(reason)) => assert!(reason.contains(spec), "{reason}"),
            other => panic!("{spec}: {other:?}"),
        }
    }
    let empty = tempfile::tempdir().unwrap();
    match resolve(
        &empty.path().display().to_string(),
        cache.path(),
        &hub,
        false,
    )
    .await
    {
        Err(LoadError::Model(reason)) => assert!(reason.contains("model.safetensors"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}
