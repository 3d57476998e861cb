//! Upload checksums (the tus checksum extension): `Upload-Checksum: <algorithm> <base64 digest>`
//! over one request's body, checked before any of its bytes are acknowledged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::DriveError;

/// The algorithms Hearth checks, as tus names them (`Tus-Checksum-Algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Sha1,
    Sha256,
    Md5,
}

impl ChecksumAlgorithm {
    /// Every supported algorithm, as listed in `Tus-Checksum-Algorithm`.
    pub const ADVERTISED: &'static str = "sha1,sha256,md5";
}

/// A digest the client expects its body to have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub expected: Vec<u8>,
}

impl Checksum {
    /// Parses an `Upload-Checksum` header value.
    pub fn parse(header: &str) -> Result<Self, DriveError> {
        let (name, digest) = header.trim().split_once(' ').ok_or_else(|| {
            DriveError::BadRequest("Upload-Checksum must be `<algorithm> <base64 digest>`".into())
        })?;
        let algorithm = match name.to_ascii_lowercase().as_str() {
            "sha1" => ChecksumAlgorithm::Sha1,
            "sha256" => ChecksumAlgorithm::Sha256,
            "md5" => ChecksumAlgorithm::Md5,
            other => {
                return Err(DriveError::BadRequest(format!(
                    "checksum algorithm `{other}` is not supported (use one of {})",
                    ChecksumAlgorithm::ADVERTISED
                )));
            }
        };
        let expected = STANDARD.decode(digest.trim()).map_err(|_| {
            DriveError::BadRequest("the Upload-Checksum digest is not valid base64".into())
        })?;
        Ok(Self {
            algorithm,
            expected,
        })
    }

    pub(crate) fn hasher(&self) -> ChecksumHasher {
        match self.algorithm {
            ChecksumAlgorithm::Sha1 => ChecksumHasher::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => ChecksumHasher::Sha256(Sha256::new()),
            ChecksumAlgorithm::Md5 => ChecksumHasher::Md5(Md5::new()),
        }
    }

    pub(crate) fn matches(&self, hasher: ChecksumHasher) -> bool {
        hasher.finish() == self.expected
    }
}

/// A running digest of one request's body.
pub(crate) enum ChecksumHasher {
    Sha1(Sha1),
    Sha256(Sha256),
    Md5(Md5),
}

impl ChecksumHasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            ChecksumHasher::Sha1(h) => h.update(bytes),
            ChecksumHasher::Sha256(h) => h.update(bytes),
            ChecksumHasher::Md5(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            ChecksumHasher::Sha1(h) => h.finalize().to_vec(),
            ChecksumHasher::Sha256(h) => h.finalize().to_vec(),
            ChecksumHasher::Md5(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_digests() {
        // sha1("hello") in base64.
        let checksum = Checksum::parse("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=").unwrap();
        let mut hasher = checksum.hasher();
        hasher.update(b"hel");
        hasher.update(b"lo");
        assert!(checksum.matches(hasher));
        let mut wrong = checksum.hasher();
        wrong.update(b"hello!");
        assert!(!checksum.matches(wrong));
        assert!(Checksum::parse("crc32 AAAA").is_err());
        assert!(Checksum::parse("sha1 !!!").is_err());
        assert!(Checksum::parse("sha1").is_err());
    }
}
