//! Collects a document's sections while holding the output to its character limit.

use hearth_core::seams::{ExtractedDocument, ExtractedSection};

use crate::ExtractError;

/// Appends text under the current page and heading; consecutive text under the same place merges.
#[derive(Debug)]
pub(crate) struct Sections {
    document: ExtractedDocument,
    chars: usize,
    max_chars: usize,
}

impl Sections {
    pub(crate) fn new(max_chars: usize) -> Self {
        Self {
            document: ExtractedDocument::default(),
            chars: 0,
            max_chars,
        }
    }

    /// Adds text found on `page` under `heading`; blank text is dropped.
    pub(crate) fn push(
        &mut self,
        text: &str,
        page: Option<u32>,
        heading: Option<&str>,
    ) -> Result<(), ExtractError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        self.chars += text.chars().count();
        if self.chars > self.max_chars {
            return Err(ExtractError::Limit(format!(
                "the document has more than {} characters of text",
                self.max_chars
            )));
        }
        let heading = heading.map(str::trim).filter(|h| !h.is_empty());
        match self.document.sections.last_mut() {
            Some(last) if last.page == page && last.heading.as_deref() == heading => {
                last.text.push_str("\n\n");
                last.text.push_str(text);
            }
            _ => self.document.sections.push(ExtractedSection {
                text: text.to_owned(),
                page,
                heading: heading.map(str::to_owned),
            }),
        }
        Ok(())
    }

    pub(crate) fn set_title(&mut self, title: &str) {
        let title = title.trim();
        if self.document.title.is_none() && !title.is_empty() {
            self.document.title = Some(title.to_owned());
        }
    }

    pub(crate) fn finish(self) -> ExtractedDocument {
        self.document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_under_the_same_place_merges_and_the_limit_counts_characters() {
        let mut sections = Sections::new(12);
        sections.push("  abc ", Some(1), None).unwrap();
        sections.push("déf", Some(1), None).unwrap();
        sections.push("ghi", Some(2), Some("H")).unwrap();
        sections.push("   ", Some(3), None).unwrap();
        let document = sections.finish();
        assert_eq!(document.sections.len(), 2);
        assert_eq!(document.sections[0].text, "abc\n\ndéf");
        assert_eq!(document.sections[1].heading.as_deref(), Some("H"));

        let mut sections = Sections::new(5);
        sections.push("abc", None, None).unwrap();
        assert!(matches!(
            sections.push("def", None, None),
            Err(ExtractError::Limit(_))
        ));
    }
}
