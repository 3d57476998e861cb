//! HTML (and XHTML: EPUB chapters, Tika's output) read as a token stream, never as a tree, so deep
//! nesting costs nothing. Headings start sections; scripts, styles and navigation are dropped;
//! `<div class="page">` (Tika's page marks) starts a new page when asked for.

use std::cell::RefCell;

use hearth_core::seams::ExtractedDocument;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use crate::builder::Sections;
use crate::{ExtractError, Limits};

/// Elements whose content is not document text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "svg", "iframe", "object", "canvas",
    "select", "button", "head",
];

/// Elements that end a line of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "td",
    "th",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "table",
    "ul",
    "ol",
    "figure",
    "figcaption",
    "hr",
    "main",
];

/// Extracts an HTML document; `pages` turns Tika's `<div class="page">` marks into page numbers.
pub(crate) fn extract(
    html: impl AsRef<str>,
    limits: &Limits,
    pages: bool,
) -> Result<ExtractedDocument, ExtractError> {
    let sink = Sink {
        state: RefCell::new(State {
            sections: Sections::new(limits.max_chars),
            heading: None,
            capture: None,
            title: None,
            in_title: false,
            skip_depth: 0,
            pre_depth: 0,
            text: String::new(),
            page: None,
            pages,
            failed: None,
        }),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html.as_ref()));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let state = tokenizer.sink.state.into_inner();
    state.finish()
}

struct Sink {
    state: RefCell<State>,
}

struct State {
    sections: Sections,
    heading: Option<String>,
    /// The text of a heading being read.
    capture: Option<String>,
    title: Option<String>,
    in_title: bool,
    /// How many skipped elements are open around the current token.
    skip_depth: usize,
    /// How many `<pre>` elements are open: their whitespace is kept.
    pre_depth: usize,
    /// Text read since the last section was pushed.
    text: String,
    page: Option<u32>,
    pages: bool,
    failed: Option<ExtractError>,
}

impl State {
    fn flush(&mut self) {
        if self.failed.is_some() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        // Markup indentation is not text: lines lose their edges.
        let text: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if let Err(error) = self
            .sections
            .push(&text, self.page, self.heading.as_deref())
        {
            self.failed = Some(error);
        }
    }

    fn finish(mut self) -> Result<ExtractedDocument, ExtractError> {
        self.flush();
        if let Some(error) = self.failed {
            return Err(error);
        }
        if let Some(title) = &self.title {
            self.sections.set_title(title);
        }
        Ok(self.sections.finish())
    }

    fn tag(&mut self, kind: TagKind, name: &str, class: Option<&str>, self_closing: bool) {
        let start = kind == TagKind::StartTag;
        if name == "title" {
            self.in_title = start && !self_closing;
            if start {
                self.title = Some(String::new());
            }
            return;
        }
        if SKIPPED.contains(&name) {
            if start && !self_closing {
                self.skip_depth += 1;
            } else if !start {
                self.skip_depth = self.skip_depth.saturating_sub(1);
            }
            return;
        }
        if self.skip_depth > 0 {
            return;
        }
        let is_heading = matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
        if is_heading {
            if start {
                self.flush();
                self.capture = Some(String::new());
            } else if let Some(heading) = self.capture.take() {
                let heading = collapse(&heading);
                // The heading line opens the section's text too, so chunks keep their context.
                self.text.push_str(&heading);
                self.text.push('\n');
                self.heading = Some(heading);
            }
            return;
        }
        if self.pages
            && start
            && name == "div"
            && class.is_some_and(|c| c.split(' ').any(|c| c == "page"))
        {
            self.flush();
            self.page = Some(self.page.map_or(1, |p| p + 1));
            return;
        }
        if name == "pre" {
            if start {
                self.pre_depth += 1;
            } else {
                self.pre_depth = self.pre_depth.saturating_sub(1);
            }
        }
        if BLOCKS.contains(&name) {
            let target = self.capture.as_mut().unwrap_or(&mut self.text);
            if name == "td" || name == "th" {
                target.push_str(" \t");
            } else {
                target.push('\n');
            }
        }
    }

    fn characters(&mut self, text: &str) {
        if self.in_title {
            if let Some(title) = &mut self.title {
                title.push_str(text);
            }
        } else if self.skip_depth == 0 {
            let target = self.capture.as_mut().unwrap_or(&mut self.text);
            if self.pre_depth > 0 {
                target.push_str(text);
            } else {
                // Runs of whitespace are one space, as a browser shows them.
                let mut last_space = target.ends_with([' ', '\n']);
                for c in text.chars() {
                    if c.is_whitespace() {
                        if !last_space {
                            target.push(' ');
                        }
                        last_space = true;
                    } else {
                        target.push(c);
                        last_space = false;
                    }
                }
            }
            // Keep memory bounded on huge text-only documents: push whole paragraphs as they come.
            if self.capture.is_none() && self.text.len() > 64 * 1024 {
                self.flush();
            }
        }
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                let class = tag
                    .attrs
                    .iter()
                    .find(|a| &*a.name.local == "class")
                    .map(|a| a.value.as_ref());
                state.tag(tag.kind, name, class, tag.self_closing);
                if tag.kind == TagKind::StartTag && !tag.self_closing {
                    // Script and style bodies are raw text, not markup, as in a browser.
                    match name {
                        "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
                        "style" | "noscript" | "iframe" => {
                            return TokenSinkResult::RawData(RawKind::Rawtext);
                        }
                        "title" | "textarea" => return TokenSinkResult::RawData(RawKind::Rcdata),
                        _ => {}
                    }
                }
            }
            Token::CharacterTokens(text) => state.characters(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Whitespace runs collapsed to one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_start_sections_and_noise_is_dropped() {
        let doc = extract(
            "<html><head><title>T</title><style>p{x:1}</style></head><body><nav>Home | About</nav>\
             <h1>Guide</h1><p>intro</p><script>var a = '<h2>x</h2>';</script>\
             <h2>Care  of\nlamps</h2><p>trim the wick</p></body></html>",
            &Limits::default(),
            false,
        )
        .unwrap();
        assert_eq!(doc.title.as_deref(), Some("T"));
        let headings: Vec<_> = doc.sections.iter().map(|s| s.heading.as_deref()).collect();
        assert_eq!(headings, [Some("Guide"), Some("Care of lamps")]);
        let all: String = doc.sections.iter().map(|s| s.text.clone()).collect();
        assert!(!all.contains("Home") && !all.contains("var a") && !all.contains("x:1"));
        assert!(doc.sections[1].text.contains("trim the wick"));
    }

    #[test]
    fn tika_page_divs_become_pages() {
        let doc = extract(
            "<body><div class=\"page\"><p>one</p></div><div class=\"page\"><p>two</p></div></body>",
            &Limits::default(),
            true,
        )
        .unwrap();
        let pages: Vec<_> = doc.sections.iter().map(|s| s.page).collect();
        assert_eq!(pages, [Some(1), Some(2)]);
    }

    #[test]
    fn deep_nesting_is_just_tokens() {
        let html = format!(
            "{}deep text{}",
            "<div>".repeat(200_000),
            "</div>".repeat(200_000)
        );
        let doc = extract(html, &Limits::default(), false).unwrap();
        assert_eq!(doc.sections[0].text, "deep text");
    }
}
