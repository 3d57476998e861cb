//! Password hashing with Argon2id (OWASP parameters: 19 MiB, 2 passes), run off the async threads
//! and bounded to one hash per core, so a burst of sign-ins queues instead of exhausting memory.

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use crate::ApiError;

/// Hashes and verifies passwords.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified when the account does not exist, so sign-in takes as long either way. Computed on
    /// first need rather than at start-up.
    dummy_hash: Arc<OnceLock<String>>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::default(),
        }
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|hash: PasswordHash| hash.to_string())
                .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `hash`. With no hash, a dummy is checked so the time taken does not
    /// reveal whether an account exists; the answer is then `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let dummy = self.dummy_hash.clone();
        self.run(move || {
            let (hash, real) = match hash {
                Some(hash) => (hash, true),
                None => (dummy.get_or_init(dummy_hash).clone(), false),
            };
            PasswordHash::new(&hash).map_err(|e| {
                ApiError::Internal(format!("stored password hash is unreadable: {e}"))
            })?;
            Ok(real
                && Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok())
        })
        .await?
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("hasher closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::Internal(format!("hashing task failed: {e}")))
    }
}

fn dummy_hash() -> String {
    let hash: PasswordHash = Argon2::default()
        .hash_password(b"hearth-dummy-password")
        .expect("Argon2 with default parameters hashes");
    hash.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("correct horse".into(), None).await.unwrap());
    }
}
