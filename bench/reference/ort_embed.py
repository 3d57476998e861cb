#!/usr/bin/env python3
"""Reference throughput and correctness for local embeddings on ONNX Runtime (CPU): all-MiniLM-L6-v2
exported to ONNX (scripts/onnx-model.py), the `tokenizers` tokenizer from tokenizer.json, mean
pooling over the attention mask and L2 normalisation done here in numpy -- the pipeline Hearth's
ONNX engine runs in Rust -- on the same N sentences of about 51 word pieces as
bench/reference/st_embed.py.

    ~/.cache/hearth/ort-venv/bin/python bench/reference/ort_embed.py \\
        --model "$(scripts/model.sh)" --sentences 1000 --batch 32 --threads 2

The venv needs only onnxruntime, numpy and tokenizers, e.g.
    python3 -m venv ~/.cache/hearth/ort-venv
    ~/.cache/hearth/ort-venv/bin/pip install onnxruntime numpy tokenizers
With --engine st it runs sentence-transformers on PyTorch instead, on the same texts with the same
check and accounting (run that with the st-venv python), for a comparison on the same machine state.

Before timing it embeds the texts of tests/fixtures/embeddings/minilm_reference.json (written by
sentence-transformers) in one padded batch and fails unless every item's cosine with the reference
vector is >= --min-cosine (0.999). The sentences are sorted by token count, cut into batches of B,
each padded to its longest member (as sentence-transformers does), and the vectors put back in
input order. The timed part includes tokenization. Prints one JSON object on stdout: the median
sentences/s of --repeat runs after a warm-up batch, the check's worst cosine, and the settings.

The machine is shared, so each run also records `others_cpu_share`: the share of the machine's CPU
time (all cores, from /proc/stat) that went to other processes while it ran. `quiet_sentences_per_s`
is the median over the runs where that share was below --quiet (0.05), null if there were none;
compare engines on those.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from st_embed import sentences  # noqa: E402  (the same deterministic texts; imports nothing heavy)

DEFAULT_FIXTURE = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "embeddings",
                                                "minilm_reference.json"))


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return busy, busy + v[3] + v[4]


def timed(fn, count: int) -> dict:
    """Runs fn(), returning sentences/s and the share of machine CPU others used meanwhile."""
    hz = os.sysconf("SC_CLK_TCK")
    b0, t0 = machine_cpu()
    c0 = time.process_time()
    w0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - w0
    own = (time.process_time() - c0) * hz
    b1, t1 = machine_cpu()
    others = max(0.0, (b1 - b0 - own) / max(1, t1 - t0))
    return {"sentences_per_s": count / wall, "others_cpu_share": others, "own_cpu_s": own / hz,
            "wall_s": wall, "result": result}


class Embedder:
    def __init__(self, model_dir: str, onnx_path: str, threads: int, opt_level: str, max_length: int,
                 spinning: bool):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        # tokenizer.json ships truncation at 128 and fixed padding to 128; sentence-transformers
        # truncates at max_seq_length (256) and pads each batch to its longest member.
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[opt_level]
        if not spinning:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_name = self.session.get_outputs()[0].name

    def token_counts(self, texts):
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=True)]

    def embed(self, texts, batch: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                e = encodings[i].ids
                ids[row, :len(e)] = e
                mask[row, :len(e)] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run([self.output_name], {k: feed[k] for k in self.input_names})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out


class TorchEmbedder:
    """sentence-transformers on PyTorch, for a same-session comparison (--engine st, st-venv)."""

    def __init__(self, model_dir: str, threads: int):
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(model_dir, device="cpu")

    def token_counts(self, texts):
        return [len(ids) for ids in self.model.tokenizer(texts, add_special_tokens=True)["input_ids"]]

    def embed(self, texts, batch: int) -> np.ndarray:
        return self.model.encode(texts, batch_size=batch, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the model directory (scripts/model.sh prints it)")
    ap.add_argument("--engine", choices=["ort", "st"], default="ort",
                    help="ort: ONNX Runtime (ort-venv); st: sentence-transformers on PyTorch, the "
                         "same work and accounting for comparison (run it with the st-venv python)")
    ap.add_argument("--onnx", help="the ONNX file (default: MODEL/onnx/model.onnx)")
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the median is reported")
    ap.add_argument("--threads", type=int, default=2, help="intra-op (or torch) threads")
    ap.add_argument("--opt-level", choices=["disable", "basic", "extended", "all"], default="all")
    ap.add_argument("--no-spinning", action="store_true", help="session.intra_op.allow_spinning=0")
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--fixture", default=DEFAULT_FIXTURE)
    ap.add_argument("--min-cosine", type=float, default=0.999)
    ap.add_argument("--quiet", type=float, default=0.05,
                    help="a run counts as quiet when others used less than this share of the CPU")
    ap.add_argument("--save", help="also write the benchmark vectors to this .npy file")
    args = ap.parse_args()

    onnx_path = args.onnx or os.path.join(args.model, "onnx", "model.onnx")
    if args.engine == "ort":
        import onnxruntime as ort

        emb = Embedder(args.model, onnx_path, args.threads, args.opt_level, args.max_length,
                       not args.no_spinning)
        engine = {
            "engine": "onnxruntime",
            "onnx": onnx_path,
            "onnx_bytes": os.path.getsize(onnx_path),
            "intra_op_threads": args.threads,
            "graph_optimization_level": args.opt_level,
            "allow_spinning": not args.no_spinning,
            "onnxruntime_version": ort.__version__,
        }
    else:
        import sentence_transformers
        import torch

        emb = TorchEmbedder(args.model, args.threads)
        engine = {
            "engine": "sentence-transformers",
            "torch_threads": torch.get_num_threads(),
            "torch_version": torch.__version__,
            "sentence_transformers_version": sentence_transformers.__version__,
        }

    with open(args.fixture, encoding="utf-8") as f:
        fixture = json.load(f)
    ref = np.array([it["vector"] for it in fixture["items"]], dtype=np.float32)
    got = emb.embed([it["text"] for it in fixture["items"]], batch=args.batch)
    cosines = (got * ref).sum(axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1))
    worst = float(cosines.min())
    if worst < args.min_cosine:
        print(f"ort_embed: fixture cosines {[round(float(c), 6) for c in cosines]} "
              f"below {args.min_cosine}", file=sys.stderr)
        return 1

    texts = sentences(args.sentences)
    tokens = emb.token_counts(texts)
    emb.embed(texts[: args.batch], batch=args.batch)  # warm-up
    runs = []
    for _ in range(max(1, args.repeat)):
        runs.append(timed(lambda: emb.embed(texts, batch=args.batch), args.sentences))
    vectors = runs[-1].pop("result")
    for r in runs:
        r.pop("result", None)
    assert vectors.shape == (args.sentences, 384), vectors.shape
    quiet = [r["sentences_per_s"] for r in runs if r["others_cpu_share"] < args.quiet]
    if args.save:
        np.save(args.save, vectors)

    print(json.dumps({
        "sentences_per_s": round(statistics.median(r["sentences_per_s"] for r in runs), 1),
        "quiet_sentences_per_s": round(statistics.median(quiet), 1) if quiet else None,
        "runs_sentences_per_s": [round(r["sentences_per_s"], 1) for r in runs],
        "runs_others_cpu_share": [round(r["others_cpu_share"], 3) for r in runs],
        "runs_own_cpu_per_wall": [round(r["own_cpu_s"] / r["wall_s"], 2) for r in runs],
        "sentences": args.sentences,
        "batch": args.batch,
        "mean_tokens": round(statistics.mean(tokens), 1),
        "min_tokens": min(tokens),
        "max_tokens": max(tokens),
        "fixture_min_cosine": round(worst, 7),
        "fixture_cosines": [round(float(c), 7) for c in cosines],
        **engine,
        "load_average_1m": os.getloadavg()[0],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
