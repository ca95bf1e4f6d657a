#!/usr/bin/env bash
# (From the workplace's shared tools; kept here so a clean clone can build it.)
# Builds (once) a reference venv in which torchvision and timm import on the CPU build
# of torch, so compiled specs can be compared with the well-known implementations.
# torchvision's PyPI wheel is a CUDA build whose C ops fail to register on CPU torch;
# its pure-Python model code works once _meta_registrations.py is emptied.
# Prints the venv's path on stdout. Override the location with ARCHSPEC_REFENV.
set -e
V=${ARCHSPEC_REFENV:-/tmp/archspec-refenv}
if [ -x "$V/bin/python" ] && "$V/bin/python" -c "import torchvision, timm" 2>/dev/null; then echo "$V"; exit 0; fi
python3 -m venv "$V" >&2
"$V/bin/pip" -q install torch==2.13.0 >&2
"$V/bin/pip" -q install --no-deps torchvision==0.28.0 timm==1.0.31 facenet-pytorch==2.6.0 >&2
"$V/bin/pip" -q install pillow pyyaml huggingface_hub safetensors numpy networkx pydantic graphviz requests tqdm >&2
f=$("$V/bin/python" -c "import importlib.util as u; print(u.find_spec('torchvision').submodule_search_locations[0])")/_meta_registrations.py
: > "$f"
"$V/bin/python" -c "import torchvision, timm; print('reference env ready:', torchvision.__version__, timm.__version__)" >&2
echo "$V"
