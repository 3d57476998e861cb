//! Cutting extracted documents into passages: each section (a page, or the text under a heading)
//! is split on its own, so no passage spans two pages or two headings and each keeps its place for
//! citations. Splitting (text-splitter) prefers the largest structural unit that fits — Markdown
//! headings and blocks, then paragraphs, sentences, words — up to `CHUNK_SIZE` characters, with
//! `CHUNK_OVERLAP` characters carried between neighbours.

use hearth_core::seams::ExtractedDocument;
use hearth_db::NewPassage;
use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};

/// Splits documents into passages of a configured size.
#[derive(Debug)]
pub struct Chunker {
    text: TextSplitter<text_splitter::Characters>,
    markdown: MarkdownSplitter<text_splitter::Characters>,
}

impl Chunker {
    /// A chunker of `size` characters with `overlap` shared (overlap < size, checked by settings).
    pub fn new(size: usize, overlap: usize) -> Self {
        let config = || {
            ChunkConfig::new(size.max(1))
                .with_overlap(overlap.min(size.saturating_sub(1)))
                .expect("overlap is smaller than the size")
                .with_trim(true)
        };
        Self {
            text: TextSplitter::new(config()),
            markdown: MarkdownSplitter::new(config()),
        }
    }

    /// The passages of a document, in reading order. `markdown` splits on Markdown structure.
    pub fn passages(&self, document: &ExtractedDocument, markdown: bool) -> Vec<NewPassage> {
        let mut passages = Vec::new();
        for section in &document.sections {
            let pieces: Vec<&str> = if markdown {
                self.markdown.chunks(&section.text).collect()
            } else {
                self.text.chunks(&section.text).collect()
            };
            for piece in pieces {
                if piece.trim().is_empty() {
                    continue;
                }
                passages.push(NewPassage {
                    text: piece.to_owned(),
                    page: section.page,
                    heading: section.heading.clone(),
                });
            }
        }
        passages
    }
}

/// The text embedded for a passage: its heading first when the passage does not already start
/// with it, so a passage deep under a heading still carries what it is about.
pub fn embedding_text(passage: &NewPassage) -> String {
    match &passage.heading {
        Some(heading)
            if !passage
                .text
                .trim_start_matches('#')
                .trim_start()
                .starts_with(heading.as_str()) =>
        {
            format!("{heading}\n{}", passage.text)
        }
        _ => passage.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use hearth_core::seams::ExtractedSection;

    use super::*;

    fn section(text: &str, page: Option<u32>, heading: Option<&str>) -> ExtractedSection {
        ExtractedSection {
            text: text.into(),
            page,
            heading: heading.map(str::to_owned),
        }
    }

    #[test]
    fn passages_stay_within_sections_and_the_size() {
        let long = "A sentence of some words here. ".repeat(40);
        let document = ExtractedDocument {
            sections: vec![
                section(&long, Some(1), None),
                section("Short page.", Some(2), Some("H")),
            ],
            title: None,
        };
        let passages = Chunker::new(200, 20).passages(&document, false);
        assert!(passages.len() > 5);
        assert!(passages.iter().all(|p| p.text.chars().count() <= 200));
        let last = passages.last().unwrap();
        assert_eq!(
            (last.text.as_str(), last.page, last.heading.as_deref()),
            ("Short page.", Some(2), Some("H"))
        );
        assert!(
            passages[..passages.len() - 1]
                .iter()
                .all(|p| p.page == Some(1))
        );
    }

    #[test]
    fn markdown_splits_on_structure_and_headings_lead_embeddings() {
        let text = format!(
            "## Hives\n\n{}\n\n{}",
            "Bees dance. ".repeat(10),
            "Wax melts. ".repeat(10)
        );
        let document = ExtractedDocument {
            sections: vec![section(&text, None, Some("Hives"))],
            title: None,
        };
        let passages = Chunker::new(150, 0).passages(&document, true);
        assert!(passages.len() >= 2);
        assert!(passages[0].text.starts_with("## Hives"));
        assert_eq!(embedding_text(&passages[0]), passages[0].text);
        assert!(embedding_text(&passages[1]).starts_with("Hives\n"));
    }
}
