//! Encryption of stored provider keys (XChaCha20-Poly1305) with a key derived from
//! `HEARTH_ENCRYPTION_KEY`. Each ciphertext is bound to the row it belongs to (associated data), so
//! a key copied into another connection's row does not decrypt.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// Prefix naming the format, so the scheme can change without guessing.
const VERSION: &str = "v1:";
const NONCE_LEN: usize = 24;

/// Encrypts and decrypts small secrets for storage.
#[derive(Clone)]
pub struct KeyCipher {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCipher([redacted])")
    }
}

/// A stored secret that cannot be decrypted: another key, another row, or tampering.
#[derive(Debug, thiserror::Error)]
#[error("a stored secret cannot be decrypted (was HEARTH_ENCRYPTION_KEY changed?)")]
pub struct UndecryptableSecret;

impl KeyCipher {
    /// A cipher keyed by SHA-256 of `key_material` (at least 32 characters, checked at start).
    pub fn new(key_material: &str) -> Self {
        let digest: [u8; 32] = Sha256::digest(key_material.as_bytes()).into();
        Self {
            cipher: XChaCha20Poly1305::new(&Key::from(digest)),
        }
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag), bound to `context` (e.g. the row's id).
    pub fn encrypt(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("encrypting a short secret in memory cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", STANDARD.encode(out))
    }

    /// The plaintext of a value made by [`KeyCipher::encrypt`] with the same key and context.
    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, UndecryptableSecret> {
        let encoded = stored.strip_prefix(VERSION).ok_or(UndecryptableSecret)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| UndecryptableSecret)?;
        if bytes.len() < NONCE_LEN {
            return Err(UndecryptableSecret);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| UndecryptableSecret)?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| UndecryptableSecret)?;
        String::from_utf8(plain).map_err(|_| UndecryptableSecret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_only_with_the_same_key_and_context() {
        let cipher = KeyCipher::new("an-encryption-key-of-enough-length-0123");
        let stored = cipher.encrypt("sk-live-secret", "connection:1");
        assert!(stored.starts_with("v1:"));
        assert!(!stored.contains("sk-live-secret"));
        assert_ne!(
            stored,
            cipher.encrypt("sk-live-secret", "connection:1"),
            "fresh nonce each time"
        );
        assert_eq!(
            cipher.decrypt(&stored, "connection:1").unwrap(),
            "sk-live-secret"
        );
        assert!(
            cipher.decrypt(&stored, "connection:2").is_err(),
            "bound to its row"
        );
        assert!(
            KeyCipher::new("another-encryption-key-of-enough-length")
                .decrypt(&stored, "connection:1")
                .is_err()
        );
        let mut tampered = stored.clone();
        tampered.replace_range(10..11, if &stored[10..11] == "A" { "B" } else { "A" });
        assert!(cipher.decrypt(&tampered, "connection:1").is_err());
        assert!(cipher.decrypt("plain text", "connection:1").is_err());
    }
}
