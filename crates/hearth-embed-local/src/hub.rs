//! Finding a model: `RAG_EMBEDDING_MODEL` is a directory, or a Hugging Face id (`org/name`) looked
//! up in Hearth's model cache, then in the Hugging Face cache (`HF_HOME`, `~/.cache/huggingface`),
//! then downloaded from the hub (`HF_ENDPOINT`, default `https://huggingface.co`) into Hearth's
//! cache — unless `HF_HUB_OFFLINE=1`. With `with_onnx` the model's ONNX graph (`onnx/model.onnx`)
//! is fetched too, when the hub has one (also into an earlier download that lacks it). Downloads
//! are written to a temporary name and renamed, so an interrupted download never leaves a half
//! model behind.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::{LoadError, ONNX_MODEL};

/// The files a model needs, and those it may have.
const REQUIRED: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];
const OPTIONAL: &[&str] = &["sentence_bert_config.json", "1_Pooling/config.json"];

/// Where models come from: the hub and the Hugging Face cache.
#[derive(Clone, Debug)]
pub struct Hub {
    /// The hub's base URL (`HF_ENDPOINT`).
    pub endpoint: String,
    /// Never download (`HF_HUB_OFFLINE`).
    pub offline: bool,
    /// The Hugging Face cache's root (`HF_HOME`, else `~/.cache/huggingface`).
    pub hf_home: Option<PathBuf>,
}

impl Hub {
    /// Read from Hugging Face's own variables (`HF_ENDPOINT`, `HF_HUB_OFFLINE`, `HF_HOME`), as every
    /// Hugging Face client reads them; they are not Hearth's settings.
    #[allow(clippy::disallowed_methods)]
    pub fn from_env() -> Self {
        Self {
            endpoint: std::env::var("HF_ENDPOINT")
                .unwrap_or_else(|_| "https://huggingface.co".into()),
            offline: std::env::var("HF_HUB_OFFLINE")
                .is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            hf_home: std::env::var_os("HF_HOME").map(PathBuf::from).or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/huggingface"))
            }),
        }
    }
}

/// The directory holding the model `spec`, downloading it from `hub` into `cache` when needed.
pub async fn resolve(
    spec: &str,
    cache: &Path,
    hub: &Hub,
    with_onnx: bool,
) -> Result<PathBuf, LoadError> {
    let as_path = Path::new(spec);
    if as_path.is_dir() {
        return complete(as_path)
            .then(|| as_path.to_path_buf())
            .ok_or_else(|| {
                LoadError::Model(format!("{spec} lacks one of {}", REQUIRED.join(", ")))
            });
    }
    let Some((org, name)) = spec.split_once('/').filter(|(o, n)| valid(o) && valid(n)) else {
        return Err(LoadError::Model(format!(
            "`{spec}` is neither a model directory nor a Hugging Face model id (org/name)"
        )));
    };
    let ours = cache.join(format!("{org}--{name}"));
    if complete(&ours) {
        if with_onnx && !hub.offline && !ours.join(ONNX_MODEL).is_file() {
            download(&hub.endpoint, org, name, &ours, &[(ONNX_MODEL, false)]).await?;
        }
        return Ok(ours);
    }
    if let Some(found) = hub
        .hf_home
        .as_deref()
        .and_then(|home| in_hf_cache(home, org, name))
    {
        return Ok(found);
    }
    if hub.offline {
        return Err(LoadError::Model(format!(
            "model {spec} is not cached and HF_HUB_OFFLINE is set; put it in {} or point RAG_EMBEDDING_MODEL at its directory",
            ours.display()
        )));
    }
    let files: Vec<(&str, bool)> = REQUIRED
        .iter()
        .map(|&f| (f, true))
        .chain(OPTIONAL.iter().map(|&f| (f, false)))
        .chain(with_onnx.then_some((ONNX_MODEL, false)))
        .collect();
    download(&hub.endpoint, org, name, &ours, &files).await?;
    Ok(ours)
}

fn valid(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn complete(dir: &Path) -> bool {
    REQUIRED.iter().all(|file| dir.join(file).is_file())
}

/// A snapshot of the model in the Hugging Face cache layout (`models--org--name/snapshots/*`).
fn in_hf_cache(home: &Path, org: &str, name: &str) -> Option<PathBuf> {
    let snapshots = home
        .join("hub")
        .join(format!("models--{org}--{name}"))
        .join("snapshots");
    std::fs::read_dir(snapshots)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|dir| complete(dir))
}

/// Fetches `files` (path, required) of the model into `target`; a missing optional file is skipped.
async fn download(
    endpoint: &str,
    org: &str,
    name: &str,
    target: &Path,
    files: &[(&str, bool)],
) -> Result<(), LoadError> {
    // rustls with ring is the build's one TLS stack; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| LoadError::Download(e.to_string()))?;
    tracing::info!(model = %format!("{org}/{name}"), %endpoint, "downloading the embedding model");
    for &(file, required) in files {
        let url = format!(
            "{}/{org}/{name}/resolve/main/{file}",
            endpoint.trim_end_matches('/')
        );
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| LoadError::Download(format!("{url}: {e}")))?;
        if !response.status().is_success() {
            if required {
                return Err(LoadError::Download(format!(
                    "{url} answered {}",
                    response.status()
                )));
            }
            continue;
        }
        let path = target.join(file);
        let parent = path.parent().unwrap_or(target);
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
        let partial = path.with_extension("partial");
        let mut out = tokio::fs::File::create(&partial).await.map_err(io)?;
        let mut body = response.bytes_stream();
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|e| LoadError::Download(format!("{url}: {e}")))?;
            out.write_all(&piece).await.map_err(io)?;
        }
        out.sync_all().await.map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)?;
    }
    Ok(())
}

fn io(error: std::io::Error) -> LoadError {
    LoadError::Download(error.to_string())
}
