//! Embedded-index search latency and recall at 100k × 384, for tuning without the whole bench.
//!
//! `cargo run --release -p hearth-vector --example search` (the bench's `knowledge` scenario
//! measures the same beside pgvector and Chroma).
#![allow(clippy::print_stdout)] // a measuring tool: its output is the measurement

use std::time::Instant;

use hearth_core::seams::{VectorFilter, VectorIndex, VectorRecord};
use hearth_vector::EmbeddedIndex;
use serde_json::json;

const DIMS: usize = 384;
const VECTORS: usize = 100_000;
const QUERIES: usize = 200;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hearth_testkit::vectors::SearchWorkload {
        data,
        queries,
        exact,
    } = hearth_testkit::vectors::search_workload(VECTORS, DIMS, QUERIES);
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
