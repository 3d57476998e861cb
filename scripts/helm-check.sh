#!/usr/bin/env bash
# Checks the Helm chart: `helm lint`, then the manifests `helm template` renders (with the CI values,
# KEDA's ScaledObject included) through yamllint and kubernetes-validate, and that the chart refuses
# to render while a secret setting still holds its placeholder. Needs the test venv's linters
# (scripts/test.sh) and Helm (scripts/helm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${HEARTH_TEST_VENV:-$HOME/.cache/hearth/venv}"
helm=$(scripts/helm.sh)
chart=deploy/helm/hearth
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$helm" lint --quiet "$chart" -f "$chart/ci-values.yaml"
"$helm" template hearth "$chart" -f "$chart/ci-values.yaml" > "$work/manifests.yaml"
"$VENV/bin/yamllint" -c .yamllint.yaml "$work/manifests.yaml"
# Every resource against Kubernetes' schemas (KEDA's ScaledObject, a custom resource, has none
# there: kubernetes-validate warns and goes on).
"$VENV/bin/kubernetes-validate" --strict "$work/manifests.yaml"
if "$helm" template hearth "$chart" > /dev/null 2>"$work/placeholder.log"; then
  echo "helm: the chart rendered with its placeholders in place" >&2
  exit 1
fi
grep -q "placeholder" "$work/placeholder.log"
echo "helm: the chart lints, renders and validates ($(grep -c '^kind:' "$work/manifests.yaml") resources)"
