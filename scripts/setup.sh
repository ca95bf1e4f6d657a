#!/usr/bin/env bash
# Creates .venv with archspec and its dependencies on a fresh machine, at the versions of the
# lock (constraints.txt; regenerate it with scripts/lock.sh). Usage: setup.sh [EXTRAS], e.g. `dev`.
# torch is installed first at its CPU build: a bare `torch` requirement would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  else
    echo "note: Graphviz's dot is not installed; diagrams will be written as .gv only (apt-get install graphviz)" >&2
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
pip() { .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt "$@"; }
pip torch==2.13.0
pip -e ".${extras:+[$extras]}"
