//! The built-in parsers, chosen by file extension (then content type, then a UTF-8 check).
//!
//! Every parser writes through [`Sections`](crate::builder::Sections), which holds the output to
//! the character limit, and reads archives through [`SafeZip`](crate::zipsafe::SafeZip).

mod epub;
pub(crate) mod html;
mod office;
mod pdf;
mod sheet;
mod text;

use hearth_core::seams::{ExtractInput, ExtractedDocument};

use crate::{ExtractError, Limits};

/// The kinds of document the built-in parsers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    Pptx,
    /// XLSX, XLSM, XLSB, XLS and ODS workbooks.
    Spreadsheet,
    Csv,
    Html,
    Markdown,
    Epub,
    Json,
    /// Plain text and source code.
    Text,
}

/// Extensions read as plain text (prose, configuration and source code).
const TEXT_EXTENSIONS: &[&str] = &[
    "txt", "text", "log", "rst", "adoc", "org", "tex", "ini", "cfg", "conf", "toml", "yaml", "yml",
    "xml", "tsv", "rs", "py", "js", "mjs", "ts", "tsx", "jsx", "java", "kt", "go", "c", "h", "cc",
    "cpp", "hpp", "cs", "rb", "php", "swift", "scala", "sh", "bash", "zsh", "sql", "r", "lua",
    "pl", "hs", "ex", "exs", "erl", "clj", "dart", "vue", "svelte", "css", "scss", "proto",
];

impl Format {
    /// The format of a document, or `None` when no built-in parser reads it.
    pub fn detect(filename: &str, content_type: Option<&str>, data: &[u8]) -> Option<Format> {
        let extension = filename
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        let by_extension = match extension.as_deref() {
            Some("pdf") => Some(Format::Pdf),
            Some("docx") => Some(Format::Docx),
            Some("pptx") => Some(Format::Pptx),
            Some("xlsx" | "xlsm" | "xlsb" | "xls" | "ods") => Some(Format::Spreadsheet),
            Some("csv") => Some(Format::Csv),
            Some("html" | "htm" | "xhtml") => Some(Format::Html),
            Some("md" | "markdown" | "mdx") => Some(Format::Markdown),
            Some("epub") => Some(Format::Epub),
            Some("json" | "jsonl" | "ndjson") => Some(Format::Json),
            Some(ext) if TEXT_EXTENSIONS.contains(&ext) => Some(Format::Text),
            _ => None,
        };
        if by_extension.is_some() {
            return by_extension;
        }
        let by_type = match content_type.map(|t| t.split(';').next().unwrap_or(t).trim()) {
            Some("application/pdf") => Some(Format::Pdf),
            Some("text/html" | "application/xhtml+xml") => Some(Format::Html),
            Some("text/markdown") => Some(Format::Markdown),
            Some("text/csv") => Some(Format::Csv),
            Some("application/json") => Some(Format::Json),
            Some("application/epub+zip") => Some(Format::Epub),
            Some(t) if t.ends_with("wordprocessingml.document") => Some(Format::Docx),
            Some(t) if t.ends_with("presentationml.presentation") => Some(Format::Pptx),
            Some(t) if t.ends_with("spreadsheetml.sheet") => Some(Format::Spreadsheet),
            _ => None,
        };
        by_type.or_else(|| std::str::from_utf8(data).is_ok().then_some(Format::Text))
    }
}

/// Extracts a document with the built-in parsers, in the calling thread.
pub fn extract(input: &ExtractInput, limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let format = Format::detect(&input.filename, input.content_type.as_deref(), &input.data)
        .ok_or_else(|| {
            ExtractError::Unsupported(format!(
                "no built-in parser reads `{}`{}",
                input.filename,
                input
                    .content_type
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ))
        })?;
    let data = &input.data[..];
    match format {
        Format::Pdf => pdf::extract(data, limits),
        Format::Docx => office::docx(data, limits),
        Format::Pptx => office::pptx(data, limits),
        Format::Spreadsheet => sheet::workbook(data, limits),
        Format::Csv => sheet::csv(utf8(data)?, limits),
        Format::Html => html::extract(utf8_lossy(data), limits, false),
        Format::Markdown => text::markdown(utf8(data)?, limits),
        Format::Epub => epub::extract(data, limits),
        Format::Json => text::json(utf8(data)?, limits),
        Format::Text => text::plain(utf8(data)?, limits),
    }
}

fn utf8(data: &[u8]) -> Result<&str, ExtractError> {
    // A byte-order mark is not text.
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    std::str::from_utf8(data)
        .map_err(|_| ExtractError::Invalid("the file is not UTF-8 text".into()))
}

fn utf8_lossy(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected_by_extension_then_type_then_content() {
        assert_eq!(Format::detect("a.PDF", None, b""), Some(Format::Pdf));
        assert_eq!(Format::detect("main.rs", None, b""), Some(Format::Text));
        assert_eq!(
            Format::detect("upload", Some("text/html; charset=utf-8"), b""),
            Some(Format::Html)
        );
        assert_eq!(
            Format::detect("blob", None, b"plain words"),
            Some(Format::Text)
        );
        assert_eq!(Format::detect("blob", None, &[0xff, 0xfe, 0x00]), None);
    }
}
