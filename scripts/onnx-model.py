#!/usr/bin/env python3
"""Exports all-MiniLM-L6-v2 (the BERT encoder, without pooling) to ONNX the way the Hugging Face
hub ships it for sentence-transformers/all-MiniLM-L6-v2 as onnx/model.onnx, so that Hearth's ONNX
Runtime engine can load it:

    inputs   input_ids       int64 [batch, sequence]
             attention_mask  int64 [batch, sequence]   (1 for real tokens, 0 for padding)
             token_type_ids  int64 [batch, sequence]   (all 0 for a single sentence)
    output   last_hidden_state  float32 [batch, sequence, 384]

Mean pooling over the mask and L2 normalisation are left to the caller, as with the hub's file.
Run it with the st-venv python (torch and transformers; no `onnx` package is needed):

    ~/.cache/hearth/st-venv/bin/python scripts/onnx-model.py --model "$(scripts/model.sh)"

It writes MODEL/onnx/model.onnx (one self-contained file, ~90 MB, weights inside), first to
model.onnx.part and then renamed, and checks that the traced graph matches PyTorch on a padded batch
by running it once with onnxruntime if that is importable (it is not in the st-venv; the check is
then skipped and bench/reference/ort_embed.py does it).
"""

import argparse
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["last_hidden_state"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/hearth/models/all-MiniLM-L6-v2"),
                    help="the model directory (scripts/model.sh prints it)")
    ap.add_argument("--out", help="default: MODEL/onnx/model.onnx")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = ap.parse_args()
    out = args.out or os.path.join(args.model, "onnx", "model.onnx")
    if os.path.exists(out) and not args.force:
        print(f"onnx-model: {out} exists (--force to overwrite)", file=sys.stderr)
        print(out)
        return 0

    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    # Eager attention traces to plain MatMul/Softmax, the pattern ONNX Runtime's BERT optimizer
    # fuses; SDPA would also export but gains nothing here.
    model = AutoModel.from_pretrained(args.model, attn_implementation="eager").eval()
    # The hub's file (optimum) returns last_hidden_state only; drop the pooler output.
    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids, return_dict=True).last_hidden_state

    encoder = Encoder(model).eval()
    # A padded batch of two, so that the trace is of the general (masked) case.
    sample = tokenizer(["A man is eating food.", "ok"], padding=True, return_tensors="pt")
    feed = tuple(sample[name].to(torch.int64) for name in INPUTS)
    dynamic = {name: {0: "batch_size", 1: "sequence_length"} for name in INPUTS}
    dynamic[OUTPUTS[0]] = {0: "batch_size", 1: "sequence_length"}

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".part"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about Python bools in the mask code
        torch.onnx.export(
            encoder, feed, tmp,
            dynamo=False,  # the TorchScript exporter: one file, plain ops, no onnxscript needed
            input_names=INPUTS, output_names=OUTPUTS, dynamic_axes=dynamic,
            opset_version=args.opset, do_constant_folding=True, export_params=True,
        )
        reference = encoder(*feed).numpy()

    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    if ort is not None:
        session = ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])
        got = session.run(OUTPUTS, {name: t.numpy() for name, t in zip(INPUTS, feed)})[0]
        diff = float(abs(got - reference).max())
        if diff > 1e-3:
            sys.exit(f"onnx-model: the exported graph differs from PyTorch by {diff}")
        print(f"onnx-model: max |onnx - torch| = {diff:.2e}", file=sys.stderr)
    os.replace(tmp, out)
    print(f"onnx-model: wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB, opset {args.opset}, "
          f"torch {torch.__version__})", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
