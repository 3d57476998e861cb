//! PDF: text page by page (pdf-extract over lopdf), so every passage keeps its page number.

use hearth_core::seams::ExtractedDocument;
use pdf_extract::{Document, PlainTextOutput};

use crate::builder::Sections;
use crate::{ExtractError, Limits};

pub(super) fn extract(data: &[u8], limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    if !data.starts_with(b"%PDF-")
        && !data[..data.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        return Err(ExtractError::Invalid("the file is not a PDF".into()));
    }
    let document = Document::load_mem(data)
        .map_err(|e| ExtractError::Invalid(format!("the PDF cannot be read: {e}")))?;
    if document.is_encrypted() {
        return Err(ExtractError::Invalid("the PDF is encrypted".into()));
    }
    let pages = document.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::Invalid("the PDF has no pages".into()));
    }
    if pages.len() > limits.max_pages as usize {
        return Err(ExtractError::Limit(format!(
            "the PDF has {} pages; the limit is {}",
            pages.len(),
            limits.max_pages
        )));
    }
    let mut sections = Sections::new(limits.max_chars);
    for &number in pages.keys() {
        let mut text = String::new();
        {
            let mut output = PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&document, &mut output, number).map_err(|e| {
                ExtractError::Invalid(format!("page {number} of the PDF cannot be read: {e}"))
            })?;
        }
        sections.push(&text, Some(number), None)?;
    }
    Ok(sections.finish())
}
