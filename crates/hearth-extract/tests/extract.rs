//! The extractors on real documents: the mixed corpus (each planted fact on its page or under its
//! heading), hostile files (each fails alone with a reason), and Apache Tika's real parsers through
//! the tika-server API (`HEARTH_TEST_TIKA_URL`, default `http://127.0.0.1:9998`, `scripts/tika.sh`).

use std::path::PathBuf;

use bytes::Bytes;
use hearth_core::seams::{ExtractInput, ExtractedDocument, Extractor, SeamError};
use hearth_extract::{BuiltinExtractor, ExtractError, Isolation, Limits, TikaExtractor};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    file: String,
    answer_contains: String,
    page: Option<u32>,
    heading: Option<String>,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/rag")
}

fn manifest() -> Vec<Entry> {
    serde_json::from_slice(&std::fs::read(fixtures().join("corpus/manifest.json")).unwrap())
        .unwrap()
}

fn input(dir: &str, name: &str) -> ExtractInput {
    ExtractInput {
        filename: name.to_owned(),
        content_type: None,
        data: Bytes::from(std::fs::read(fixtures().join(dir).join(name)).unwrap()),
    }
}

/// The section holding `needle`.
fn section_with<'a>(
    document: &'a ExtractedDocument,
    needle: &str,
) -> &'a hearth_core::seams::ExtractedSection {
    document
        .sections
        .iter()
        .find(|s| s.text.contains(needle))
        .unwrap_or_else(|| panic!("no section has {needle:?}"))
}

#[tokio::test]
async fn built_in_parsers_keep_pages_and_headings() {
    let extractor = BuiltinExtractor::new(Isolation::Thread, Limits::default(), 2);
    for entry in manifest() {
        let document = extractor
            .extract_document(input("corpus", &entry.file))
            .await
            .unwrap();
        let section = section_with(&document, &entry.answer_contains);
        if let Some(page) = entry.page {
            assert_eq!(section.page, Some(page), "{}", entry.file);
        }
        if let Some(heading) = &entry.heading {
            assert_eq!(
                section.heading.as_deref(),
                Some(heading.as_str()),
                "{}",
                entry.file
            );
        }
    }
    // Navigation, scripts and styles are not text.
    let guide = extractor
        .extract_document(input("corpus", "guide.html"))
        .await
        .unwrap();
    let all: String = guide.sections.iter().map(|s| s.text.as_str()).collect();
    for noise in [
        "caddonTrackVisit",
        "noise-style-rule",
        "Donate today and adopt a reed bed",
    ] {
        assert!(!all.contains(noise), "{noise} leaked into the text");
    }
}

#[tokio::test]
async fn hostile_files_fail_alone_with_a_reason() {
    let limits = Limits {
        max_pages: 2_000,
        ..Limits::default()
    };
    let extractor = BuiltinExtractor::new(Isolation::Thread, limits, 2);
    for (name, expect_limit) in [
        ("truncated.pdf", false),
        ("random.pdf", false),
        ("bomb.docx", true),
        ("pages-10000.pdf", true),
    ] {
        match extractor.extract_document(input("hostile", name)).await {
            Err(ExtractError::Limit(reason)) if expect_limit => assert!(!reason.is_empty()),
            Err(ExtractError::Invalid(reason) | ExtractError::Crashed(reason)) if !expect_limit => {
                assert!(!reason.is_empty());
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // 100,000 nested elements are just tokens to the HTML reader: the text comes out.
    let nested = extractor
        .extract_document(input("hostile", "nested.html"))
        .await
        .unwrap();
    assert!(!nested.sections.is_empty());
    // An output limit holds whatever the format.
    let tight = BuiltinExtractor::new(
        Isolation::Thread,
        Limits {
            max_chars: 500,
            ..Limits::default()
        },
        1,
    );
    assert!(matches!(
        tight.extract_document(input("corpus", "notes.md")).await,
        Err(ExtractError::Limit(_))
    ));
}

fn tika() -> TikaExtractor {
    TikaExtractor::new(&hearth_testkit::tika_url(), Limits::default()).unwrap()
}

#[tokio::test]
async fn tika_extracts_with_pages_and_refuses_garbage() {
    let tika = tika();
    tika.check()
        .await
        .expect("a Tika server is needed by this test (scripts/tika.sh)");
    for entry in manifest().into_iter().filter(|e| {
        ["pdf", "docx", "pptx", "xlsx", "html", "epub"]
            .iter()
            .any(|x| e.file.ends_with(x))
    }) {
        let document = tika.extract(input("corpus", &entry.file)).await.unwrap();
        let section = section_with(&document, &entry.answer_contains);
        if entry.file.ends_with(".pdf") {
            assert_eq!(section.page, entry.page, "{}: page", entry.file);
        }
    }
    let garbage = tika.extract(input("hostile", "random.pdf")).await;
    assert!(matches!(garbage, Err(SeamError::Invalid(_))), "{garbage:?}");
    // A Tika that is not there is a service failure, not the document's.
    let gone = TikaExtractor::new("http://127.0.0.1:9", Limits::default()).unwrap();
    assert!(matches!(
        gone.extract(input("corpus", "readme.txt")).await,
        Err(SeamError::Unavailable { .. })
    ));
}
