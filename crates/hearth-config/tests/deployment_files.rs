//! The deployment kit speaks Hearth's settings: every variable named in `deploy/` (env files,
//! compose files, Helm values and templates) and in the deployment guide is a real setting (or
//! belongs to another program of the kit), and each env file is a configuration that validates —
//! so every role it starts has what it requires.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hearth_config::{Settings, known_setting_names};

/// Variables of the other programs in the kit (PostgreSQL's and MinIO's images, ONNX Runtime's
/// build argument, compose's own) and of the build (where the web UI's build script finds the UI).
const OTHERS: &[&str] = &[
    "POSTGRES_",
    "MINIO_",
    "ORT_VERSION",
    "COMPOSE_",
    "HEARTH_WEB_DIST",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, keep, into);
        } else if keep(&path) {
            into.push(path);
        }
    }
}

fn is_env_file(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.ends_with(".env") || name.ends_with(".env.example")
}

/// `NAME=value` lines of an env file.
fn env_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// Words that look like environment variables: capitals, digits and `_`, two parts at least,
/// followed by `=`, `:`, a quote or the end of the line — as env files, compose files, Helm
/// (`- name: X`) and shell snippets write them; prose in backticks is left alone.
fn defined_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        let word = b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
        match (word, start) {
            (true, None) if b.is_ascii_uppercase() => {
                let before = i.checked_sub(1).map(|j| bytes[j]);
                if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$') {
                    start = Some(i);
                }
            }
            (false, Some(s)) => {
                let name = &text[s..i];
                if name.contains('_') && matches!(b, b'=' | b':' | b'\n' | b'"') {
                    names.insert(name.to_owned());
                }
                start = None;
            }
            _ => {}
        }
    }
    names
}

fn unknown(names: &BTreeSet<String>, known: &BTreeSet<String>) -> Vec<String> {
    names
        .iter()
        .filter(|name| !known.contains(*name) && !OTHERS.iter().any(|o| name.starts_with(o)))
        .cloned()
        .collect()
}

#[test]
fn every_variable_in_the_kit_is_a_setting() {
    let known = known_setting_names();
    let mut files = Vec::new();
    files_under(
        &root().join("deploy"),
        &|p| {
            is_env_file(p)
                || p.extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "tpl" || e == "conf")
        },
        &mut files,
    );
    files.push(root().join("docs/deployment.md"));
    files.push(root().join("Dockerfile"));
    assert!(files.len() > 5, "the kit is there: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let unknown = unknown(&defined_names(&text), &known);
        assert!(
            unknown.is_empty(),
            "{} names unknown settings: {unknown:?}",
            file.display()
        );
    }
}

#[test]
fn every_env_file_is_a_valid_configuration() {
    let mut files = Vec::new();
    files_under(&root().join("deploy"), &is_env_file, &mut files);
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // The placeholders an operator replaces (refused as they are).
        let pairs = env_pairs(&text).into_iter().map(|(name, value)| {
            let value = if value.starts_with("replace-with") {
                "a-generated-value-of-more-than-thirty-two-characters".to_owned()
            } else {
                value
            };
            (name, value)
        });
        let settings = Settings::from_sources(pairs, None)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Err(error) = settings.validate() {
            panic!("{} does not validate: {error}", file.display());
        }
    }
}

/// The Helm chart's `settings` and `secretSettings` (two-space `NAME: value` lines under them).
fn helm_settings(values: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut inside = false;
    for line in values.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            inside = matches!(line.trim_end(), "settings:" | "secretSettings:");
            continue;
        }
        if inside && let Some((name, value)) = line.trim().split_once(':') {
            let value = value.trim().trim_matches('"');
            pairs.push((name.to_owned(), value.to_owned()));
        }
    }
    pairs
}

#[test]
fn the_helm_values_are_a_valid_configuration() {
    let text = std::fs::read_to_string(root().join("deploy/helm/hearth/values.yaml")).unwrap();
    let pairs = helm_settings(&text);
    assert!(
        pairs.iter().any(|(name, _)| name == "DATABASE_URL"),
        "{pairs:?}"
    );
    let pairs = pairs.into_iter().map(|(name, value)| {
        (
            name,
            value.replace(
                "replace-with",
                "a-generated-value-of-more-than-thirty-two-characters",
            ),
        )
    });
    let settings = Settings::from_sources(pairs, None).unwrap();
    if let Err(error) = settings.validate() {
        panic!("deploy/helm/hearth/values.yaml does not validate: {error}");
    }
    assert!(!settings.database_target().unwrap().is_sqlite());
}

#[test]
fn placeholders_left_in_place_are_refused() {
    let text =
        std::fs::read_to_string(root().join("deploy/compose/scaled/hearth.env.example")).unwrap();
    let settings = Settings::from_sources(env_pairs(&text), None).unwrap();
    let error = settings.validate().unwrap_err().to_string();
    assert!(error.contains("placeholder"), "{error}");
}

#[test]
fn names_are_found_where_they_are_defined() {
    let text = "A_B=1\n  REDIS_URL: x\n  - name: PORT_X\n    value: y\n$NOT_THIS=1 lower_case=2 `DATA_DIR`";
    let names: Vec<String> = defined_names(text).into_iter().collect();
    assert_eq!(names, ["A_B", "PORT_X", "REDIS_URL"]);
}
