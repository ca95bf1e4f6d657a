"""Compile the annotated IR into a plain `torch.nn.Module`.

Every module scope of the spec (block instance, `seq`, `repeat`, `aux` head) becomes a
`SpecModule` whose children are named after the spec's nodes, so `print(model)` reads
like the spec and parameter names follow it (`Mixed_5b.branch5x5_1.conv.weight`). A
scope's forward runs a precomputed list of steps over a slot list — no graph walking,
name lookups or shape checks per call — so torch.fx, torch.export and torch.compile
see straight-line code.

Auxiliary heads run only in training mode, at any depth: a head's steps run after its
scope's main steps, and a scope holding heads (its own or its children's) returns their
outputs after its main outputs while training, so they travel up to the model, which
returns `(logits, *aux_logits)` in the order of `ir.heads`.

Activations run in place where the IR shows it is safe (`_Builder.may_overwrite`), as
torchvision's and timm's do: the same aten ops as the hand-written modules
(benchmarks/op_counts.py, docs/performance.md).

Building is linear in the size of the IR: each scope receives its own nodes from its
parent instead of filtering the whole graph (a 19,000-block repeat took minutes).
"""

from __future__ import annotations

import heapq
from typing import Any, cast

import torch
from torch import nn

from archspec.errors import fail
from archspec.ir.graph import IR
from archspec.ops import REGISTRY
from archspec.ops.layers import activation

Step = tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
"""(child name, input slots, output slots, slots of the aux outputs it returns in training)."""


class SpecModule(nn.Module):
    """A spec scope: children in spec order and the straight-line program that wires them."""

    def __init__(self) -> None:
        super().__init__()
        self._steps: list[Step] = []
        self._head_steps: list[Step] = []
        self._n_slots = 0
        self._out: tuple[int, ...] = ()
        self._head_out: tuple[int, ...] = ()

    def _run(self, steps: list[Step], env: list[Any]) -> None:
        mods = cast(dict[str, nn.Module], self._modules)  # children are never None here
        for name, ins, outs, train_outs in steps:
            r = mods[name](*[env[i] for i in ins])
            if train_outs and self.training:
                for slot, v in zip(outs + train_outs, r):
                    env[slot] = v
            elif len(outs) == 1:
                env[outs[0]] = r
            else:
                for slot, v in zip(outs, r):
                    env[slot] = v

    def _compute(self, xs: tuple[torch.Tensor, ...]) -> tuple[list[Any], tuple[int, ...]]:
        """Run the program; the slots to return (aux outputs after the main ones in training)."""
        env: list[Any] = list(xs) + [None] * self._n_slots
        self._run(self._steps, env)
        if self.training and self._head_out:
            self._run(self._head_steps, env)
            return env, self._out + self._head_out
        return env, self._out

    def forward(self, *xs: torch.Tensor) -> Any:
        return _result(*self._compute(xs))


class ArchspecModel(SpecModule):
    """The compiled network. In training mode with aux heads it returns `(logits, *aux_logits)`;
    built from a tapped IR (`archspec.ir.features`) it returns `{tap: tensor}`."""

    def __init__(self) -> None:
        super().__init__()
        self.spec_name = ""
        self.spec_ref = ""
        self.head_names: tuple[str, ...] = ()
        self.head_weights: tuple[float, ...] = ()
        self._taps: tuple[tuple[str, int], ...] = ()
        self.feature_info: list[Any] = []
        """For a backbone (`archspec.build(..., features=...)`): each tap's name, channels, reduction."""

    def forward(self, x: torch.Tensor) -> Any:  # type: ignore[override]  # the network takes one image batch
        env, out = self._compute((x,))
        if self._taps:
            return {name: env[i] for name, i in self._taps}
        return _result(env, out)


def _result(env: list[Any], out: tuple[int, ...]) -> Any:
    return env[out[0]] if len(out) == 1 else tuple(env[i] for i in out)


def build_module(ir: IR, device: str | torch.device | None = None) -> ArchspecModel:
    """`device="meta"` allocates no storage and runs no weight init (that is most of a build's
    time): the structure, names and shapes for inspection, or for `to_empty` + loading weights."""
    if ir.error:
        raise ir.error
    if device is None:
        return _build(ir)
    with _device(device):
        return _build(ir)


def _device(device: str | torch.device) -> torch.device:
    """The device to create the weights on, refused with a remedy where torch cannot use it."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise fail(f"device {device!r} is not a torch device",
                   hint="pass 'cpu', 'cuda', 'cuda:1', 'mps' or 'meta'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise fail(f"device {device!r}: no CUDA device is available to this PyTorch build",
                   hint="build on the CPU and move the model later, or install a CUDA build of PyTorch")
    return dev


def _build(ir: IR) -> ArchspecModel:
    order = [n for n, _ in ir.ops()]
    b = _Builder(ir, order)
    model = ArchspecModel()
    *_, slots = b.fill(model, (), order, ir.sources(), b.returned)
    model._out = (slots[ir.output],)
    model._head_out = tuple(slots[h.output] for h in ir.heads)
    model._taps = tuple((t, slots[t]) for t in ir.taps)
    model.spec_name, model.spec_ref = ir.name, ir.ref
    model.head_names = tuple(h.name for h in ir.heads)
    model.head_weights = tuple(h.loss_weight for h in ir.heads)
    return model


_OVERWRITABLE_OUTPUT = frozenset({"batchnorm", "add", "concat", "maxpool", "avgpool"})
"""Ops whose output is a new tensor that their own backward does not read."""
_OVERWRITABLE_UNLESS_ACT = frozenset({"conv", "linear", "residual"})
"""The same, unless an attached activation saved that output for its backward."""


class _Builder:
    def __init__(self, ir: IR, order: list[str]) -> None:
        self.ir = ir
        self.pos = {n: i for i, n in enumerate(order)}
        self.consumers: dict[str, list[str]] = {n: [] for n in ir.nodes}
        for n, d in ir.nodes.items():
            for i in d.inputs:
                self.consumers[i].append(n)
        self.returned = {ir.output, *ir.taps} | {h.source for h in ir.heads} | {h.output for h in ir.heads}
        self.head_scopes = {h.scope for h in ir.heads}
        self.head_of = {h.output: h.scope for h in ir.heads}

    def fill(self, mod: SpecModule, scope: tuple[str, ...], nodes: list[str], ext_in: list[str],
             required: set[str]) -> tuple[list[str], list[str], dict[str, int]]:
        """Create `mod`'s children and program from its `nodes` (in topological order); returns
        the ids of its main outputs and of the aux outputs it returns in training, in slot order,
        and the slot of every value it holds."""
        nd = self.ir.nodes
        units: dict[Any, list[str]] = {}
        for n in nodes:
            module = nd[n].scope
            units.setdefault(n if module == scope else module[: len(scope) + 1], []).append(n)
        slots: dict[str, int] = {n: i for i, n in enumerate(ext_in)}
        main: list[Step] = []
        heads: list[Step] = []
        head_out: list[str] = []
        children: list[tuple[int, str, nn.Module]] = []
        for key in self.unit_order(units):
            members = units[key]
            mset = set(members)
            needs = list(dict.fromkeys(i for n in members for i in nd[n].inputs if i not in mset))
            train_outs: list[str] = []
            if isinstance(key, str):
                d = nd[key]
                child: nn.Module = REGISTRY[d.op].build(d.args, self.ir.in_shapes(key), self.ir.shape(key))
                if d.op == "act" and self.may_overwrite(key):  # the op alone cannot see the readers
                    child = activation(d.args.fn, inplace=True) or child
                name, outs = d.name, [key]
                args = d.inputs  # an op takes its inputs in order, repeats included: add [c, c] is 2c
            else:
                exported = {n for n in members if n in required or any(s not in mset for s in self.consumers[n])}
                child = SpecModule()
                outs, train_outs, _ = self.fill(child, key, members, needs, exported)
                name, args = key[-1], needs  # a child scope takes each outside value once
            children.append((self.pos[members[0]], name, child))
            for o in outs + train_outs:
                slots[o] = len(slots)
            step: Step = (name, tuple(slots[i] for i in args), tuple(slots[o] for o in outs),
                          tuple(slots[o] for o in train_outs))
            if key in self.head_scopes:
                heads.append(step)
                head_out += [o for o in outs if o in self.head_of] + train_outs
            else:
                main.append(step)
                head_out += train_outs
        for _, name, child in sorted(children, key=lambda c: c[0]):  # spec order, as print(model) shows
            mod.add_module(name, child)
        mod._steps, mod._head_steps = main, heads
        mod._n_slots = len(slots) - len(ext_in)
        wanted = [n for n in nodes if n in required and self.is_main(n, scope)]
        mod._out = tuple(slots[n] for n in wanted)
        mod._head_out = tuple(slots[n] for n in head_out)
        return wanted, head_out, slots

    def may_overwrite(self, n: str) -> bool:
        """A stand-alone activation may run in place when it is the only reader of its input and
        that input is a fresh tensor whose producer's backward does not read it (not a view, not
        another activation's saved result, not the caller's image, not a returned tap)."""
        (src,) = self.ir.nodes[n].inputs
        if self.ir.nodes[src].source or src in self.returned or self.consumers[src] != [n]:
            return False
        d = self.ir.nodes[src]
        if d.op in _OVERWRITABLE_OUTPUT:
            return True
        return d.op in _OVERWRITABLE_UNLESS_ACT and d.args.act == "none"

    def is_main(self, n: str, scope: tuple[str, ...]) -> bool:
        """A head's output is a main output inside the head, an aux output around it."""
        head = self.head_of.get(n)
        return head is None or scope[:len(head)] == head

    def unit_order(self, units: dict[Any, list[str]]) -> list[Any]:
        """Units in dependency order, ties by spec order. Lowering refused a cycle between the
        units of a scope, so a block may read a node defined after it when that node does not
        depend on the block."""
        nd = self.ir.nodes
        owner = {n: key for key, members in units.items() for n in members}
        first = {key: min(self.pos[m] for m in members) for key, members in units.items()}
        deps = {key: {owner[i] for n in members for i in nd[n].inputs if i in owner} - {key}
                for key, members in units.items()}
        users: dict[Any, list[Any]] = {key: [] for key in units}
        for key, ds in deps.items():
            for d in ds:
                users[d].append(key)
        left = {key: len(ds) for key, ds in deps.items()}
        at = {p: key for key, p in first.items()}  # units are disjoint: first positions are unique
        ready = [first[k] for k in units if left[k] == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            key = at[heapq.heappop(ready)]
            out.append(key)
            for u in users[key]:
                left[u] -= 1
                if left[u] == 0:
                    heapq.heappush(ready, first[u])
        return out
