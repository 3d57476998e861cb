//! A synthetic vector-search workload, shared by the vector benchmark and the embedded index's
//! tuning example: deterministic random unit vectors (splitmix64), queries near stored vectors (as
//! real questions are near their passages), and each query's exact top 10.

use std::collections::HashSet;

/// Stored vectors, queries, and the ids (indexes into `data`) of each query's exact top 10.
#[derive(Debug)]
pub struct SearchWorkload {
    pub data: Vec<Vec<f32>>,
    pub queries: Vec<Vec<f32>>,
    pub exact: Vec<HashSet<usize>>,
}

/// `count` stored unit vectors of `dims` dimensions and `queries` queries, the same every time.
pub fn search_workload(count: usize, dims: usize, queries: usize) -> SearchWorkload {
    let mut state = 42u64;
    let data: Vec<Vec<f32>> = (0..count).map(|_| unit(&mut state, dims)).collect();
    let queries: Vec<Vec<f32>> = (0..queries)
        .map(|i| {
            let noise = unit(&mut state, dims);
            let near: Vec<f32> = data[(i * 7919) % count]
                .iter()
                .zip(&noise)
                .map(|(b, n)| b + 0.6 * n)
                .collect();
            normalised(near)
        })
        .collect();
    let exact = queries
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
    SearchWorkload {
        data,
        queries,
        exact,
    }
}

fn unit(state: &mut u64, dims: usize) -> Vec<f32> {
    let v = (0..dims)
        .map(|_| {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    normalised(v)
}

fn normalised(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}
