//! Embedded-index search latency and recall at 100k × 384, for tuning without the whole bench.
//!
//! `cargo run --release -p hearth-vector --example search` (the bench's `knowledge` scenario
//! measures the same beside pgvector and Chroma).
#![allow(clippy::print_stdout)] // a measuring tool: its output is the measurement

use std::collections::HashSet;
use std::time::Instant;

use hearth_core::seams::{VectorFilter, VectorIndex, VectorRecord};
use hearth_vector::EmbeddedIndex;
use serde_json::json;

const DIMS: usize = 384;
const VECTORS: usize = 100_000;
const QUERIES: usize = 200;

fn unit(state: &mut u64) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIMS)
        .map(|_| {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut state = 42;
    let data: Vec<Vec<f32>> = (0..VECTORS).map(|_| unit(&mut state)).collect();
    let queries: Vec<Vec<f32>> = (0..QUERIES)
        .map(|i| {
            let noise = unit(&mut state);
            let v: Vec<f32> = data[(i * 7919) % VECTORS]
                .iter()
                .zip(&noise)
                .map(|(b, n)| b + 0.6 * n)
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect();
    let exact: Vec<HashSet<usize>> = queries
        .iter()
        .map(|q| {
            let mut scored: Vec<(f32, usize)> = data
                .iter()
                .enumerate()
                .map(|(i, d)| (d.iter().zip(q).map(|(a, b)| a * b).sum(), i))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            scored.iter().take(10).map(|(_, i)| *i).collect()
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let index = EmbeddedIndex::open(dir.path()).await?;
    let start = Instant::now();
    for (batch, chunk) in data.chunks(5_000).enumerate() {
        let records = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| VectorRecord {
                id: (batch * 5_000 + i).to_string(),
                vector: v.clone(),
                text: "a passage of about this length, as text is stored beside it".into(),
                metadata: json!({"file_id": format!("f{}", (batch * 5_000 + i) % 100)}),
            })
            .collect();
        index.upsert("bench", records).await?;
    }
    println!("load {:.1} s", start.elapsed().as_secs_f64());
    index
        .search("bench", &queries[0], 10, &VectorFilter::all())
        .await?;
    let mut latencies = Vec::new();
    let mut found = 0;
    for (query, truth) in queries.iter().zip(&exact) {
        let start = Instant::now();
        let hits = index
            .search("bench", query, 10, &VectorFilter::all())
            .await?;
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
        found += hits
            .iter()
            .filter(|h| h.id.parse::<usize>().is_ok_and(|i| truth.contains(&i)))
            .count();
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "p50 {:.2} ms, p99 {:.2} ms, recall@10 {:.3}",
        latencies[QUERIES / 2],
        latencies[QUERIES * 99 / 100],
        found as f64 / (QUERIES * 10) as f64
    );
    Ok(())
}
