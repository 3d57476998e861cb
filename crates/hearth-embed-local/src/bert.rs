//! A BERT encoder with sentence-transformers pooling, on candle.

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use serde::Deserialize;

/// What `config.json` says about the encoder.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct BertConfig {
    pub(crate) hidden_size: usize,
    pub(crate) num_attention_heads: usize,
    pub(crate) num_hidden_layers: usize,
    pub(crate) max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub(crate) layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub(crate) hidden_act: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
}

impl Norm {
    fn load(vb: VarBuilder<'_>, size: usize) -> candle_core::Result<Self> {
        Ok(Self {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
        })
    }

    fn forward(&self, x: &Tensor, eps: f32) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, eps)
    }
}

struct Layer {
    /// Query, key and value projections stacked into one matrix: one product instead of three.
    qkv: Linear,
    output: Linear,
    attention_norm: Norm,
    up: Linear,
    down: Linear,
    output_norm: Norm,
}

/// The encoder's weights.
pub(crate) struct Bert {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    eps: f32,
    tanh_gelu: bool,
}

fn linear(vb: VarBuilder<'_>, input: usize, output: usize) -> candle_core::Result<Linear> {
    Ok(Linear::new(
        vb.get((output, input), "weight")?,
        Some(vb.get(output, "bias")?),
    ))
}

impl Bert {
    /// Loads the weights, with or without a `bert.` prefix on their names.
    pub(crate) fn load(vb: VarBuilder<'_>, config: &BertConfig) -> candle_core::Result<Self> {
        let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") {
            vb
        } else {
            vb.pp("bert")
        };
        let h = config.hidden_size;
        let embeddings = vb.pp("embeddings");
        let word = embeddings.pp("word_embeddings").get_unchecked("weight")?;
        let position = embeddings
            .pp("position_embeddings")
            .get_unchecked("weight")?;
        let token_type = embeddings
            .pp("token_type_embeddings")
            .get_unchecked("weight")?
            .get(0)?;
        let embedding_norm = Norm::load(embeddings.pp("LayerNorm"), h)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for index in 0..config.num_hidden_layers {
            let layer = vb.pp(format!("encoder.layer.{index}"));
            let attention = layer.pp("attention");
            let own = attention.pp("self");
            let weights = ["query", "key", "value"]
                .map(|name| own.pp(name).get((h, h), "weight"))
                .into_iter()
                .collect::<candle_core::Result<Vec<_>>>()?;
            let biases = ["query", "key", "value"]
                .map(|name| own.pp(name).get(h, "bias"))
                .into_iter()
                .collect::<candle_core::Result<Vec<_>>>()?;
            let intermediate = layer
                .pp("intermediate.dense")
                .get_unchecked("weight")?
                .dim(0)?;
            layers.push(Layer {
                qkv: Linear::new(Tensor::cat(&weights, 0)?, Some(Tensor::cat(&biases, 0)?)),
                output: linear(attention.pp("output.dense"), h, h)?,
                attention_norm: Norm::load(attention.pp("output.LayerNorm"), h)?,
                up: linear(layer.pp("intermediate.dense"), h, intermediate)?,
                down: linear(layer.pp("output.dense"), intermediate, h)?,
                output_norm: Norm::load(layer.pp("output.LayerNorm"), h)?,
            });
        }
        Ok(Self {
            word,
            position,
            token_type,
            embedding_norm,
            layers,
            heads: config.num_attention_heads,
            hidden: h,
            eps: config.layer_norm_eps as f32,
            tanh_gelu: config.hidden_act == "gelu_new" || config.hidden_act == "gelu_pytorch_tanh",
        })
    }

    /// Mean-pooled, L2-normalised sentence vectors for a padded batch: `ids` and `mask` are
    /// `(batch, length)`, `mask` 1 for tokens and 0 for padding.
    pub(crate) fn embed(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, length) = ids.dims2()?;
        let (h, heads) = (self.hidden, self.heads);
        let head_size = h / heads;
        let word = self
            .word
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((batch, length, h))?;
        let position = self.position.narrow(0, 0, length)?;
        let x = word
            .broadcast_add(&position)?
            .broadcast_add(&self.token_type)?;
        let mut x = self.embedding_norm.forward(&x, self.eps)?;
        // Padding gets a large negative score so softmax gives it no weight.
        let bias =
            ((mask.to_dtype(DType::F32)? - 1.0)? * 10_000.0)?.reshape((batch, 1, 1, length))?;
        let scale = 1.0 / (head_size as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer
                .qkv
                .forward(&x)?
                .reshape((batch, length, 3, heads, head_size))?
                .permute((2, 0, 3, 1, 4))?
                .contiguous()?;
            let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((batch, length, h))?;
            let attended = (layer.output.forward(&context)? + &x)?;
            x = layer.attention_norm.forward(&attended, self.eps)?;
            let up = layer.up.forward(&x)?;
            let up = if self.tanh_gelu {
                up.gelu()?
            } else {
                up.gelu_erf()?
            };
            let out = (layer.down.forward(&up)? + &x)?;
            x = layer.output_norm.forward(&out, self.eps)?;
        }
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = x.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&norm)
    }
}

/// The CPU device (the engine never uses a GPU).
pub(crate) fn device() -> Device {
    Device::Cpu
}
