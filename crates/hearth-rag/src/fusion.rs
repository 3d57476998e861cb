//! Reciprocal rank fusion: several rankings of the same items combined by summing `1 / (60 + rank)`
//! over the rankings each item appears in (Cormack, Clarke and Büttcher, 2009). Scores of different
//! searches (cosine, BM25) are not comparable; ranks are.

use std::collections::HashMap;

/// The constant that keeps the top ranks of one list from drowning the others.
const K: f32 = 60.0;

/// The best `limit` items of `rankings` (each best first), best first, with fused scores. Ties keep
/// the order of first appearance.
pub fn reciprocal_rank(rankings: &[&[(String, f32)]], limit: usize) -> Vec<(String, f32)> {
    let mut scores: HashMap<&str, (f32, usize)> = HashMap::new();
    let mut order = 0;
    for ranking in rankings {
        for (rank, (id, _)) in ranking.iter().enumerate() {
            let entry = scores.entry(id.as_str()).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            entry.0 += 1.0 / (K + rank as f32 + 1.0);
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
        let fused = reciprocal_rank(&[&vector, &text], 3);
        let ids: Vec<_> = fused.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "d"]);
        assert!((fused[0].1 - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-6);
        assert!(reciprocal_rank(&[&[], &[]], 5).is_empty());
    }
}
