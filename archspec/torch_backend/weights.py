"""Import a reference implementation's weights (torchvision, timm, facenet-pytorch, ...) into a compiled spec.

Tensors are handled per owning module (`Mixed_5b.branch1x1.bn` holds `weight`, `bias`,
`running_mean`, ...). A spec's names follow the reference where the spec language allows
it, so most modules map by name, and a module found by name must hold the same tensors with
the same shapes. The rest — nn.Sequential indices such as `features.3` or `branch2.0` have
no spec counterpart, since spec names are identifiers — map by structure: the remaining
modules of both sides are paired in registration order under the same rule (and, if that
fails, with each reference module's own tensors after its submodules', see `map_state_dict`). Every tensor of
both sides must be used exactly once; otherwise the error names both sides. Nothing is
written to the model until the whole mapping has been verified, so a failed import leaves
the model as it was.

References are often built without the training-only auxiliary heads (torchvision's
googlenet / inception_v3 with aux_logits=False, timm's inception_v3): when the reference
holds none of a head's modules, the rest is imported, the heads keep their initial values
and the report says so. Every tensor of the reference is checked (a dense tensor with
values, not sparse or on the meta device) before anything is mapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from archspec.errors import ArchspecError, fail

# A BatchNorm step counter, not a weight: checkpoints from before PyTorch 0.4.1 and TF ports
# lack it, and load_state_dict itself tolerates its absence; the model's own value is kept.
STEP_COUNTER = "num_batches_tracked"
SHOWN = 6  # how many leftover tensors an error lists


@dataclass(frozen=True)
class Pair:
    """One target tensor and where its value comes from."""

    target: str
    source: str | None
    shape: tuple[int, ...]
    how: str  # "name", "structure", "kept" (a step counter the source lacks) or "head" (an aux head it lacks)


@dataclass
class WeightMapping:
    """The verified mapping of a reference state_dict onto a model; `str()` is the report."""

    pairs: list[Pair] = field(default_factory=list)

    def count(self, how: str) -> int:
        return sum(1 for p in self.pairs if p.how == how)

    def summary(self) -> str:
        heads = sorted({p.target.partition(".")[0] for p in self.pairs if p.how == "head"})
        return (f"{len(self.pairs)} tensors mapped: {self.count('name')} by name, "
                f"{self.count('structure')} by structure"
                + (f", {self.count('kept')} step counters kept" if self.count("kept") else "")
                + (f"; the reference has no training-only head{'s' if len(heads) > 1 else ''} {', '.join(heads)}: "
                   f"{'their' if len(heads) > 1 else 'its'} {self.count('head')} tensors keep their initial values"
                   if heads else ""))

    def __str__(self) -> str:
        rows = [(p.target, p.source or "(model's own value)", _shape(p.shape), p.how) for p in self.pairs]
        head = ("target (spec)", "source (reference)", "shape", "how")
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *rows]]
        return "\n".join([self.summary(), *lines])


def _shape(s: tuple[int, ...]) -> str:
    return "×".join(map(str, s)) or "scalar"


def _describe(sd: Mapping[str, torch.Tensor], keys: list[str]) -> str:
    text = ", ".join(f"{k} ({_shape(tuple(sd[k].shape))})" for k in keys[:SHOWN])
    return text + (f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else "")


def _show(tensors: list[tuple[str, tuple[int, ...]]]) -> str:
    text = ", ".join(f"{n} {_shape(s)}" for n, s in tensors[:SHOWN])
    return text + (f" and {len(tensors) - SHOWN} more" if len(tensors) > SHOWN else "")


def _groups(keys: list[str]) -> list[tuple[str, list[str]]]:
    """Tensors grouped by owning module, in first-appearance (registration) order."""
    out: dict[str, list[str]] = {}
    for k in keys:
        out.setdefault(k.rpartition(".")[0], []).append(k)
    return list(out.items())


def _pair_modules(target: Mapping[str, torch.Tensor], t_mod: str, t_keys: list[str],
                  source: Mapping[str, torch.Tensor], s_mod: str, s_keys: list[str], how: str) -> list[Pair]:
    """Pair one target module's tensors with one source module's: same names, same shapes, same kind."""
    t_names = [k.rpartition(".")[2] for k in t_keys]
    s_names = [k.rpartition(".")[2] for k in s_keys]
    kept = [k for k, n in zip(t_keys, t_names) if n == STEP_COUNTER and STEP_COUNTER not in s_names]
    t_cmp = [(n, tuple(target[k].shape)) for k, n in zip(t_keys, t_names) if k not in kept]
    s_cmp = [(n, tuple(source[k].shape)) for k, n in zip(s_keys, s_names)]
    if t_cmp != s_cmp:
        hint = ("the two modules have the same name but hold different tensors" if how == "name" else
                "once names stop agreeing, modules are paired in order; the spec and the reference differ here")
        raise fail(f"weight import: spec module {t_mod or '(top)'} [{_show(t_cmp)}] does not match "
                   f"reference module {s_mod or '(top)'} [{_show(s_cmp)}]", hint=hint)
    pairs = [Pair(k, None, tuple(target[k].shape), "kept") for k in kept]
    for k, s in zip([k for k in t_keys if k not in kept], s_keys):
        if target[k].dtype.is_floating_point != source[s].dtype.is_floating_point:
            raise fail(f"weight import: {k} is {target[k].dtype} in the spec but {s} is {source[s].dtype} "
                       "in the reference", hint="a floating-point tensor can only take floating-point values")
        pairs.append(Pair(k, s, tuple(target[k].shape), how))
    return pairs


def map_state_dict(target: Mapping[str, torch.Tensor], source: Mapping[str, torch.Tensor]) -> WeightMapping:
    """Pair every target tensor with one source tensor; raise ArchspecError naming both sides otherwise.

    A module's own tensors come before its children's in a state_dict, wherever its forward
    applies them (torchvision ConvNeXt's per-block γ comes first, and the spec, like the
    block, applies it last). When pairing in the given order fails, it is tried once more
    with each module's own tensors after its children's; the first attempt's error stands
    if that fails too."""
    try:
        return _pair_in_order(target, source)
    except ArchspecError as first:
        own_last = _own_tensors_last(source)
        if list(own_last) == list(source):
            raise
        try:
            return _pair_in_order(target, own_last)
        except ArchspecError:
            raise first from None


def _own_tensors_last(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`sd` with each module's own tensors moved behind those of its submodules (post-order)."""
    groups = _groups(list(sd))
    names = [m for m, _ in groups]

    last = []  # the index of each module's last submodule: a state_dict lists a subtree contiguously
    for i, m in enumerate(names):
        j = i
        while j + 1 < len(names) and (m == "" or names[j + 1].startswith(m + ".")):
            j += 1
        last.append(j)
    depth = [m.count(".") + (m != "") for m in names]
    order = sorted(range(len(groups)), key=lambda i: (last[i], -depth[i]))
    return {k: sd[k] for i in order for k in groups[i][1]}


def _pair_in_order(target: Mapping[str, torch.Tensor], source: Mapping[str, torch.Tensor]) -> WeightMapping:
    s_by_name = dict(_groups(list(source)))
    pairs: list[Pair] = []
    rest: list[tuple[str, list[str]]] = []
    for t_mod, t_keys in _groups(list(target)):
        if t_mod in s_by_name:
            pairs += _pair_modules(target, t_mod, t_keys, source, t_mod, s_by_name.pop(t_mod), "name")
        else:
            rest.append((t_mod, t_keys))
    s_rest = list(s_by_name.items())
    for i, (t_mod, t_keys) in enumerate(rest):
        if i >= len(s_rest):
            left = [k for _, ks in rest[i:] for k in ks]
            raise fail(f"weight import: the reference has nothing left for {_describe(target, left)}",
                       hint=f"{len(pairs)} tensors were matched before; the reference lacks these layers")
        s_mod, s_keys = s_rest[i]
        pairs += _pair_modules(target, t_mod, t_keys, source, s_mod, s_keys, "structure")
    if len(s_rest) > len(rest):
        left = [k for _, ks in s_rest[len(rest):] for k in ks]
        raise fail(f"weight import: the spec has no place for reference tensors {_describe(source, left)}",
                   hint="every spec tensor is already mapped; drop these from the state_dict "
                        "if they belong to a head the spec does not have")
    order = {k: i for i, k in enumerate(target)}
    return WeightMapping(sorted(pairs, key=lambda p: order[p.target]))


def _first(keys: list[str]) -> str:
    return ", ".join(map(str, keys[:SHOWN])) + (f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else "")


def _check_tensors(state_dict: Mapping[str, Any]) -> None:
    """Every value is a dense tensor holding values, so loading it cannot fail after the mapping."""
    bad = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise fail(f"weight import: not a state_dict — {_first(bad)} are not tensors",
                   hint="pass model.state_dict(), or the 'state_dict' entry of a training checkpoint")
    for kind, test in (("sparse", lambda v: v.layout != torch.strided), ("meta (shape only, no values)",
                       lambda v: v.is_meta), ("quantized", lambda v: v.is_quantized)):
        odd = [k for k, v in state_dict.items() if test(v)]
        if odd:
            raise fail(f"weight import: {_first(odd)} {'is a' if len(odd) == 1 else 'are'} {kind} "
                       f"tensor{'' if len(odd) == 1 else 's'}; only dense tensors with values can be imported",
                       hint="save the reference's state_dict from a model whose weights are loaded, "
                            "as dense tensors (tensor.to_dense(), tensor.dequantize())")


def _is_head(key: str, heads: tuple[str, ...]) -> bool:
    return key.partition(".")[0] in heads


def _map(model: nn.Module, own: dict[str, torch.Tensor], source: Mapping[str, torch.Tensor]) -> WeightMapping:
    """The full mapping; or, when the reference lacks every training-only head, the mapping of the rest."""
    heads = tuple(getattr(model, "head_names", ()))
    try:
        return map_state_dict(own, source)
    except ArchspecError as full:
        if not heads or any(_is_head(k, heads) for k in source):
            raise
        try:
            body = map_state_dict({k: v for k, v in own.items() if not _is_head(k, heads)}, source)
        except ArchspecError:
            raise full from None  # the heads are not what is wrong: report the whole mapping's problem
    kept = [Pair(k, None, tuple(v.shape), "head") for k, v in own.items() if _is_head(k, heads)]
    order = {k: i for i, k in enumerate(own)}
    return WeightMapping(sorted(body.pairs + kept, key=lambda p: order[p.target]))


def load_reference_weights(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> WeightMapping:
    """Load `state_dict` (a reference model's) into `model`, all or nothing; returns the mapping report."""
    _check_tensors(state_dict)
    own = model.state_dict()
    mapping = _map(model, own, state_dict)
    new = {p.target: (own[p.target] if p.source is None else state_dict[p.source].to(own[p.target].dtype))
           for p in mapping.pairs}
    model.load_state_dict(new, strict=True)
    return mapping


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A state_dict from a checkpoint file, read without unpickling arbitrary objects."""
    try:
        obj: Any = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise fail(f"weight file not found: {path}", hint="check the path of the checkpoint file") from None
    except OSError as e:
        raise fail(f"cannot read weight file {path}: {e.strerror or e}",
                   hint="check that the path names a readable file") from None
    except Exception as e:  # noqa: BLE001 — a foreign file can break the unpickler in any way
        # torch's own text advises weights_only=False, which would run the file's code: not passed on
        raise fail(f"cannot read {path} as a PyTorch checkpoint ({type(e).__name__})",
                   hint="weights are read with torch.load(weights_only=True): save the state_dict "
                        "alone (torch.save(model.state_dict(), path))") from None
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "model_state_dict"):
            inner = obj.get(key)
            if isinstance(inner, dict) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                return dict(inner)
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj)
    raise fail(f"{path} holds no state_dict (a mapping of names to tensors)",
               hint="expected torch.save(model.state_dict(), path), or a checkpoint with a 'state_dict' entry")
