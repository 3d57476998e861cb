#!/usr/bin/env bash
# Installs the reference system, Open WebUI, into a cached virtual environment for the side-by-side
# benchmark (bench/), and prints the path of its `open-webui` command. The first run takes minutes
# (≈7 GB from PyPI); later runs only print the path. Override the version with OPEN_WEBUI_VERSION.
set -euo pipefail
VERSION="${OPEN_WEBUI_VERSION:-0.12.4}"
VENV="${HEARTH_OPEN_WEBUI_VENV:-$HOME/.cache/hearth/open-webui-$VERSION}"
if ! [ -x "$VENV/bin/open-webui" ]; then
  printf 'open-webui: installing open-webui==%s into %s (several minutes, once)\n' "$VERSION" "$VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "open-webui==$VERSION" >&2
fi
echo "$VENV/bin/open-webui"
