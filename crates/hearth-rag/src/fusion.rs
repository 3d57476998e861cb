//! Reciprocal rank fusion: several rankings of the same items combined by summing `1 / (60 + rank)`
//! over the rankings each item appears in (Cormack, Clarke and Büttcher, 2009). Scores of different
//! searches (cosine, BM25) are not comparable; ranks are.
//!
//! Plain fusion lets any passage that both searches found outrank the best semantic match that
//! full text missed (a question full of names that recur all over a book ranks every passage
//! mentioning them). [`hybrid`] therefore keeps the best half of the results from the vector
//! search, and lets fusion choose the rest — which is where exact names and codes come in.

use std::collections::HashMap;

/// The constant that keeps the top ranks of one list from drowning the others.
const K: f32 = 60.0;

/// The best `limit` items of `rankings` (each best first, each with its weight), best first, with
/// fused scores. Ties keep the order of first appearance.
pub fn reciprocal_rank(rankings: &[(&[(String, f32)], f32)], limit: usize) -> Vec<(String, f32)> {
    let mut scores: HashMap<&str, (f32, usize)> = HashMap::new();
    let mut order = 0;
    for (ranking, weight) in rankings {
        for (rank, (id, _)) in ranking.iter().enumerate() {
            let entry = scores.entry(id.as_str()).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            entry.0 += weight / (K + rank as f32 + 1.0);
        }
    }
    let mut fused: Vec<(&str, (f32, usize))> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    fused
        .into_iter()
        .take(limit)
        .map(|(id, (score, _))| (id.to_owned(), score))
        .collect()
}

/// The `k` best of a vector ranking and a full-text ranking: the vector ranking's first `⌈k/2⌉`,
/// then the best others by weighted reciprocal rank fusion; ordered by fused score.
pub fn hybrid(
    vector: &[(String, f32)],
    text: &[(String, f32)],
    text_weight: f32,
    k: usize,
) -> Vec<(String, f32)> {
    let fused = reciprocal_rank(&[(vector, 1.0), (text, text_weight)], usize::MAX);
    let kept: Vec<&str> = vector
        .iter()
        .take(k.div_ceil(2))
        .map(|(id, _)| id.as_str())
        .collect();
    let mut chosen: Vec<(String, f32)> = fused
        .iter()
        .filter(|(id, _)| kept.contains(&id.as_str()))
        .cloned()
        .collect();
    for item in &fused {
        if chosen.len() >= k {
            break;
        }
        if !kept.contains(&item.0.as_str()) {
            chosen.push(item.clone());
        }
    }
    chosen.sort_by(|a, b| b.1.total_cmp(&a.1));
    chosen.truncate(k);
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ids: &[&str]) -> Vec<(String, f32)> {
        ids.iter().map(|id| ((*id).to_owned(), 0.0)).collect()
    }

    #[test]
    fn items_found_by_both_searches_rise() {
        let vector = list(&["a", "b", "c"]);
        let text = list(&["c", "d"]);
        let fused = reciprocal_rank(&[(&vector, 1.0), (&text, 1.0)], 3);
        let ids: Vec<_> = fused.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        assert!((fused[0].1 - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-6);
        assert!(reciprocal_rank(&[(&[], 1.0), (&[], 1.0)], 5).is_empty());
        // Weights scale a ranking's say: at 0 full text changes nothing.
        let fused = reciprocal_rank(&[(&list(&["a", "b"]), 1.0), (&list(&["b"]), 0.0)], 2);
        assert_eq!(fused[0].0, "a");
    }

    #[test]
    fn hybrid_keeps_the_best_semantic_matches_and_adds_exact_ones() {
        // "a" is the best semantic match that full text missed; "z" only full text found.
        let vector = list(&["a", "b", "c", "d"]);
        let text = list(&["z", "b", "c", "d"]);
        let ids = |k| {
            hybrid(&vector, &text, 1.0, k)
                .into_iter()
                .map(|(id, _)| id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(3), ["b", "c", "a"]);
        assert!(ids(4).contains(&"z".to_owned()) || ids(4).contains(&"d".to_owned()));
        assert_eq!(ids(1), ["a"]);
        assert!(hybrid(&[], &text, 1.0, 2).len() == 2);
    }
}
