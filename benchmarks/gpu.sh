#!/usr/bin/env bash
# The one prepared GPU check (issue 14, part 4), for a session that is lent a CUDA device.
# It has NOT been run yet: no GPU was lent to the session that wrote it. Run from the repo root:
#   bash benchmarks/gpu.sh   # at most 270 + 60 + 200 s (one device call of 10 min); figures to stdout and $OUT
# Needs a CUDA build of torch with torchvision and timm for the reference comparison
# (set PY to that interpreter); each step is bounded so one slow step cannot eat the rest.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
OUT=${OUT:-/tmp/archspec-gpu}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
"$PY" -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())" | tee "$OUT/device.txt"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv | tee -a "$OUT/device.txt"

echo "== 1. runtime vs reference: bf16 autocast, channels_last, eager and torch.compile"
timeout 270 "$PY" benchmarks/runtime_vs_reference.py --device cuda --batch 64 --runs 10 --warmup 3 \
  --specs inception_v3,googlenet#torchvision 2>&1 | tee "$OUT/runtime_vs_reference.txt"

echo "== 2. archspec profile on cuda, per block"
timeout 60 "$PY" -m archspec profile inception_v3 --device cuda --batch 128 --train --runs 5 \
  --format markdown --plot "$OUT/profile_inception_v3.svg" --force 2>&1 | tee "$OUT/profile_inception_v3.md"

echo "== 3. 200 training steps: inception_v3, batch 128, bf16, channels_last, torch.compile"
timeout 200 "$PY" - <<'PYEOF' 2>&1 | tee "$OUT/train_inception_v3.txt"
import time, torch, archspec
from benchmarks.runtime_vs_reference import peak_flops
ir = archspec.check("inception_v3")
model = archspec.build(ir).to("cuda", memory_format=torch.channels_last).train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
step_model = torch.compile(model)
x = torch.randn(128, 3, 299, 299, device="cuda").to(memory_format=torch.channels_last)
y = torch.randint(0, 1000, (128,), device="cuda")
def step():
    with torch.autocast("cuda", torch.bfloat16):
        logits, aux = step_model(x)
        loss = torch.nn.functional.cross_entropy(logits, y) + 0.4 * torch.nn.functional.cross_entropy(aux, y)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
for _ in range(10):  # compile and warm up
    step()
torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(200):
    step()
torch.cuda.synchronize()
dt = time.perf_counter() - t0
ips = 200 * 128 / dt
peak = peak_flops(torch.cuda.get_device_name())
mfu = 6 * ir.totals()["macs"] * ips / peak if peak else float("nan")
print(f"inception_v3 train bf16 channels_last compiled, batch 128: {ips:.0f} img/s, MFU {mfu:.1%} "
      f"(6 x {ir.totals()['macs'] / 1e9:.2f} GMACs per image, peak {peak:.3g} FLOP/s), "
      f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
PYEOF
echo "figures in $OUT: record them in docs/performance.md"
