//! Quantised vector codes for the embedded index and their dot-product kernels.
//!
//! Each stored vector is kept in memory twice, both scaled per vector: as 4-bit codes (half a
//! byte a dimension) that the whole collection is scanned with, and as 8-bit codes that the best
//! few hundred of that scan are re-ranked with. The scan is bound by memory bandwidth — on this
//! project's machine about 7 GB/s, so 100k × 384 8-bit codes (38 MB) alone take ~5 ms — and the
//! 4-bit codes halve what it reads. Lucene and Elasticsearch's int4 quantisation make the same
//! trade: a coarse scan, then re-scoring.
//!
//! 4-bit layout: dimensions are padded to a multiple of 64 and packed in blocks of 64, byte `j`
//! of a block holding dimension `j` in its low nibble and `j + 32` in its high one. A nibble is
//! `round(v / scale) + 8` in `1..=15`, so on AVX2 `vpmaddubsw` multiplies 32 unsigned nibbles by
//! 32 signed query bytes at once and the `+ 8` offset is taken off once per vector.

/// Dimensions per 4-bit block (32 bytes).
const BLOCK: usize = 64;
/// Added to a 4-bit value (−7..=7) to store it unsigned.
const NIBBLE_OFFSET: i32 = 8;

/// A vector as 8-bit codes and the scale that turns them back: `v ≈ code × scale`.
pub(crate) fn quantize8(vector: &[f32]) -> (Vec<i8>, f32) {
    quantize(vector, 127.0)
        .map(|(values, scale)| (values.map(|v| v as i8).collect(), scale))
        .unwrap_or_else(|| (vec![0; vector.len()], 0.0))
}

/// A vector as packed 4-bit codes (`bytes_per_vector4(len)` bytes) and its scale.
pub(crate) fn quantize4(vector: &[f32]) -> (Vec<u8>, f32) {
    let padded = padded(vector.len());
    let mut nibbles = vec![NIBBLE_OFFSET as u8; padded];
    let mut scale = 0.0;
    if let Some((values, s)) = quantize(vector, 7.0) {
        for (nibble, value) in nibbles.iter_mut().zip(values) {
            *nibble = (value + NIBBLE_OFFSET) as u8;
        }
        scale = s;
    }
    let mut packed = vec![0u8; padded / 2];
    for (block, out) in nibbles
        .chunks_exact(BLOCK)
        .zip(packed.chunks_exact_mut(BLOCK / 2))
    {
        for (j, byte) in out.iter_mut().enumerate() {
            *byte = block[j] | (block[j + BLOCK / 2] << 4);
        }
    }
    (packed, scale)
}

/// Bytes one vector of `dims` dimensions takes as 4-bit codes.
pub(crate) fn bytes_per_vector4(dims: usize) -> usize {
    padded(dims) / 2
}

/// A query as 8-bit codes, prepared for scanning 4-bit codes.
pub(crate) struct Query {
    pub(crate) code: Vec<i8>,
    pub(crate) scale: f32,
    /// `code` zero-padded to the 4-bit layout's length.
    padded: Vec<i8>,
    /// `NIBBLE_OFFSET × Σ code`, taken off every 4-bit dot product.
    offset: i32,
}

impl Query {
    pub(crate) fn new(vector: &[f32]) -> Self {
        let (code, scale) = quantize8(vector);
        let mut padded_code = code.clone();
        padded_code.resize(padded(code.len()), 0);
        let offset = NIBBLE_OFFSET * code.iter().map(|&c| i32::from(c)).sum::<i32>();
        Self {
            code,
            scale,
            padded: padded_code,
            offset,
        }
    }

    /// Integer dot products of this query with consecutive 4-bit vectors (`codes` holds
    /// `scores.len()` of them); multiply by both scales for the approximate dot product.
    pub(crate) fn dot4_many(&self, codes: &[u8], scores: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = pulp::x86::V3::try_new() {
            return simd.vectorize(avx2::Dot4 {
                simd,
                query: &self.padded,
                offset: self.offset,
                codes,
                scores,
            });
        }
        let bytes = self.padded.len() / 2;
        for (code, score) in codes.chunks_exact(bytes).zip(scores) {
            *score = dot4_scalar(&self.padded, code) - self.offset;
        }
    }
}

/// Integer dot product of two 8-bit codes.
pub(crate) fn dot8(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

/// `Σ nibble × query` over one packed vector (the offset not yet taken off).
fn dot4_scalar(query: &[i8], code: &[u8]) -> i32 {
    let mut sum = 0;
    for (block, q) in code.chunks_exact(BLOCK / 2).zip(query.chunks_exact(BLOCK)) {
        for (j, &byte) in block.iter().enumerate() {
            sum += i32::from(byte & 0x0F) * i32::from(q[j])
                + i32::from(byte >> 4) * i32::from(q[j + BLOCK / 2]);
        }
    }
    sum
}

fn padded(dims: usize) -> usize {
    dims.div_ceil(BLOCK) * BLOCK
}

/// `vector / scale` rounded into `−levels..=levels`, with the scale; `None` for a zero or
/// non-finite vector (which then scores zero against everything).
fn quantize(vector: &[f32], levels: f32) -> Option<(impl Iterator<Item = i32> + '_, f32)> {
    let max = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return None;
    }
    let scale = max / levels;
    let values = vector
        .iter()
        .map(move |x| (x / scale).round().clamp(-levels, levels) as i32);
    Some((values, scale))
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The 4-bit kernel on AVX2, through pulp's safe wrappers of the intrinsics.

    use core::arch::x86_64::__m256i;
    use pulp::x86::V3;

    pub(super) struct Dot4<'a> {
        pub(super) simd: V3,
        pub(super) query: &'a [i8],
        pub(super) offset: i32,
        pub(super) codes: &'a [u8],
        pub(super) scores: &'a mut [i32],
    }

    impl pulp::NullaryFnOnce for Dot4<'_> {
        type Output = ();

        // Inlined into pulp's `#[target_feature(enable = "avx2", …)]` trampoline; a closure
        // there is not, and every intrinsic would become a call.
        #[inline(always)]
        fn call(self) {
            let Dot4 {
                simd,
                query,
                offset,
                codes,
                scores,
            } = self;
            let (query_blocks, _) = pulp::as_arrays::<32, i8>(query);
            let query_blocks: Vec<__m256i> = query_blocks.iter().map(|b| pulp::cast(*b)).collect();
            let ones = simd.avx._mm256_set1_epi16(1);
            let low_nibbles = simd.avx._mm256_set1_epi8(0x0F);
            for (code, score) in codes.chunks_exact(query.len() / 2).zip(scores) {
                let (blocks, _) = pulp::as_arrays::<32, u8>(code);
                let mut sum = simd.avx._mm256_setzero_si256();
                for (block, q) in blocks.iter().zip(query_blocks.chunks_exact(2)) {
                    let block: __m256i = pulp::cast(*block);
                    let low = simd.avx2._mm256_and_si256(block, low_nibbles);
                    let high = simd
                        .avx2
                        ._mm256_and_si256(simd.avx2._mm256_srli_epi16::<4>(block), low_nibbles);
                    // Each 16-bit lane is at most 2 × 2 × 15 × 127, far from saturating.
                    let pairs = simd.avx2._mm256_add_epi16(
                        simd.avx2._mm256_maddubs_epi16(low, q[0]),
                        simd.avx2._mm256_maddubs_epi16(high, q[1]),
                    );
                    sum = simd
                        .avx2
                        ._mm256_add_epi32(sum, simd.avx2._mm256_madd_epi16(pairs, ones));
                }
                let lanes: [i32; 8] = pulp::cast(sum);
                *score = lanes.iter().sum::<i32>() - offset;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(seed: u32, dims: usize) -> Vec<f32> {
        (0..dims)
            .map(|i| {
                (((i as u32).wrapping_mul(2_654_435_761) ^ seed).wrapping_mul(40_503) >> 16) as f32
                    / 65_536.0
                    - 0.5
            })
            .collect()
    }

    #[test]
    fn codes_round_trip_closely_and_zero_vectors_score_zero() {
        let vector = [0.5, -0.25, 0.125, 0.0];
        let (code, scale) = quantize8(&vector);
        for (c, v) in code.iter().zip(vector) {
            assert!((f32::from(*c) * scale - v).abs() < 0.003);
        }
        assert_eq!(quantize8(&[0.0, 0.0]).1, 0.0);
        assert_eq!(quantize4(&[0.0, f32::NAN]).1, 0.0);
    }

    #[test]
    fn the_fast_4bit_kernel_agrees_with_the_plain_one_and_approximates_the_dot_product() {
        for dims in [384, 100, 768, 64] {
            let stored: Vec<Vec<f32>> = (0..37).map(|s| vector(s, dims)).collect();
            let codes: Vec<u8> = stored.iter().flat_map(|v| quantize4(v).0).collect();
            let query_vector = vector(999, dims);
            let query = Query::new(&query_vector);
            let mut scores = vec![0; stored.len()];
            query.dot4_many(&codes, &mut scores);
            for (i, v) in stored.iter().enumerate() {
                let code = &codes[i * bytes_per_vector4(dims)..(i + 1) * bytes_per_vector4(dims)];
                assert_eq!(scores[i], dot4_scalar(&query.padded, code) - query.offset);
                let exact: f32 = v.iter().zip(&query_vector).map(|(a, b)| a * b).sum();
                let approximate = scores[i] as f32 * quantize4(v).1 * query.scale;
                let magnitude = (v.iter().map(|x| x * x).sum::<f32>()
                    * query_vector.iter().map(|x| x * x).sum::<f32>())
                .sqrt();
                assert!(
                    (approximate - exact).abs() < 0.1 * magnitude,
                    "{dims} dims, vector {i}: {approximate} vs {exact}"
                );
            }
        }
    }
}
