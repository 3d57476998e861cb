//! The vector index contract: every backend (embedded, pgvector, Chroma) passes the same tests
//! against a real server, and they agree with each other and with an exact search.
//!
//! pgvector runs at `HEARTH_TEST_PGVECTOR_URL` (default `postgres://postgres@127.0.0.1:55432/postgres`,
//! `scripts/pgvector.sh`), Chroma at `HEARTH_TEST_CHROMA` (default `127.0.0.1:8011`,
//! `scripts/chroma.sh`). Every test uses collections of its own, so tests run in parallel.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hearth_core::seams::{SeamError, VectorFilter, VectorIndex, VectorRecord};
use hearth_vector::{ChromaIndex, EmbeddedIndex, PgVectorIndex};
use serde_json::json;

/// A backend under test, and what keeps it alive.
struct Backend {
    index: Arc<dyn VectorIndex>,
    _dir: Option<tempfile::TempDir>,
}

async fn embedded() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    Backend {
        index: Arc::new(EmbeddedIndex::open(dir.path()).await.unwrap()),
        _dir: Some(dir),
    }
}

async fn pgvector() -> Backend {
    let url = hearth_testkit::pgvector_url();
    let index = PgVectorIndex::connect(&url).await.unwrap_or_else(|e| {
        panic!("pgvector at {url} is needed by this test (scripts/pgvector.sh): {e}")
    });
    Backend {
        index: Arc::new(index),
        _dir: None,
    }
}

async fn chroma() -> Backend {
    let (host, port) = hearth_testkit::chroma_address();
    let address = format!("{host}:{port}");
    let index = ChromaIndex::new(&host, port).unwrap();
    index.check().await.unwrap_or_else(|e| {
        panic!("Chroma at {address} is needed by this test (scripts/chroma.sh): {e}")
    });
    Backend {
        index: Arc::new(index),
        _dir: None,
    }
}

/// A collection name no other test (or earlier run) uses.
fn collection(test: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "t_{test}_{}_{}",
        (nanos % 1_000_000_000_000) as u64 ^ u64::from(std::process::id()),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Deterministic pseudo-random unit vectors (splitmix64), so every backend sees the same data.
struct Vectors(u64);

impl Vectors {
    fn next_f32(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    fn unit(&mut self, dims: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dims).map(|_| self.next_f32()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }
}

fn record(id: &str, vector: Vec<f32>, file: &str) -> VectorRecord {
    VectorRecord {
        id: id.to_owned(),
        vector,
        text: format!("passage {id}"),
        metadata: json!({"file_id": file, "tenant_id": "t1", "page": 3}),
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f32>().sqrt()
        * b.iter().map(|x| x * x).sum::<f32>().sqrt())
}

/// `count` records of `dims` dimensions, ids `r0`…, files `f0`…`f9` round-robin.
fn corpus(count: usize, dims: usize, seed: u64) -> Vec<VectorRecord> {
    let mut vectors = Vectors(seed);
    (0..count)
        .map(|i| {
            record(
                &format!("r{i}"),
                vectors.unit(dims),
                &format!("f{}", i % 10),
            )
        })
        .collect()
}

async fn nearest_first_with_cosine_scores(backend: Backend) {
    let index = backend.index;
    let name = collection("nearest");
    index
        .upsert(
            &name,
            vec![
                record("a", vec![1.0, 0.0, 0.0], "f1"),
                record("b", vec![0.8, 0.6, 0.0], "f1"),
                record("c", vec![0.0, 0.0, 1.0], "f2"),
            ],
        )
        .await
        .unwrap();
    let hits = index
        .search(&name, &[1.0, 0.0, 0.0], 2, &VectorFilter::all())
        .await
        .unwrap();
    let ids: Vec<_> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert!((hits[0].score - 1.0).abs() < 1e-3, "{}", hits[0].score);
    assert!((hits[1].score - 0.8).abs() < 1e-3, "{}", hits[1].score);
    assert_eq!(hits[0].text, "passage a");
    assert_eq!(hits[0].metadata["file_id"], "f1");
    assert_eq!(hits[0].metadata["page"], 3);
    index.drop_collection(&name).await.unwrap();
}

async fn upserts_replace_by_id(backend: Backend) {
    let index = backend.index;
    let name = collection("replace");
    index
        .upsert(&name, vec![record("a", vec![1.0, 0.0], "f1")])
        .await
        .unwrap();
    let mut moved = record("a", vec![0.0, 1.0], "f2");
    moved.text = "moved".into();
    index
        .upsert(&name, vec![moved, record("b", vec![1.0, 0.0], "f1")])
        .await
        .unwrap();
    assert_eq!(index.count(&name).await.unwrap(), 2);
    let hits = index
        .search(&name, &[0.0, 1.0], 1, &VectorFilter::all())
        .await
        .unwrap();
    assert_eq!((hits[0].id.as_str(), hits[0].text.as_str()), ("a", "moved"));
    assert_eq!(hits[0].metadata["file_id"], "f2");
    index.drop_collection(&name).await.unwrap();
}

async fn filters_keep_only_matching_records(backend: Backend) {
    let index = backend.index;
    let name = collection("filter");
    index.upsert(&name, corpus(300, 16, 1)).await.unwrap();
    let query = Vectors(99).unit(16);
    let filter = VectorFilter::all().field_in("file_id", ["f3".to_owned(), "f7".to_owned()]);
    let hits = index.search(&name, &query, 20, &filter).await.unwrap();
    assert_eq!(hits.len(), 20);
    assert!(
        hits.iter()
            .all(|h| ["f3", "f7"].contains(&h.metadata["file_id"].as_str().unwrap()))
    );
    // Exactly the best 20 of those files.
    let mut expected: Vec<(f32, String)> = corpus(300, 16, 1)
        .into_iter()
        .filter(|r| ["f3", "f7"].contains(&r.metadata["file_id"].as_str().unwrap()))
        .map(|r| (cosine(&query, &r.vector), r.id))
        .collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0));
    let expected: HashSet<_> = expected.into_iter().take(20).map(|(_, id)| id).collect();
    let got: HashSet<_> = hits.iter().map(|h| h.id.clone()).collect();
    assert!(
        got.intersection(&expected).count() >= 19,
        "{got:?} vs {expected:?}"
    );
    // Two conditions must both hold; a value nobody has matches nothing.
    let both = VectorFilter::all()
        .field_in("file_id", ["f3".to_owned()])
        .field_in("tenant_id", ["t2".to_owned()]);
    assert!(
        index
            .search(&name, &query, 5, &both)
            .await
            .unwrap()
            .is_empty()
    );
    index.drop_collection(&name).await.unwrap();
}

async fn deletes_and_drops(backend: Backend) {
    let index = backend.index;
    let name = collection("delete");
    index.upsert(&name, corpus(50, 8, 2)).await.unwrap();
    index
        .delete(
            &name,
            &["r1".to_owned(), "r2".to_owned(), "missing".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(index.count(&name).await.unwrap(), 48);
    let all = index
        .search(&name, &Vectors(5).unit(8), 50, &VectorFilter::all())
        .await
        .unwrap();
    assert_eq!(all.len(), 48);
    assert!(all.iter().all(|h| h.id != "r1" && h.id != "r2"));
    // Everything of one file goes; an empty filter is refused.
    index
        .delete_matching(
            &name,
            &VectorFilter::all().field_in("file_id", ["f4".to_owned()]),
        )
        .await
        .unwrap();
    assert_eq!(index.count(&name).await.unwrap(), 43);
    let rest = index
        .search(&name, &Vectors(5).unit(8), 50, &VectorFilter::all())
        .await
        .unwrap();
    assert!(rest.iter().all(|h| h.metadata["file_id"] != "f4"));
    assert!(
        index
            .delete_matching(&name, &VectorFilter::all())
            .await
            .is_err()
    );
    index.drop_collection(&name).await.unwrap();
    assert_eq!(index.count(&name).await.unwrap(), 0);
    assert!(
        index
            .search(&name, &Vectors(5).unit(8), 5, &VectorFilter::all())
            .await
            .unwrap()
            .is_empty()
    );
    // Dropping or deleting from what is not there succeeds.
    index.drop_collection(&name).await.unwrap();
    index.delete(&name, &["r3".to_owned()]).await.unwrap();
}

async fn refuses_mixed_dimensions_and_bad_names(backend: Backend) {
    let index = backend.index;
    let name = collection("dims");
    index
        .upsert(&name, vec![record("a", vec![1.0, 0.0, 0.0], "f")])
        .await
        .unwrap();
    let mixed = index
        .upsert(&name, vec![record("b", vec![1.0, 0.0], "f")])
        .await;
    let dims_error = matches!(
        mixed,
        Err(SeamError::Invalid(_) | SeamError::Upstream { .. })
    );
    assert!(dims_error, "{mixed:?}");
    assert!(matches!(
        index
            .upsert("Bad-Name", vec![record("a", vec![1.0], "f")])
            .await,
        Err(SeamError::Invalid(_))
    ));
    assert_eq!(index.count(&name).await.unwrap(), 1);
    index.drop_collection(&name).await.unwrap();
}

async fn concurrent_writers_lose_nothing(backend: Backend) {
    let index = backend.index;
    let name = collection("concurrent");
    let mut tasks = Vec::new();
    for writer in 0..8u64 {
        let index = index.clone();
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            let mut vectors = Vectors(writer);
            for batch in 0..5 {
                let records = (0..20)
                    .map(|i| record(&format!("w{writer}b{batch}i{i}"), vectors.unit(8), "f"))
                    .collect();
                index.upsert(&name, records).await.unwrap();
                index
                    .search(&name, &vectors.unit(8), 3, &VectorFilter::all())
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(index.count(&name).await.unwrap(), 8 * 5 * 20);
    index.drop_collection(&name).await.unwrap();
}

async fn recall_against_exact_search(backend: Backend) {
    let index = backend.index;
    let name = collection("recall");
    let records = corpus(3000, 64, 3);
    index.upsert(&name, records.clone()).await.unwrap();
    let mut queries = Vectors(1234);
    let mut found = 0;
    let trials = 20;
    for _ in 0..trials {
        let query = queries.unit(64);
        let mut exact: Vec<(f32, &str)> = records
            .iter()
            .map(|r| (cosine(&query, &r.vector), r.id.as_str()))
            .collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let exact: HashSet<&str> = exact.iter().take(10).map(|(_, id)| *id).collect();
        let hits = index
            .search(&name, &query, 10, &VectorFilter::all())
            .await
            .unwrap();
        found += hits
            .iter()
            .filter(|h| exact.contains(h.id.as_str()))
            .count();
    }
    let recall = found as f64 / (trials * 10) as f64;
    assert!(recall >= 0.95, "recall@10 {recall}");
    index.drop_collection(&name).await.unwrap();
}

macro_rules! contract {
    ($($backend:ident),*) => {
        $(mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn nearest_first_with_cosine_scores() { super::nearest_first_with_cosine_scores($backend().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn upserts_replace_by_id() { super::upserts_replace_by_id($backend().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn filters_keep_only_matching_records() { super::filters_keep_only_matching_records($backend().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn deletes_and_drops() { super::deletes_and_drops($backend().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_mixed_dimensions_and_bad_names() { super::refuses_mixed_dimensions_and_bad_names($backend().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_writers_lose_nothing() { super::concurrent_writers_lose_nothing($backend().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn recall_against_exact_search() { super::recall_against_exact_search($backend().await).await }
        })*
    };
}

contract!(embedded, pgvector, chroma);

/// The same data and queries give the same top results on every backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_agree() {
    let backends = [embedded().await, pgvector().await, chroma().await];
    let records = corpus(1000, 32, 4);
    let name = collection("agree");
    for backend in &backends {
        backend.index.upsert(&name, records.clone()).await.unwrap();
    }
    let mut queries = Vectors(77);
    for _ in 0..10 {
        let query = queries.unit(32);
        let filter = VectorFilter::all().field_in("file_id", ["f1".to_owned(), "f2".to_owned()]);
        let mut results = Vec::new();
        for backend in &backends {
            let hits = backend
                .index
                .search(&name, &query, 5, &filter)
                .await
                .unwrap();
            results.push(hits.into_iter().map(|h| h.id).collect::<Vec<_>>());
        }
        for (backend, result) in backends.iter().zip(&results).skip(1) {
            let same = result.iter().filter(|id| results[0].contains(id)).count();
            assert!(
                same >= 4,
                "{} disagrees: {result:?} vs {:?}",
                backend.index.backend(),
                results[0]
            );
        }
    }
    for backend in &backends {
        backend.index.drop_collection(&name).await.unwrap();
    }
}

/// The embedded index rebuilds from its file: what was acknowledged is there after reopening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_index_rebuilds_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let records = corpus(500, 16, 5);
    let query = Vectors(8).unit(16);
    let before = {
        let index = EmbeddedIndex::open(dir.path()).await.unwrap();
        index.upsert("kept", records).await.unwrap();
        index.delete("kept", &["r0".to_owned()]).await.unwrap();
        index
            .search("kept", &query, 10, &VectorFilter::all())
            .await
            .unwrap()
    };
    let index = EmbeddedIndex::open(dir.path()).await.unwrap();
    assert_eq!(index.count("kept").await.unwrap(), 499);
    let after = index
        .search("kept", &query, 10, &VectorFilter::all())
        .await
        .unwrap();
    assert_eq!(before, after);
}
