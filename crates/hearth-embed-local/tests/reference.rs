//! The local engine against sentence-transformers: vectors of the same model for the same texts
//! (reference values made by `scripts/reference-embeddings.py`) agree to cosine ≥ 0.999.
//!
//! The model directory is `HEARTH_TEST_MODEL_DIR`, by default where `scripts/model.sh` puts it.

use std::path::PathBuf;

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

#[test]
fn vectors_match_sentence_transformers() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/embeddings/minilm_reference.json"
    );
    let reference: Reference = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let dir = model_dir();
    let engine = LocalEmbedder::load(&dir, "all-MiniLM-L6-v2", 4).unwrap_or_else(|e| {
        panic!(
            "the model at {} is needed (scripts/model.sh): {e}",
            dir.display()
        )
    });
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

#[test]
fn one_text_alone_or_in_a_batch_gets_the_same_vector() {
    let engine = LocalEmbedder::load(&model_dir(), "m", 8).unwrap();
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
