"""Compiled spec vs the hand-written reference (torchvision / timm), same weights, same input.

Each spec with a reference is built, given the reference's weights with
`archspec.load_reference_weights`, and both are timed A/B alternating (the order flips every
run, so drift on a shared machine hits both): eval forward, and train forward+backward. The
ratio archspec/reference is taken per run; the median and the min–max spread are printed.

CPU (default): eager, fp32, `--threads` intra-op threads (1 by default, the quietest figure).
`--device cuda`: bf16 autocast + channels_last, eager and `torch.compile`, with images/s and
model-FLOPs utilisation from the static MACs (6 × MACs per training image, 2 × per inference
image) against the device's dense bf16 peak (PEAKS below).

The references import only in the reference environment (scripts/refenv.sh):
    V=$(bash scripts/refenv.sh); PYTHONPATH=. $V/bin/python benchmarks/runtime_vs_reference.py \
        [--specs googlenet#torchvision,inception_v3] [--runs 5] [--batch 2] [--modes eval,train]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import archspec  # noqa: E402


def _tv(name: str, **kw: Any) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import torchvision.models as tv

        return getattr(tv, name)(weights=None, **kw)
    return make


def _timm(name: str) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import timm

        return timm.create_model(name, pretrained=False)
    return make


REFERENCES: dict[str, tuple[Callable[[], nn.Module], int]] = {
    "googlenet#torchvision": (_tv("googlenet", aux_logits=True, init_weights=False), 224),
    "inception_v3": (_tv("inception_v3", aux_logits=True, init_weights=False), 299),
    "inception_v4": (_timm("inception_v4"), 299),
    "inception_resnet_v2": (_timm("inception_resnet_v2"), 299),
    "resnet50": (_tv("resnet50"), 224),
    "mobilenet_v2": (_tv("mobilenet_v2"), 224),
    "mobilenet_v3_large": (_tv("mobilenet_v3_large"), 224),
    "efficientnet_b0": (_timm("efficientnet_b0"), 224),
    "seresnet50": (_timm("seresnet50"), 224),
    "xception": (_timm("legacy_xception"), 299),
    "convnext_tiny": (_tv("convnext_tiny"), 224),
}
"""spec → (reference constructor, input side)."""


PEAKS = {"H200": 989e12, "H100": 989e12, "GH200": 989e12, "B200": 2250e12, "A100": 312e12, "A10G": 70e12,
         "A10": 125e12, "L40S": 362e12, "L40": 181e12, "L4": 121e12, "RTX 4090": 165e12, "RTX 3090": 71e12,
         "RTX 3080": 59.5e12, "RTX A6000": 155e12, "V100": 125e12, "T4": 65e12}
"""Dense bf16 (fp16 where the chip has no bf16: V100, T4) tensor-core peak FLOP/s, by name."""


def peak_flops(device_name: str) -> float | None:
    for key in sorted(PEAKS, key=len, reverse=True):  # "A10G" before "A10", "L40S" before "L40"
        if key in device_name:
            return PEAKS[key]
    return None


def no_dropout(model: nn.Module) -> nn.Module:
    """Dropout off in training too: timm's inception_v4 has none by default, the spec has the
    paper's; the comparison is of the same computation."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    return model


def outputs(y: Any) -> list[torch.Tensor]:
    if isinstance(y, torch.Tensor):
        return [y]
    return [t for t in y if isinstance(t, torch.Tensor)]


def step_fn(model: nn.Module, x: torch.Tensor, train: bool, cuda: bool) -> Callable[[], None]:
    def run() -> None:
        with torch.autocast("cuda", torch.bfloat16, enabled=cuda):
            if train:
                loss = sum(t.float().sum() for t in outputs(model(x)))
                loss.backward()  # type: ignore[union-attr]
            else:
                with torch.no_grad():
                    model(x)
        if train:
            model.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
    return run


def timed(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def ab(a: Callable[[], None], b: Callable[[], None], runs: int, warmup: int) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        a(), b()
    ta, tb = [], []
    for i in range(runs):
        if i % 2:
            tb.append(timed(b)), ta.append(timed(a))
        else:
            ta.append(timed(a)), tb.append(timed(b))
    return ta, tb


def pair(spec: str) -> tuple[nn.Module, nn.Module, int, int]:
    make, side = REFERENCES[spec]
    torch.manual_seed(0)
    ref = make()
    ir = archspec.check(spec)
    model = archspec.build(ir)
    archspec.load_reference_weights(model, ref.state_dict())
    return model, ref, side, ir.totals()["macs"]


def report(spec: str, mode: str, ta: list[float], tb: list[float], batch: int, macs: int, train: bool,
           peak: float | None) -> str:
    ratios = [a / b for a, b in zip(ta, tb)]
    ma, mb = statistics.median(ta), statistics.median(tb)
    line = (f"{spec:24} {mode:14} archspec {ma * 1e3:8.1f} ms  reference {mb * 1e3:8.1f} ms  "
            f"ratio median {statistics.median(ratios):.3f} [{min(ratios):.3f}–{max(ratios):.3f}] "
            f"best/best {min(ta) / min(tb):.3f} n={len(ratios)}")
    if peak is not None:
        flops = (6 if train else 2) * macs * batch
        line += (f"  img/s {batch / ma:8.0f} vs {batch / mb:8.0f}  MFU {flops / ma / peak:6.1%} vs "
                 f"{flops / mb / peak:6.1%}")
    return line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", default=",".join(REFERENCES), help="comma-separated; default: all with a reference")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=None, help="default 2 on the CPU (BatchNorm needs 2 in training), 64 on CUDA")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--modes", default="eval,train")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--compile", choices=["no", "yes", "both"], default=None,
                    help="torch.compile both models; default: no on the CPU, both on CUDA")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cuda = args.device == "cuda"
    batch = args.batch or (64 if cuda else 2)
    compiles = {"no": [False], "yes": [True], "both": [False, True]}[args.compile or ("both" if cuda else "no")]
    peak = None
    print(f"torch {torch.__version__}, {args.device}, batch {batch}, threads {torch.get_num_threads()}, "
          f"runs {args.runs} (A/B alternating, ratio = archspec / reference per run: median [min–max])")
    if cuda:
        name = torch.cuda.get_device_name()
        peak = peak_flops(name)
        print(f"device {name}; bf16 autocast, channels_last; peak {peak or float('nan'):.3g} FLOP/s")
    for spec in args.specs.split(","):
        model, ref, side, macs = pair(spec)
        x = torch.randn(batch, 3, side, side)
        if cuda:
            model, ref = (m.to("cuda", memory_format=torch.channels_last) for m in (model, ref))
            x = x.to("cuda", memory_format=torch.channels_last)
        for mode in args.modes.split(","):
            train = mode == "train"
            for comp in compiles:
                a, b = (no_dropout(m.train(train)) for m in (model, ref))
                if comp:
                    torch._dynamo.reset()
                    a, b = torch.compile(a), torch.compile(b)
                ta, tb = ab(step_fn(a, x, train, cuda), step_fn(b, x, train, cuda), args.runs,
                            args.warmup + (2 if comp else 0))
                label = f"{mode}{' compiled' if comp else ''}"
                print(report(spec, label, ta, tb, batch, macs, train, peak), flush=True)


if __name__ == "__main__":
    main()
