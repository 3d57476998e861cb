//! The built-in extractor's limits actually fire: the real `hearth extract-child` under a small
//! address-space cap is stopped by it, and a parser process that hangs or crashes is stopped or
//! reported — each as that file's error, with a reason, and quickly.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hearth_core::seams::ExtractInput;
use hearth_extract::{BuiltinExtractor, ExtractError, Isolation, Limits};

fn hearth() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hearth"))
}

fn text(name: &str, bytes: usize) -> ExtractInput {
    ExtractInput {
        filename: name.into(),
        content_type: Some("text/plain".into()),
        data: "words and more words\n"
            .repeat(bytes / 21 + 1)
            .into_bytes()
            .into(),
    }
}

/// A stand-in parser program: a shell script run as `SCRIPT extract-child`.
fn script(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("parser.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn the_memory_cap_stops_a_document_that_needs_more() {
    let limits = Limits {
        max_memory: 96 * 1024 * 1024,
        max_chars: usize::MAX,
        ..Limits::default()
    };
    let extractor = BuiltinExtractor::new(Isolation::Process { program: hearth() }, limits, 1);
    // 200 MB of text: reading it alone needs twice the cap.
    match extractor
        .extract_document(text("huge.txt", 200 * 1024 * 1024))
        .await
    {
        Err(ExtractError::Limit(reason)) => assert!(reason.contains("memory"), "{reason}"),
        other => panic!("{:?}", other.map(|d| d.sections.len())),
    }
    // The same extractor still reads a small document under the same cap.
    let small = extractor
        .extract_document(text("small.txt", 10_000))
        .await
        .unwrap();
    assert!(small.sections.iter().any(|s| s.text.contains("more words")));
}

#[tokio::test]
async fn a_parser_that_hangs_is_stopped_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // `exec`, so the process the extractor kills is the one that hangs.
    let program = script(dir.path(), "exec sleep 600");
    let limits = Limits {
        timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let extractor = BuiltinExtractor::new(Isolation::Process { program }, limits, 1);
    let started = Instant::now();
    match extractor.extract_document(text("slow.txt", 100)).await {
        Err(ExtractError::Limit(reason)) => assert!(reason.contains("longer than 1 s"), "{reason}"),
        other => panic!("{:?}", other.map(|d| d.sections.len())),
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_parser_that_crashes_fails_that_file_with_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(dir.path(), "echo 'parser: bad table' >&2\nkill -SEGV $$");
    let extractor = BuiltinExtractor::new(Isolation::Process { program }, Limits::default(), 1);
    match extractor.extract_document(text("crash.txt", 100)).await {
        Err(ExtractError::Crashed(reason)) => {
            assert!(reason.contains("signal 11"), "{reason}");
            assert!(reason.contains("parser: bad table"), "{reason}");
        }
        other => panic!("{:?}", other.map(|d| d.sections.len())),
    }
}
