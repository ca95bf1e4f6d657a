#!/usr/bin/env bash
# Builds (once) a reference venv in which torchvision, timm and facenet-pytorch import on the
# CPU build of torch, so compiled specs can be compared with the well-known implementations.
# torchvision's PyPI wheel is a CUDA build whose C ops fail to register on CPU torch;
# its pure-Python model code works once _meta_registrations.py is emptied.
# Versions come from the lock (constraints.txt; ARCHSPEC_LOCK overrides it, for scripts/lock.sh).
# Prints the venv's path on stdout. Override the location with ARCHSPEC_REFENV.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${ARCHSPEC_REFENV:-/tmp/archspec-refenv}
lock=${ARCHSPEC_LOCK:-constraints.txt}
pip() { "$V/bin/pip" install -q --disable-pip-version-check -c "$lock" "$@" >&2; }
stamp="$V/.archspec-lock"
# one builder at a time: a second caller waits, then finds the venv ready
exec 9>"$V.building"
flock 9
if [ -x "$V/bin/python" ] && cmp -s "$lock" "$stamp" && "$V/bin/python" -c "import torchvision, timm, facenet_pytorch" 2>/dev/null; then
  echo "$V"; exit 0
fi
[ ! -e "$V" ] || [ -f "$V/pyvenv.cfg" ] || { echo "$V exists and is not a venv; set ARCHSPEC_REFENV elsewhere" >&2; exit 2; }
rm -rf "$V"
python3 -m venv "$V" >&2
pip torch==2.13.0
pip --no-deps torchvision==0.28.0 timm==1.0.31 facenet-pytorch==2.6.0
pip pillow pyyaml huggingface_hub safetensors numpy networkx pydantic graphviz requests tqdm pytest pytest-xdist
f=$("$V/bin/python" -c "import importlib.util as u; print(u.find_spec('torchvision').submodule_search_locations[0])")/_meta_registrations.py
: > "$f"
"$V/bin/python" -c "import torchvision, timm, facenet_pytorch; print('reference env ready:', torchvision.__version__, timm.__version__)" >&2
cp "$lock" "$stamp"
echo "$V"
