#!/usr/bin/env bash
# The whole suite, as CI runs it (.ci/run): sets up .venv with the `dev` extra, then runs
#   0. mypy over the package (its configuration is in pyproject.toml);
#   1. pytest in .venv: the default tests and the ones marked slow (the browser test of
#      `archspec serve` included: Chromium is installed when run as root, and required);
#   2. the reference-equivalence tests in the reference venv (torchvision / timm /
#      facenet-pytorch on CPU torch, built by scripts/refenv.sh), where a reference that
#      fails to import is a failure, not a skip.
# Both halves always run; the exit code is non-zero if either failed, and the last lines
# repeat both pytest summaries. Extra arguments go to the first pytest.
# For the quick default run while developing: .venv/bin/python -m pytest
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev || exit 1
# the browser test of `archspec serve` drives Debian's Chromium
if ! command -v chromedriver >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null || exit 1
fi
export ARCHSPEC_REQUIRE_BROWSER=1
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
echo "mypy (configured in pyproject.toml):"
.venv/bin/python -m mypy 2>&1 | tee "$logs/mypy" || status=1
.venv/bin/python -m pytest -m "slow or not slow" "$@" 2>&1 | tee "$logs/main" || status=1
ref=$(bash scripts/refenv.sh) \
  && "$ref/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt --no-deps -e . \
  && ARCHSPEC_REQUIRE_REFERENCE=1 "$ref/bin/python" -m pytest -m "slow or not slow" tests/test_reference_equivalence.py tests/test_performance.py \
     2>&1 | tee "$logs/ref" || status=1
echo
echo "mypy:            $(tail -n 1 "$logs/mypy" 2>/dev/null)"
echo "main suite:      $(tail -n 1 "$logs/main" 2>/dev/null)"
echo "reference suite: $(tail -n 1 "$logs/ref" 2>/dev/null)"
exit $status
