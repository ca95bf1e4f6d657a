#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs the whole suite:
# the main tests in .venv, and the reference-equivalence tests in the reference venv
# (torchvision / timm / facenet-pytorch on CPU torch, built by scripts/refenv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/python -m pytest "$@"
ref=$(bash scripts/refenv.sh)
"$ref/bin/pip" install -q --disable-pip-version-check pytest
"$ref/bin/pip" install -q --disable-pip-version-check --no-deps -e .
"$ref/bin/python" -m pytest -m "not slow" tests/test_reference_equivalence.py
