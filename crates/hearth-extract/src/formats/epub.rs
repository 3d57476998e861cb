//! EPUB: the chapters in spine order (`META-INF/container.xml` → the package document → its spine),
//! each read as XHTML; text keeps its chapter's headings.

use std::collections::HashMap;

use hearth_core::seams::ExtractedDocument;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::html;
use super::office::{attribute, xml_error};
use crate::builder::Sections;
use crate::zipsafe::SafeZip;
use crate::{ExtractError, Limits};

pub(super) fn extract(data: &[u8], limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let mut zip = SafeZip::open(data, limits, "EPUB book")?;
    let container = zip
        .read_text("META-INF/container.xml")?
        .ok_or_else(|| ExtractError::Invalid("the archive is not an EPUB book".into()))?;
    let package_path = first_attribute(&container, "rootfile", "full-path")?
        .ok_or_else(|| ExtractError::Invalid("the EPUB names no package document".into()))?;
    let package = zip
        .read_text(&package_path)?
        .ok_or_else(|| ExtractError::Invalid(format!("the EPUB lacks `{package_path}`")))?;
    let base = package_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let (manifest, spine, title) = read_package(&package)?;
    let mut sections = Sections::new(limits.max_chars);
    if let Some(title) = title {
        sections.set_title(&title);
    }
    let mut remaining = limits.clone();
    for idref in spine {
        let Some(href) = manifest.get(&idref) else {
            continue;
        };
        let path = if base.is_empty() {
            href.clone()
        } else {
            format!("{base}/{href}")
        };
        let Some(bytes) = zip.read(&path)? else {
            continue;
        };
        let chapter = html::extract(String::from_utf8_lossy(&bytes), &remaining, false)?;
        let chapter_title = chapter.title.clone();
        for section in chapter.sections {
            let heading = section.heading.as_deref().or(chapter_title.as_deref());
            remaining.max_chars = remaining.max_chars.saturating_sub(section.text.len());
            sections.push(&section.text, None, heading)?;
        }
    }
    Ok(sections.finish())
}

/// The manifest (id → href), the spine's ids in reading order, and the book's title.
type Package = (HashMap<String, String>, Vec<String>, Option<String>);

fn read_package(xml: &str) -> Result<Package, ExtractError> {
    let mut manifest = HashMap::new();
    let mut spine = Vec::new();
    let mut title = None;
    let mut in_title = false;
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "item" => {
                    if let (Some(id), Some(href)) = (attribute(&e, "id"), attribute(&e, "href")) {
                        manifest.insert(id, href);
                    }
                }
                "itemref" => spine.extend(attribute(&e, "idref")),
                "title" => in_title = title.is_none(),
                _ => {}
            },
            Event::Text(t) if in_title => {
                title = Some(t.xml10_content().into_owned());
                in_title = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((manifest, spine, title))
}

fn first_attribute(xml: &str, element: &str, name: &str) -> Result<Option<String>, ExtractError> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == element => {
                return Ok(attribute(&e, name));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}
