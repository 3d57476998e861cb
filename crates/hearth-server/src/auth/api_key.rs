//! Personal API keys: `sk-hearth-` followed by 32 random bytes (base64url). Only their SHA-256 digest
//! is stored; a high-entropy key needs no slow hash, and the digest makes lookup a single index probe.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Every key starts with this, so a bearer token can be told apart from a JWT.
pub const API_KEY_PREFIX: &str = "sk-hearth-";
/// Characters of a key kept for display (the prefix and four more).
const DISPLAY_LEN: usize = API_KEY_PREFIX.len() + 4;

/// A freshly generated key: shown once, then only its digest and display prefix remain.
#[derive(Debug)]
pub struct GeneratedKey {
    pub key: String,
    pub display_prefix: String,
    pub digest: String,
}

/// A new random key.
pub fn generate() -> GeneratedKey {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let key = format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    GeneratedKey {
        display_prefix: key[..DISPLAY_LEN].to_owned(),
        digest: digest(&key),
        key,
    }
}

/// Hex SHA-256 of a key.
pub fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a bearer credential is an API key rather than a JWT.
pub fn is_api_key(credential: &str) -> bool {
    credential.starts_with(API_KEY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_digested() {
        let (a, b) = (generate(), generate());
        assert_ne!(a.key, b.key);
        assert!(is_api_key(&a.key) && a.key.len() == API_KEY_PREFIX.len() + 43);
        assert!(a.key.starts_with(&a.display_prefix));
        assert_eq!(a.digest, digest(&a.key));
        assert_eq!(a.digest.len(), 64);
        assert!(!is_api_key("eyJhbGciOiJIUzI1NiJ9.e30.x"));
    }
}
