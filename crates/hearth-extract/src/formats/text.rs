//! Markdown (sections under their headings), JSON and plain text or source code.

use hearth_core::seams::ExtractedDocument;

use crate::builder::Sections;
use crate::{ExtractError, Limits};

/// Plain text and source code: one section, as written.
pub(super) fn plain(text: &str, limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let mut sections = Sections::new(limits.max_chars);
    sections.push(text, None, None)?;
    Ok(sections.finish())
}

/// JSON: kept as written (keys give the values their meaning), after checking it parses.
pub(super) fn json(text: &str, limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let is_lines = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .all(|line| serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok());
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() && !is_lines {
        return Err(ExtractError::Invalid("the file is not valid JSON".into()));
    }
    plain(text, limits)
}

/// Markdown: a section per heading, the heading line kept at its top so chunks keep their context.
/// Lines inside fenced code blocks are never headings.
pub(super) fn markdown(text: &str, limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let mut sections = Sections::new(limits.max_chars);
    let mut heading: Option<String> = None;
    let mut body = String::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if let Some(title) = atx_heading(trimmed) {
            sections.push(&body, None, heading.as_deref())?;
            body.clear();
            heading = Some(title.to_owned());
        }
        body.push_str(line);
        body.push('\n');
    }
    sections.push(&body, None, heading.as_deref())?;
    if let Some(first) = text.lines().find_map(|l| atx_heading(l.trim_start())) {
        sections.set_title(first);
    }
    Ok(sections.finish())
}

/// The title of an ATX heading line (`## Title ##`).
fn atx_heading(line: &str) -> Option<&str> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_sections_follow_headings_but_not_inside_code() {
        let doc = markdown(
            "intro\n# Top\nfirst\n```\n# not a heading\n```\n## Sub ##\nsecond\n",
            &Limits::default(),
        )
        .unwrap();
        let headings: Vec<_> = doc.sections.iter().map(|s| s.heading.as_deref()).collect();
        assert_eq!(headings, [None, Some("Top"), Some("Sub")]);
        assert!(doc.sections[1].text.contains("# not a heading"));
        assert!(doc.sections[2].text.starts_with("## Sub"));
        assert_eq!(doc.title.as_deref(), Some("Top"));
    }

    #[test]
    fn json_must_parse_and_json_lines_are_accepted() {
        assert!(json("{\"a\": 1}", &Limits::default()).is_ok());
        assert!(json("{\"a\": 1}\n{\"b\": 2}\n", &Limits::default()).is_ok());
        assert!(matches!(
            json("{\"a\": ", &Limits::default()),
            Err(ExtractError::Invalid(_))
        ));
    }
}
