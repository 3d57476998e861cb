//! Word documents (paragraphs under their headings) and PowerPoint decks (a page per slide, headed
//! by the slide's title), read from their Office Open XML parts.

use hearth_core::seams::ExtractedDocument;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::builder::Sections;
use crate::zipsafe::SafeZip;
use crate::{ExtractError, Limits};

/// A `.docx`: `word/document.xml`, paragraph by paragraph; paragraphs styled `Heading N` or
/// `Title` start sections.
pub(super) fn docx(data: &[u8], limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let mut zip = SafeZip::open(data, limits, "Word document")?;
    let xml = zip
        .read_text("word/document.xml")?
        .ok_or_else(|| ExtractError::Invalid("the archive is not a Word document".into()))?;
    let mut sections = Sections::new(limits.max_chars);
    let mut heading: Option<String> = None;
    let mut body = String::new();
    let mut paragraph = String::new();
    let mut is_heading = false;
    let mut in_text = false;
    let mut reader = Reader::from_str(&xml);
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) if local(&e) == "pStyle" => {
                let style = attribute(&e, "val").unwrap_or_default();
                is_heading = style.starts_with("Heading") || style == "Title";
            }
            Event::Start(e) if local(&e) == "t" => in_text = true,
            Event::Empty(e) if local(&e) == "tab" => paragraph.push('\t'),
            Event::Empty(e) if matches!(local(&e), "br" | "cr") => paragraph.push('\n'),
            Event::Text(text) if in_text => paragraph.push_str(&text.xml10_content()),
            Event::GeneralRef(r) if in_text => paragraph.push_str(&entity(&r)),
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    let text = std::mem::take(&mut paragraph);
                    if is_heading && !text.trim().is_empty() {
                        sections.push(&body, None, heading.as_deref())?;
                        body.clear();
                        heading = Some(text.trim().to_owned());
                    }
                    body.push_str(&text);
                    body.push('\n');
                    is_heading = false;
                }
                "tc" => paragraph.push_str(" \t"),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    sections.push(&body, None, heading.as_deref())?;
    Ok(sections.finish())
}

/// A `.pptx`: `ppt/slides/slideN.xml` in slide order, each a page headed by its title shape.
pub(super) fn pptx(data: &[u8], limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let mut zip = SafeZip::open(data, limits, "PowerPoint deck")?;
    let mut slides: Vec<(u32, String)> = zip
        .names()
        .into_iter()
        .filter_map(|name| {
            let number = name
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((number, name))
        })
        .collect();
    if slides.is_empty() {
        return Err(ExtractError::Invalid(
            "the archive is not a PowerPoint deck".into(),
        ));
    }
    if slides.len() > limits.max_pages as usize {
        return Err(ExtractError::Limit(format!(
            "the deck has {} slides; the limit is {}",
            slides.len(),
            limits.max_pages
        )));
    }
    slides.sort();
    let mut sections = Sections::new(limits.max_chars);
    for (number, name) in slides {
        let xml = zip.read_text(&name)?.unwrap_or_default();
        let (title, text) = slide_text(&xml)?;
        sections.push(&text, Some(number), title.as_deref())?;
    }
    Ok(sections.finish())
}

/// A slide's title (the text of its title placeholder) and all of its text.
fn slide_text(xml: &str) -> Result<(Option<String>, String), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut title = None;
    let mut text = String::new();
    let mut shape = String::new();
    let mut shape_is_title = false;
    let mut in_text = false;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) if local(&e) == "sp" => {
                shape.clear();
                shape_is_title = false;
            }
            Event::Start(e) | Event::Empty(e) if local(&e) == "ph" => {
                let kind = attribute(&e, "type").unwrap_or_default();
                shape_is_title |= kind == "title" || kind == "ctrTitle";
            }
            Event::Start(e) if local(&e) == "t" => in_text = true,
            Event::Text(t) if in_text => shape.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => shape.push_str(&entity(&r)),
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => shape.push('\n'),
                "sp" => {
                    if shape_is_title && title.is_none() {
                        title = Some(shape.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                    text.push_str(&shape);
                    text.push('\n');
                    shape.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((title.filter(|t| !t.is_empty()), text))
}

fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let name = e.name().into_inner();
    name.rsplit(':').next().unwrap_or(name)
}

/// An attribute's value by local name (`w:val` → `val`).
pub(super) fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.local_name();
        (key.as_ref() == name).then(|| a.value.to_string())
    })
}

/// The text of a character or entity reference (`&amp;`, `&#233;`).
fn entity(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match r.as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
    .to_owned()
}

pub(super) fn xml_error(error: impl std::fmt::Display) -> ExtractError {
    ExtractError::Invalid(format!("the document's XML is damaged: {error}"))
}
