//! The ONNX Runtime engine: the same model as an ONNX graph (`onnx/model.onnx`, as the Hugging
//! Face hub ships sentence-transformers models, or as `scripts/onnx-model.py` writes it), run by
//! ONNX Runtime's CPU kernels, about 1.5× candle's speed here (BENCHMARKS.md).
//!
//! ONNX Runtime is a C++ library; the `ort` crate loads it at run time from the file named by
//! `RAG_EMBEDDING_ONNX_RUNTIME` (`load-dynamic`), so nothing is linked or downloaded at build time
//! and a binary without the library still runs, on candle. Mean pooling over the attention mask
//! and L2 normalisation happen here, as for candle.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use crate::LoadError;

/// The graph's output: the encoder's hidden states, `[batch, sequence, hidden]`.
const OUTPUT: &str = "last_hidden_state";

/// ONNX Runtime allows one environment per process, bound to the library first loaded.
static ENVIRONMENT: OnceLock<Result<(PathBuf, Environment), String>> = OnceLock::new();

/// A model loaded into ONNX Runtime.
pub(crate) struct OnnxEncoder {
    /// `Session::run` needs `&mut`; one batch runs at a time, on every core.
    session: Mutex<Session>,
    takes_token_types: bool,
}

impl OnnxEncoder {
    /// Loads `model` (an `.onnx` file) with the ONNX Runtime library at `library`.
    pub(crate) fn load(library: &Path, model: &Path) -> Result<Self, LoadError> {
        let environment = environment(library)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let fail = |e: &dyn std::fmt::Display| {
            LoadError::Model(format!("ONNX Runtime cannot load {}: {e}", model.display()))
        };
        let session = Session::builder(&environment)
            .map_err(|e| fail(&e))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| fail(&e))?
            .with_intra_threads(threads)
            .map_err(|e| fail(&e))?
            .commit_from_file(model)
            .map_err(|e| fail(&e))?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        for needed in ["input_ids", "attention_mask"] {
            if !inputs.contains(&needed) {
                return Err(fail(&format!("the graph has no input `{needed}`")));
            }
        }
        if !session.outputs().iter().any(|o| o.name() == OUTPUT) {
            return Err(fail(&format!("the graph has no output `{OUTPUT}`")));
        }
        Ok(Self {
            takes_token_types: inputs.contains(&"token_type_ids"),
            session: Mutex::new(session),
        })
    }

    /// Mean-pooled, L2-normalised vectors for a padded batch of `shape.0` texts of `shape.1`
    /// tokens; `mask` is 1 for real tokens and 0 for padding.
    pub(crate) fn embed(
        &self,
        ids: Vec<i64>,
        mask: Vec<i64>,
        shape: (usize, usize),
    ) -> Result<Vec<Vec<f32>>, String> {
        let (batch, length) = shape;
        let dims = [batch as i64, length as i64];
        let tensor = |data: Vec<i64>| Tensor::from_array((dims, data)).map_err(|e| e.to_string());
        let mut inputs = ort::inputs![
            "input_ids" => tensor(ids)?,
            "attention_mask" => tensor(mask.clone())?,
        ];
        if self.takes_token_types {
            inputs.push((
                "token_type_ids".into(),
                tensor(vec![0; batch * length])?.into(),
            ));
        }
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session.run(inputs).map_err(|e| e.to_string())?;
        let (out_shape, hidden) = outputs[OUTPUT]
            .try_extract_tensor::<f32>()
            .map_err(|e| e.to_string())?;
        let out_shape: &[i64] = out_shape;
        let [b, s, h] = out_shape else {
            return Err(format!(
                "{OUTPUT} has shape {out_shape:?}, not [batch, sequence, hidden]"
            ));
        };
        if (*b as usize, *s as usize) != shape {
            return Err(format!(
                "{OUTPUT} has shape {out_shape:?} for a batch of {shape:?}"
            ));
        }
        Ok(mean_pool(hidden, &mask, length, *h as usize))
    }
}

/// The process's ONNX Runtime environment, loading the library on first use.
fn environment(library: &Path) -> Result<Environment, LoadError> {
    let loaded = ENVIRONMENT.get_or_init(|| {
        let environment = ort::init_from(library)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", library.display()))?
            .with_name("hearth")
            .with_telemetry(false)
            .build()
            .map_err(|e| format!("ONNX Runtime: {e}"))?;
        Ok((library.to_path_buf(), environment))
    });
    match loaded {
        Ok((path, environment)) if path == library => Ok(environment.clone()),
        Ok((path, _)) => Err(LoadError::Model(format!(
            "ONNX Runtime is already loaded from {} in this process",
            path.display()
        ))),
        Err(reason) => Err(LoadError::Model(reason.clone())),
    }
}

/// Averages each text's token vectors over its mask, then scales the average to unit length.
fn mean_pool(hidden: &[f32], mask: &[i64], length: usize, dims: usize) -> Vec<Vec<f32>> {
    mask.chunks_exact(length)
        .zip(hidden.chunks_exact(length * dims))
        .map(|(mask, tokens)| {
            let mut sum = vec![0f32; dims];
            let mut count = 0f32;
            for (&m, token) in mask.iter().zip(tokens.chunks_exact(dims)) {
                if m != 0 {
                    sum.iter_mut().zip(token).for_each(|(s, t)| *s += t);
                    count += 1.0;
                }
            }
            let count = count.max(1e-9);
            sum.iter_mut().for_each(|s| *s /= count);
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            sum.iter_mut().for_each(|s| *s /= norm);
            sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_averages_real_tokens_only_and_normalises() {
        // Two texts of two token slots, three dimensions; the second text's second slot is padding.
        let hidden = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 3.0, 4.0, 0.0, 9.0, 9.0, 9.0];
        let vectors = mean_pool(&hidden, &[1, 1, 1, 0], 2, 3);
        let half = 0.5f32.sqrt();
        assert!((vectors[0][0] - half).abs() < 1e-6 && (vectors[0][1] - half).abs() < 1e-6);
        assert!((vectors[1][0] - 0.6).abs() < 1e-6 && (vectors[1][1] - 0.8).abs() < 1e-6);
    }
}
