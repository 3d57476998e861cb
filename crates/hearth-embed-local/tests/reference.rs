//! The local engine against sentence-transformers: vectors of the same model for the same texts
//! (reference values made by `scripts/reference-embeddings.py`) agree to cosine ≥ 0.999, on candle
//! and on ONNX Runtime.
//!
//! The model directory is `HEARTH_TEST_MODEL_DIR`, by default where `scripts/model.sh` puts it
//! (with `onnx/model.onnx`); ONNX Runtime's library is `HEARTH_TEST_ONNX_RUNTIME`, by default where
//! `scripts/onnxruntime.sh` puts it.

use std::path::{Path, PathBuf};

use hearth_embed_local::LocalEmbedder;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    text: String,
    vector: Vec<f32>,
}

fn model_dir() -> PathBuf {
    hearth_testkit::model_dir()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f32>().sqrt()
        * b.iter().map(|x| x * x).sum::<f32>().sqrt())
}

fn onnx_runtime() -> PathBuf {
    hearth_testkit::onnx_runtime()
}

fn load(onnx_runtime: Option<&Path>, batch: usize) -> LocalEmbedder {
    let dir = model_dir();
    let engine =
        LocalEmbedder::load(&dir, "all-MiniLM-L6-v2", batch, onnx_runtime).unwrap_or_else(|e| {
            panic!(
                "the model at {} is needed (scripts/model.sh): {e}",
                dir.display()
            )
        });
    let wanted = if onnx_runtime.is_some() {
        "onnxruntime"
    } else {
        "candle"
    };
    assert_eq!(engine.engine(), wanted, "{}", dir.display());
    engine
}

#[test]
fn candle_vectors_match_sentence_transformers() {
    vectors_match_sentence_transformers(&load(None, 4));
}

#[test]
fn onnx_runtime_vectors_match_sentence_transformers() {
    vectors_match_sentence_transformers(&load(Some(&onnx_runtime()), 4));
}

#[test]
fn candle_gives_one_text_the_same_vector_alone_or_in_a_batch() {
    one_text_alone_or_in_a_batch_gets_the_same_vector(&load(None, 8));
}

#[test]
fn onnx_runtime_gives_one_text_the_same_vector_alone_or_in_a_batch() {
    one_text_alone_or_in_a_batch_gets_the_same_vector(&load(Some(&onnx_runtime()), 8));
}

#[test]
fn without_an_onnx_graph_the_model_runs_on_candle() {
    // A copy of the model directory without onnx/model.onnx: the library alone is not enough.
    let copy = tempfile::tempdir().unwrap();
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        std::fs::copy(model_dir().join(file), copy.path().join(file)).unwrap();
    }
    let engine = LocalEmbedder::load(copy.path(), "m", 4, Some(&onnx_runtime())).unwrap();
    assert_eq!(engine.engine(), "candle");
}

fn vectors_match_sentence_transformers(engine: &LocalEmbedder) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/embeddings/minilm_reference.json"
    );
    let reference: Reference = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let texts: Vec<String> = reference.items.iter().map(|i| i.text.clone()).collect();
    // Batches of 4 mix lengths, so padding and the attention mask are exercised.
    let vectors = engine.embed_blocking(&texts).unwrap();
    for (item, vector) in reference.items.iter().zip(&vectors) {
        assert_eq!(vector.len(), 384);
        let similarity = cosine(&item.vector, vector);
        assert!(
            similarity >= 0.999,
            "{:?}: cosine {similarity}",
            &item.text[..item.text.len().min(40)]
        );
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
    // The known similarities of the model card's example sentences.
    let find = |text: &str| texts.iter().position(|t| t == text).unwrap();
    let eating = &vectors[find("A man is eating food.")];
    let bread = &vectors[find("A man is eating a piece of bread.")];
    assert!((cosine(eating, bread) - 0.7553).abs() < 0.002);
}

fn one_text_alone_or_in_a_batch_gets_the_same_vector(engine: &LocalEmbedder) {
    let texts: Vec<String> = [
        "short",
        "a much longer sentence that needs padding of the short one",
        "",
    ]
    .map(str::to_owned)
    .to_vec();
    let together = engine.embed_blocking(&texts).unwrap();
    for (text, vector) in texts.iter().zip(&together) {
        let alone = engine.embed_blocking(std::slice::from_ref(text)).unwrap();
        assert!(cosine(&alone[0], vector) > 0.99999, "{text:?}");
    }
}
