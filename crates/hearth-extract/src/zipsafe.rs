//! Reads the archives inside DOCX, PPTX, XLSX and EPUB without letting a zip bomb unpack.

use std::cell::Cell;
use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::{ExtractError, Limits};

/// A zip archive whose entries are unpacked under a total budget and a per-entry ratio limit. Sizes
/// are checked twice: as declared in the archive (cheap, refuses most bombs before any work) and as
/// actually unpacked (a lying header is cut off at the budget).
pub(crate) struct SafeZip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    remaining: Cell<u64>,
    max_ratio: u64,
}

impl<'a> SafeZip<'a> {
    pub(crate) fn open(data: &'a [u8], limits: &Limits, what: &str) -> Result<Self, ExtractError> {
        let archive = ZipArchive::new(Cursor::new(data))
            .map_err(|e| ExtractError::Invalid(format!("not a valid {what} (zip): {e}")))?;
        let mut zip = Self {
            archive,
            remaining: Cell::new(limits.max_unpacked),
            max_ratio: limits.max_ratio,
        };
        zip.check_declared_sizes(limits)?;
        Ok(zip)
    }

    /// Refuses archives whose declared sizes already break the limits (before any unpacking).
    fn check_declared_sizes(&mut self, limits: &Limits) -> Result<(), ExtractError> {
        let mut total: u64 = 0;
        for index in 0..self.archive.len() {
            let entry = self
                .archive
                .by_index_raw(index)
                .map_err(|e| ExtractError::Invalid(format!("damaged archive entry: {e}")))?;
            let (size, packed) = (entry.size(), entry.compressed_size().max(1));
            total = total.saturating_add(size);
            if size / packed > limits.max_ratio || total > limits.max_unpacked {
                return Err(bomb(&entry.name().unwrap_or_default(), size));
            }
        }
        Ok(())
    }

    /// The entry names, in archive order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .map(|name| name.into_owned())
            .collect()
    }

    /// Unpacks one entry as text, or `None` when the archive has no such entry.
    pub(crate) fn read_text(&mut self, name: &str) -> Result<Option<String>, ExtractError> {
        let Some(bytes) = self.read(name)? else {
            return Ok(None);
        };
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ExtractError::Invalid(format!("`{name}` in the archive is not UTF-8")))
    }

    /// Unpacks one entry, or `None` when the archive has no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let remaining = self.remaining.get();
        let max_ratio = self.max_ratio;
        let mut entry = match self.archive.by_name(name) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(ExtractError::Invalid(format!("cannot read `{name}`: {e}"))),
        };
        let declared = entry.size();
        let packed = entry.compressed_size().max(1);
        if declared / packed > max_ratio {
            return Err(bomb(name, declared));
        }
        if declared > remaining {
            return Err(bomb(name, declared));
        }
        // Never trust the declared size: read at most the budget (and the ratio) allows.
        let cap = remaining.min(packed.saturating_mul(max_ratio));
        let mut bytes = Vec::with_capacity(usize::try_from(declared.min(cap)).unwrap_or(0));
        (&mut entry)
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ExtractError::Invalid(format!("cannot unpack `{name}`: {e}")))?;
        let unpacked = bytes.len() as u64;
        if unpacked > cap {
            return Err(bomb(name, unpacked));
        }
        self.remaining.set(remaining - unpacked);
        Ok(Some(bytes))
    }
}

fn bomb(name: &str, size: u64) -> ExtractError {
    ExtractError::Limit(format!(
        "`{name}` inside the archive unpacks to {size} bytes or more, past the unpacking limits (a zip bomb?)"
    ))
}
