//! The blob store seam over the `object_store` crate: local disk (`DATA_DIR/files`, the default),
//! S3 and S3-compatible servers, Google Cloud Storage and Azure Blob Storage — one implementation,
//! since `object_store` already speaks all four.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use hearth_config::{S3AddressingStyle, StorageProvider, StorageSettings};
use hearth_core::seams::{BlobKey, BlobMeta, BlobStore, ByteStream, SeamError};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

/// Why the configured store cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the file storage (STORAGE_PROVIDER={provider}): {reason}")]
pub struct OpenStoreError {
    provider: &'static str,
    reason: String,
}

/// A [`BlobStore`] on any `object_store` backend.
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    inner: Arc<dyn ObjectStore>,
    backend: &'static str,
}

impl ObjectBlobStore {
    /// Wraps an `object_store` (tests and the benchmark reach the same store this way).
    pub fn new(inner: Arc<dyn ObjectStore>, backend: &'static str) -> Self {
        Self { inner, backend }
    }

    /// The underlying store.
    pub fn inner(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }
}

/// Opens the store the settings name: `DATA_DIR/files` for `local`.
pub fn open_blob_store(
    settings: &StorageSettings,
    data_dir: &Path,
) -> Result<ObjectBlobStore, OpenStoreError> {
    let fail = |provider: &'static str| move |reason: String| OpenStoreError { provider, reason };
    match settings.storage_provider {
        StorageProvider::Local => {
            let root = data_dir.join("files");
            std::fs::create_dir_all(&root)
                .map_err(|e| fail("local")(format!("cannot create {}: {e}", root.display())))?;
            let store = LocalFileSystem::new_with_prefix(&root)
                .map_err(|e| fail("local")(e.to_string()))?
                .with_automatic_cleanup(true);
            Ok(ObjectBlobStore::new(Arc::new(store), "local"))
        }
        StorageProvider::S3 => {
            install_tls_provider();
            let endpoint = settings.s3_endpoint_url.as_deref();
            let virtual_hosted = match settings.s3_addressing_style {
                S3AddressingStyle::Virtual => true,
                S3AddressingStyle::Path => false,
                // AWS itself prefers virtual-hosted; S3-compatible servers mostly want path-style.
                S3AddressingStyle::Auto => endpoint.is_none(),
            };
            let mut builder = AmazonS3Builder::new()
                .with_bucket_name(settings.s3_bucket_name.clone().unwrap_or_default())
                .with_region(
                    settings
                        .s3_region_name
                        .clone()
                        .unwrap_or_else(|| "us-east-1".into()),
                )
                .with_virtual_hosted_style_request(virtual_hosted);
            if let Some(endpoint) = endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"));
            }
            if let Some(key) = &settings.s3_access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = &settings.s3_secret_access_key {
                builder = builder.with_secret_access_key(secret.expose());
            }
            let store = builder.build().map_err(|e| fail("s3")(e.to_string()))?;
            Ok(with_prefix(Arc::new(store), settings, "s3"))
        }
        StorageProvider::Gcs => {
            install_tls_provider();
            let mut builder = GoogleCloudStorageBuilder::new()
                .with_bucket_name(settings.gcs_bucket_name.clone().unwrap_or_default());
            if let Some(key) = &settings.google_application_credentials_json {
                builder = builder.with_service_account_key(key.expose());
            }
            let store = builder.build().map_err(|e| fail("gcs")(e.to_string()))?;
            Ok(with_prefix(Arc::new(store), settings, "gcs"))
        }
        StorageProvider::Azure => {
            install_tls_provider();
            let endpoint = settings.azure_storage_endpoint.clone().unwrap_or_default();
            // `https://{account}.blob.core.windows.net` names the account; emulators put it in the
            // path instead (`http://127.0.0.1:10000/{account}`).
            let account = azure_account(&endpoint).ok_or_else(|| {
                fail("azure")(format!(
                    "AZURE_STORAGE_ENDPOINT `{endpoint}` names no storage account"
                ))
            })?;
            let mut builder = MicrosoftAzureBuilder::new()
                .with_account(account)
                .with_container_name(
                    settings
                        .azure_storage_container_name
                        .clone()
                        .unwrap_or_default(),
                )
                .with_endpoint(endpoint.clone())
                .with_allow_http(endpoint.starts_with("http://"));
            if let Some(key) = &settings.azure_storage_key {
                builder = builder.with_access_key(key.expose());
            }
            let store = builder.build().map_err(|e| fail("azure")(e.to_string()))?;
            Ok(with_prefix(Arc::new(store), settings, "azure"))
        }
    }
}

fn with_prefix(
    store: Arc<dyn ObjectStore>,
    settings: &StorageSettings,
    backend: &'static str,
) -> ObjectBlobStore {
    let prefix = settings
        .s3_key_prefix
        .as_deref()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty());
    match prefix {
        Some(prefix) => ObjectBlobStore::new(
            Arc::new(PrefixStore::new(store, ObjectPath::from(prefix))),
            backend,
        ),
        None => ObjectBlobStore::new(store, backend),
    }
}

fn azure_account(endpoint: &str) -> Option<String> {
    let rest = endpoint.split_once("://")?.1;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.split(':').next()?;
    if let Some(account) = host.split('.').next().filter(|_| host.contains(".blob.")) {
        return Some(account.to_owned());
    }
    path.split('/')
        .next()
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// object_store's HTTP client uses reqwest with rustls and no bundled crypto provider: Hearth's one
/// TLS stack (ring) is installed as the process default before the first client is built.
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn path(key: &BlobKey) -> ObjectPath {
    ObjectPath::from(key.as_str())
}

impl ObjectBlobStore {
    fn error(&self, error: object_store::Error) -> SeamError {
        match error {
            object_store::Error::NotFound { path, .. } => SeamError::NotFound(path),
            other => SeamError::Unavailable {
                service: format!("file storage ({})", self.backend),
                reason: other.to_string(),
            },
        }
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<(), SeamError> {
        self.inner
            .put(&path(key), PutPayload::from_bytes(data))
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<ByteStream, SeamError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .inner
            .get_opts(&path(key), options)
            .await
            .map_err(|e| self.error(e))?;
        let this = self.clone();
        Ok(result.into_stream().map_err(move |e| this.error(e)).boxed())
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>, SeamError> {
        match self.inner.head(&path(key)).await {
            Ok(meta) => Ok(Some(BlobMeta {
                key: key.clone(),
                size: meta.size,
                modified_at: meta.last_modified.timestamp(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(self.error(other)),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), SeamError> {
        match self.inner.delete(&path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(self.error(other)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, SeamError> {
        let prefix = ObjectPath::from(prefix.trim_end_matches('/'));
        let objects: Vec<_> = self
            .inner
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| self.error(e))?;
        Ok(objects
            .into_iter()
            // The local store's temporary files (`name#N`) are not objects yet.
            .filter_map(|meta| {
                let key = BlobKey::new(meta.location.as_ref()).ok()?;
                Some(BlobMeta {
                    key,
                    size: meta.size,
                    modified_at: meta.last_modified.timestamp(),
                })
            })
            .collect())
    }

    async fn check(&self) -> Result<(), SeamError> {
        // A listing needs working credentials and an existing bucket, and reads at most one page.
        let prefix = ObjectPath::from("chunks");
        let mut listing = self.inner.list(Some(&prefix));
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(error)) => Err(self.error(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_accounts_come_from_the_host_or_the_emulator_path() {
        assert_eq!(
            azure_account("https://acct.blob.core.windows.net").as_deref(),
            Some("acct")
        );
        assert_eq!(
            azure_account("http://127.0.0.1:10000/devstoreaccount1").as_deref(),
            Some("devstoreaccount1")
        );
        assert_eq!(azure_account("nonsense"), None);
    }
}
