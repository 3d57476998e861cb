#!/usr/bin/env python3
"""Reference throughput for local embeddings: sentence-transformers (PyTorch, CPU) encoding N
sentences of about 51 word pieces each ([CLS] and [SEP] included) in batches of B, with
normalize_embeddings=True, as Hearth's own embedder is measured on the same work.

    HF_HUB_OFFLINE=1 ~/.cache/hearth/st-venv/bin/python bench/reference/st_embed.py \\
        --model "$(scripts/model.sh)" --sentences 1000 --batch 32

Prints one JSON object on stdout: {"sentences_per_s": ..., ...} (the median of --repeat timed runs,
after one untimed warm-up batch), with the runs, the mean token count, the thread count and the
versions beside it.

The sentences are deterministic (a 64-bit LCG picking words from a fixed list of common English
words, each a single word piece), so another implementation can embed exactly the same texts:
--dump FILE writes them, one per line.
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = (
    "the of and to in is was for on that with as by at from his her they be this are an which "
    "have one had not but all were when we there can more would their time if will about out "
    "up into so them some could other than then its only new these two may first people any "
    "after most also made over did many before must through back years where much your way "
    "well down should because each just those how too little state good very make world still "
    "own see men work long get here between both life being under never day same another know "
    "while last might great old year off come since against go came right used take three"
).split()


def sentences(n: int) -> list[str]:
    """n sentences of 43..53 words and a full stop: 46..56 word pieces with [CLS]/[SEP], ~51."""
    state = 0x5EED
    out = []

    def rand() -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return state >> 33

    for _ in range(n):
        count = 43 + rand() % 11
        words = [WORDS[rand() % len(WORDS)] for _ in range(count)]
        out.append(" ".join(words).capitalize() + ".")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the model directory (scripts/model.sh prints it)")
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the median is reported")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--dump", help="also write the sentences to this file, one per line")
    args = ap.parse_args()

    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = sentences(args.sentences)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")

    model = SentenceTransformer(args.model, device="cpu")
    tokens = [len(ids) for ids in model.tokenizer(texts, add_special_tokens=True)["input_ids"]]
    model.encode(texts[: args.batch], batch_size=args.batch, normalize_embeddings=True,
                 show_progress_bar=False)  # warm-up

    runs = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=args.batch, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        runs.append(args.sentences / (time.perf_counter() - start))
    assert vectors.shape == (args.sentences, 384), vectors.shape

    print(json.dumps({
        "sentences_per_s": round(statistics.median(runs), 1),
        "runs_sentences_per_s": [round(r, 1) for r in runs],
        "sentences": args.sentences,
        "batch": args.batch,
        "mean_tokens": round(statistics.mean(tokens), 1),
        "min_tokens": min(tokens),
        "max_tokens": max(tokens),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "sentence_transformers_version": sentence_transformers.__version__,
        "load_average_1m": os.getloadavg()[0],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
