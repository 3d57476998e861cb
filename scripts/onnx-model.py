#!/usr/bin/env python3
"""Writes MODEL/onnx/model.onnx for a BERT sentence-transformers model (all-MiniLM-L6-v2 here): the
encoder without pooling, with the interface the Hugging Face hub's onnx/model.onnx files have, so
that Hearth's ONNX Runtime engine loads either:

    inputs   input_ids       int64 [batch, sequence]
             attention_mask  int64 [batch, sequence]   (1 for real tokens, 0 for padding)
             token_type_ids  int64 [batch, sequence]   (all 0 for a single sentence)
    output   last_hidden_state  float32 [batch, sequence, hidden]

Mean pooling over the mask and L2 normalisation are left to the caller, as with the hub's files.

No model hub is reachable here and exporting with torch.onnx.export would need PyTorch (5.8 GB from
PyPI with its CUDA wheels) only to trace a graph that is a dozen lines of linear algebra. So this
writes the graph directly with the `onnx` package from MODEL/config.json and the weights in
MODEL/model.safetensors (read with numpy): BERT embeddings, `num_hidden_layers` post-norm encoder
layers (self-attention with the padding mask, erf GELU), opset 17. Hearth's test
(crates/hearth-embed-local/tests/reference.rs) checks the result against sentence-transformers'
own vectors, and with --check this script compares it to a plain numpy forward pass.

    python scripts/onnx-model.py --model "$(scripts/model.sh)"     # needs numpy and onnx

It writes model.onnx.part and renames it, so a half-written file never has the final name.
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT = "last_hidden_state"
DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[meta["dtype"]]).reshape(meta["shape"])
        tensors[name.removeprefix("bert.")] = array.astype(np.float32) if array.dtype == np.float16 else array
    return tensors


def build(config, weights):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(value, prefix="c"):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(value), n))
        return n

    def op(kind, inputs, **attrs):
        out = name(kind.lower())
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(x, prefix, scale=1.0):
        # x @ W^T + b, with W stored [out, in] as in PyTorch.
        w = const((weights[f"{prefix}.weight"].T * scale).astype(np.float32), "w")
        b = const((weights[f"{prefix}.bias"] * scale).astype(np.float32), "b")
        return op("Add", [op("MatMul", [x, w]), b])

    def layer_norm(x, prefix):
        g = const(weights[f"{prefix}.weight"].astype(np.float32), "g")
        b = const(weights[f"{prefix}.bias"].astype(np.float32), "b")
        return op("LayerNormalization", [x, g, b], axis=-1, epsilon=eps)

    # Embeddings: word + position (0..sequence) + token type, then LayerNorm.
    e = "embeddings"
    words = op("Gather", [const(weights[f"{e}.word_embeddings.weight"], "emb"), "input_ids"])
    types = op("Gather", [const(weights[f"{e}.token_type_embeddings.weight"], "emb"), "token_type_ids"])
    length = op("Gather", [op("Shape", ["input_ids"]), const(np.int64(1))], axis=0)
    positions = op("Range", [const(np.int64(0)), length, const(np.int64(1))])
    position = op("Gather", [const(weights[f"{e}.position_embeddings.weight"], "emb"), positions])
    x = layer_norm(op("Add", [op("Add", [words, types]), position]), f"{e}.LayerNorm")

    # Padding mask as an additive bias [batch, 1, 1, sequence]: 0 for tokens, a large negative for
    # padding (finite, so a row never becomes NaN).
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = op("Mul", [op("Sub", [const(np.float32(1.0)), mask]), const(np.float32(-1e9))])
    bias = op("Unsqueeze", [bias, const(np.array([1, 2], dtype=np.int64))])

    split = const(np.array([0, 0, heads, head], dtype=np.int64))
    merge = const(np.array([0, 0, hidden], dtype=np.int64))
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        # The 1/sqrt(head) of scaled dot-product attention is folded into the query projection.
        q = op("Transpose", [op("Reshape", [linear(x, f"{p}.attention.self.query", 1 / math.sqrt(head)), split])],
               perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [linear(x, f"{p}.attention.self.key"), split])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [linear(x, f"{p}.attention.self.value"), split])], perm=[0, 2, 1, 3])
        probs = op("Softmax", [op("Add", [op("MatMul", [q, k]), bias])], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge])
        attended = linear(context, f"{p}.attention.output.dense")
        x = layer_norm(op("Add", [attended, x]), f"{p}.attention.output.LayerNorm")
        h = linear(x, f"{p}.intermediate.dense")
        # GELU as BERT defines it: 0.5 · h · (1 + erf(h / √2)).
        erf = op("Erf", [op("Div", [h, const(np.float32(math.sqrt(2.0)))])])
        gelu = op("Mul", [op("Mul", [h, op("Add", [erf, const(np.float32(1.0))])]), const(np.float32(0.5))])
        out = linear(gelu, f"{p}.output.dense")
        x = layer_norm(op("Add", [out, x]), f"{p}.output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], [OUTPUT]))

    graph = helper.make_graph(
        nodes,
        "bert_encoder",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in INPUTS],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", "sequence", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="hearth")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def numpy_forward(config, w, ids, mask):
    """The same encoder in plain numpy, to check the graph against."""
    from math import erf

    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * w[f"{p}.weight"] + w[f"{p}.bias"]

    def lin(x, p):
        return x @ w[f"{p}.weight"].T + w[f"{p}.bias"]

    e = "embeddings"
    s = ids.shape[1]
    x = w[f"{e}.word_embeddings.weight"][ids] + w[f"{e}.token_type_embeddings.weight"][0] \
        + w[f"{e}.position_embeddings.weight"][:s]
    x = ln(x, f"{e}.LayerNorm")
    bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
    verf = np.vectorize(erf)
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        split = lambda t: t.reshape(t.shape[0], s, heads, head).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = (split(lin(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        x = ln(lin(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
        h = lin(x, f"{p}.intermediate.dense")
        x = ln(lin(0.5 * h * (1 + verf(h / math.sqrt(2))), f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    return x


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/hearth/models/all-MiniLM-L6-v2"),
                    help="the model directory (scripts/model.sh prints it)")
    ap.add_argument("--out", help="default: MODEL/onnx/model.onnx")
    ap.add_argument("--force", action="store_true", help="overwrite an existing file")
    ap.add_argument("--check", action="store_true",
                    help="run the graph with onnxruntime against a numpy forward pass on a padded batch")
    args = ap.parse_args()
    out = args.out or os.path.join(args.model, "onnx", "model.onnx")
    if os.path.exists(out) and not args.force and not args.check:
        print(f"onnx-model: {out} exists (--force to overwrite)", file=sys.stderr)
        print(out)
        return 0

    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        sys.exit(f"onnx-model: {args.model} is not a BERT model with absolute positions")
    weights = read_safetensors(os.path.join(args.model, "model.safetensors"))
    if not (os.path.exists(out) and args.check and not args.force):
        model = build(config, weights)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        import onnx

        onnx.save(model, out + ".part")
        os.replace(out + ".part", out)
        print(f"onnx-model: wrote {out} ({os.path.getsize(out) // 1_000_000} MB)", file=sys.stderr)

    if args.check:
        import onnxruntime as ort

        rng = np.random.default_rng(7)
        ids = rng.integers(1000, 20000, size=(3, 17), dtype=np.int64)
        mask = np.ones_like(ids)
        mask[1, 9:] = 0
        mask[2, 4:] = 0
        ids[mask == 0] = 0
        session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
        got = session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask,
                                     "token_type_ids": np.zeros_like(ids)})[0]
        want = numpy_forward(config, weights, ids, mask)
        worst = float(np.abs(got - want)[mask == 1].max())
        print(f"onnx-model: largest difference from numpy on real tokens {worst:.2e}", file=sys.stderr)
        if worst > 1e-3:
            sys.exit("onnx-model: the graph does not match the numpy forward pass")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
