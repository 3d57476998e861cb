#!/usr/bin/env bash
# Puts ONNX Runtime's shared library (CPU build, Linux x86_64) where Hearth's ONNX embedding engine
# loads it from at run time (the Rust crate `ort` with the `load-dynamic` feature), and prints the
# path of the library on stdout:
#   ${HEARTH_ORT_DIR:-~/.cache/hearth/onnxruntime}/lib/libonnxruntime.so.<version>
#   (with a libonnxruntime.so symlink beside it)
# Point ORT_DYLIB_PATH at the printed path, e.g.  export ORT_DYLIB_PATH="$(scripts/onnxruntime.sh)"
#
# No binary downloads are reachable from these machines, but PyPI is: the `onnxruntime` wheel ships
# onnxruntime/capi/libonnxruntime.so.<version>, which needs nothing beyond glibc and libstdc++.
# This downloads that wheel with pip (no install, no dependencies) and unpacks the library,
# checking it against the wheel's RECORD hash. Idempotent: once the library is there it only prints
# the path. Override the version with ORT_VERSION (the Rust side's `ort` API level must be <= the
# library's minor version: ort 2.0.0-rc.15's api-31 needs ONNX Runtime >= 1.31).
set -euo pipefail

VERSION="${ORT_VERSION:-1.32.0}"
BASE="${HEARTH_ORT_DIR:-$HOME/.cache/hearth/onnxruntime}"
LIB="$BASE/lib"
SO="$LIB/libonnxruntime.so.$VERSION"

log() { printf 'onnxruntime: %s\n' "$*" >&2; }

if ! [ -f "$SO" ]; then
  mkdir -p "$BASE/wheels" "$LIB"
  # The library inside is the same for every CPython version; ask for cp311 so that pip finds a
  # wheel whichever python3 runs it.
  wheel=$(compgen -G "$BASE/wheels/onnxruntime-$VERSION-*manylinux*x86_64.whl" | head -n1 || true)
  if [ -z "$wheel" ]; then
    log "downloading onnxruntime==$VERSION from PyPI"
    python3 -m pip download -q --no-deps --only-binary=:all: \
      --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
      --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
      -d "$BASE/wheels" "onnxruntime==$VERSION"
    wheel=$(compgen -G "$BASE/wheels/onnxruntime-$VERSION-*manylinux*x86_64.whl" | head -n1)
  fi
  log "unpacking libonnxruntime.so.$VERSION from $wheel"
  python3 - "$wheel" "$SO" "$VERSION" <<'EOF'
import base64, csv, hashlib, io, os, sys, zipfile

wheel, so, version = sys.argv[1:]
name = f"onnxruntime/capi/libonnxruntime.so.{version}"
with zipfile.ZipFile(wheel) as z:
    record = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
    hashes = {row[0]: row[1] for row in csv.reader(io.TextIOWrapper(z.open(record), "utf-8")) if row}
    if name not in z.namelist():
        sys.exit(f"{wheel} has no {name}")
    data = z.read(name)
algo, _, want = hashes[name].partition("=")
got = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
if got != want:
    sys.exit(f"{name}: hash mismatch with the wheel's RECORD")
tmp = so + ".part"
with open(tmp, "wb") as f:
    f.write(data)
os.chmod(tmp, 0o755)
os.rename(tmp, so)  # never leave a half-written library under the final name
print(f"onnxruntime: {len(data)} bytes", file=sys.stderr)
EOF
fi
ln -sfn "libonnxruntime.so.$VERSION" "$LIB/libonnxruntime.so"
echo "$SO"
