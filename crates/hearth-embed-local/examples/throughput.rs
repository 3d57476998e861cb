//! Embedding throughput: `cargo run --release -p hearth-embed-local --example throughput -- DIR [N] [BATCH] [LIBONNXRUNTIME]`
#![allow(clippy::print_stdout)] // a measuring tool: its output is the measurement
//! embeds N sentences of about 51 tokens (as in BENCHMARKS.md's reference run) and prints
//! sentences per second.

use std::time::Instant;

use hearth_embed_local::LocalEmbedder;

fn sentences(count: usize) -> Vec<String> {
    let words = [
        "the",
        "lighthouse",
        "keeper",
        "recorded",
        "every",
        "storm",
        "in",
        "a",
        "leather",
        "journal",
        "while",
        "ships",
        "passed",
        "near",
        "rocky",
        "coast",
        "and",
        "gulls",
        "circled",
        "above",
        "harbour",
        "at",
        "dawn",
        "with",
        "fishermen",
        "mending",
        "nets",
        "beside",
        "old",
        "stone",
    ];
    let mut state = 7u64;
    (0..count)
        .map(|_| {
            (0..40)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    words[(state >> 33) as usize % words.len()]
                })
                .collect::<Vec<_>>()
                .join(" ")
                + "."
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("model directory");
    let count: usize = args.next().map_or(1000, |n| n.parse().unwrap());
    let batch: usize = args.next().map_or(32, |n| n.parse().unwrap());
    // A fourth argument, ONNX Runtime's library, runs the model's onnx/model.onnx on it.
    let onnx_runtime = args.next().map(std::path::PathBuf::from);
    let engine = LocalEmbedder::load(dir.as_ref(), "m", batch, onnx_runtime.as_deref()).unwrap();
    let texts = sentences(count);
    engine.embed_blocking(&texts[..batch.min(count)]).unwrap();
    let start = Instant::now();
    engine.embed_blocking(&texts).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"engine\": \"{}\", \"sentences\": {count}, \"batch\": {batch}, \"seconds\": {seconds:.3}, \"sentences_per_s\": {:.1}}}",
        engine.engine(),
        count as f64 / seconds
    );
}
