//! File names and content types: names are sanitised and checked against the allowed extensions;
//! content types are sniffed from the bytes, never taken from the client.

use crate::DriveError;

/// Longest stored name, in bytes (what most filesystems accept, so downloads save cleanly).
const MAX_NAME_BYTES: usize = 255;

/// The name to store for `raw`: trimmed, without control or bidirectional-override characters
/// (which can make `exe.pdf` look like `fdp.exe`), without trailing dots, at most 255 bytes (the
/// extension kept). Names that try to be paths are refused rather than silently shortened.
pub fn sanitize_filename(raw: &str) -> Result<String, DriveError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DriveError::Invalid("filename: is required".into()));
    }
    if name.contains(['/', '\\', '\0']) || name == "." || name == ".." || name.starts_with("../") {
        return Err(DriveError::Invalid(format!(
            "filename: `{}` is a path; send a plain name without `/`, `\\` or `..`",
            name.escape_debug()
        )));
    }
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let cleaned = cleaned.trim().trim_end_matches(['.', ' ']).to_owned();
    if cleaned.is_empty() || cleaned == ".." {
        return Err(DriveError::Invalid(format!(
            "filename: `{}` has no usable characters",
            name.escape_debug()
        )));
    }
    Ok(truncate_keeping_extension(&cleaned))
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn truncate_keeping_extension(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let extension = extension_of(name)
        .filter(|e| e.len() < 32)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let mut stem_end = MAX_NAME_BYTES - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

/// The extension of a name, without the dot, as written.
fn extension_of(name: &str) -> Option<&str> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then_some(extension)
}

/// Refuses a name whose extension `FILE_ALLOWED_EXTENSIONS` does not list (empty list: all).
pub fn check_extension(name: &str, allowed: &[String]) -> Result<(), DriveError> {
    if allowed.is_empty() {
        return Ok(());
    }
    let extension = extension_of(name).map(str::to_ascii_lowercase);
    let accepted = extension.as_deref().is_some_and(|e| {
        allowed
            .iter()
            .any(|a| a.trim().trim_start_matches('.').eq_ignore_ascii_case(e))
    });
    if accepted {
        return Ok(());
    }
    let listed = allowed
        .iter()
        .map(|a| a.trim().trim_start_matches('.'))
        .collect::<Vec<_>>()
        .join(", ");
    Err(DriveError::UnsupportedType(match extension {
        Some(e) => {
            format!("files of type `.{e}` are not accepted (FILE_ALLOWED_EXTENSIONS: {listed})")
        }
        None => format!(
            "files without an extension are not accepted (FILE_ALLOWED_EXTENSIONS: {listed})"
        ),
    }))
}

/// How many leading bytes [`sniff_content_type`] looks at.
pub const SNIFF_BYTES: usize = 8192;

/// The content type of a file from its first bytes: magic numbers first (images, PDF, archives,
/// office documents…); text is recognised as valid UTF-8 and then named by the extension (Markdown,
/// CSV, JSON…); anything else is `application/octet-stream`.
pub fn sniff_content_type(head: &[u8], filename: &str) -> String {
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        // ZIP-based office documents are recognised as plain ZIP by magic alone; the name tells them
        // apart when it agrees.
        if mime == "application/zip" {
            let guessed = guess_from_name(filename);
            if guessed.starts_with("application/vnd.openxmlformats")
                || guessed.starts_with("application/vnd.oasis")
                || guessed == "application/epub+zip"
            {
                return guessed;
            }
        }
        return mime.to_owned();
    }
    if head.is_empty() || looks_like_text(head) {
        let guessed = guess_from_name(filename);
        let textual = guessed.starts_with("text/")
            || matches!(
                guessed.as_str(),
                "application/json"
                    | "application/xml"
                    | "application/javascript"
                    | "application/toml"
                    | "application/x-sh"
            );
        return if textual {
            guessed
        } else {
            "text/plain".to_owned()
        };
    }
    "application/octet-stream".to_owned()
}

fn guess_from_name(filename: &str) -> String {
    match extension_of(filename)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("md" | "markdown") => "text/markdown".to_owned(),
        _ => mime_guess::from_path(filename)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .to_owned(),
    }
}

/// Valid UTF-8 (a character cut off at the end of the sample is fine) without NUL bytes.
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none() && head.len() - error.valid_up_to() < 4,
    }
}

/// Types a browser may display inline from Hearth's origin: they cannot run script there.
pub fn is_inline_safe(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "application/pdf"
            | "text/plain"
            | "audio/mpeg"
            | "video/mp4"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_paths_refused() {
        assert_eq!(sanitize_filename("  report.pdf ").unwrap(), "report.pdf");
        assert_eq!(
            sanitize_filename("evil\u{202E}fdp.exe").unwrap(),
            "evilfdp.exe"
        );
        assert_eq!(sanitize_filename("tab\there.txt").unwrap(), "tabhere.txt");
        assert_eq!(sanitize_filename("trailing...").unwrap(), "trailing");
        for bad in [
            "../../etc/passwd",
            "..\\windows",
            "a/b.txt",
            "..",
            ".",
            "",
            "   ",
            "...",
            "nul\0.txt",
        ] {
            assert!(sanitize_filename(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}.markdown", "é".repeat(300));
        let kept = sanitize_filename(&long).unwrap();
        assert!(kept.len() <= MAX_NAME_BYTES && kept.ends_with(".markdown"));
    }

    #[test]
    fn extensions_are_checked_case_insensitively() {
        let allowed = vec!["pdf".to_owned(), ".MD".to_owned()];
        assert!(check_extension("a.PDF", &allowed).is_ok());
        assert!(check_extension("notes.md", &allowed).is_ok());
        assert!(check_extension("x.exe", &allowed).is_err());
        assert!(check_extension("README", &allowed).is_err());
        assert!(check_extension("anything.bin", &[]).is_ok());
    }

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(
            sniff_content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "photo.txt"),
            "image/png"
        );
        assert_eq!(
            sniff_content_type(b"%PDF-1.7\n", "x.bin"),
            "application/pdf"
        );
        assert_eq!(
            sniff_content_type(b"# Title\n", "notes.md"),
            "text/markdown"
        );
        assert_eq!(sniff_content_type(b"plain words", "x.exe"), "text/plain");
        assert_eq!(
            sniff_content_type(&[0xff, 0x00, 0x13, 0x37], "x.png"),
            "application/octet-stream"
        );
    }
}
