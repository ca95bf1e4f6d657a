"""Compile the annotated IR into a plain `torch.nn.Module`.

Every module scope of the spec (block instance, `seq`, `repeat`, `aux` head) becomes a
`SpecModule` whose children are named after the spec's nodes, so `print(model)` reads
like the spec and parameter names follow it (`Mixed_5b.branch5x5_1.conv.weight`). A
scope's forward runs a precomputed list of steps over a slot list — no graph walking,
name lookups or shape checks per call — so torch.fx, torch.export and torch.compile
see straight-line code. Auxiliary heads run only in training mode.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from archspec.errors import ArchspecError, Problem
from archspec.ir.graph import INPUT, IR
from archspec.ops import REGISTRY

Step = tuple[str, tuple[int, ...], tuple[int, ...]]


class SpecModule(nn.Module):
    """A spec scope: children in spec order and the straight-line program that wires them."""

    def __init__(self) -> None:
        super().__init__()
        self._steps: list[Step] = []
        self._n_slots = 0
        self._out: tuple[int, ...] = ()

    def _run(self, steps: list[Step], env: list[Any]) -> None:
        mods = self._modules
        for name, ins, outs in steps:
            r = mods[name](*[env[i] for i in ins])
            if len(outs) == 1:
                env[outs[0]] = r
            else:
                for slot, v in zip(outs, r):
                    env[slot] = v

    def _env(self, xs: tuple[torch.Tensor, ...]) -> list[Any]:
        return list(xs) + [None] * self._n_slots

    def forward(self, *xs: torch.Tensor) -> Any:
        env = self._env(xs)
        self._run(self._steps, env)
        if len(self._out) == 1:
            return env[self._out[0]]
        return tuple(env[i] for i in self._out)


class ArchspecModel(SpecModule):
    """The compiled network. In training mode with aux heads it returns `(logits, *aux_logits)`."""

    def __init__(self) -> None:
        super().__init__()
        self._head_steps: list[Step] = []
        self._head_out: tuple[int, ...] = ()
        self.spec_name = ""
        self.spec_ref = ""
        self.head_names: tuple[str, ...] = ()
        self.head_weights: tuple[float, ...] = ()

    def forward(self, x: torch.Tensor) -> Any:
        env = self._env((x,))
        self._run(self._steps, env)
        out = env[self._out[0]]
        if self.training and self._head_steps:
            self._run(self._head_steps, env)
            return (out,) + tuple(env[i] for i in self._head_out)
        return out


def build_module(ir: IR) -> ArchspecModel:
    if ir.error:
        raise ir.error
    order = [n for n in ir.order() if n != INPUT]
    pos = {n: i for i, n in enumerate(order)}
    model = ArchspecModel()
    head_scopes = {(h.name,) for h in ir.heads}
    required = [ir.output] + [h.source for h in ir.heads] + [h.output for h in ir.heads]
    _fill(model, ir, (), order, pos, [INPUT], required, head_scopes)
    model.spec_name, model.spec_ref = ir.name, ir.ref
    model.head_names = tuple(h.name for h in ir.heads)
    model.head_weights = tuple(h.loss_weight for h in ir.heads)
    return model


def _unit(module: tuple[str, ...], scope: tuple[str, ...]) -> tuple[str, ...] | None:
    """Which direct child scope of `scope` a node in `module` belongs to (None: a leaf of `scope`)."""
    return None if module == scope else module[: len(scope) + 1]


def _fill(mod: SpecModule, ir: IR, scope: tuple[str, ...], order: list[str], pos: dict[str, int],
          ext_in: list[str], required: list[str], head_scopes: set[tuple[str, ...]]) -> list[str]:
    """Create `mod`'s children and program; returns the ids of its outputs in slot order."""
    g = ir.graph
    nodes = [n for n in order if g.nodes[n]["module"][: len(scope)] == scope]
    inside = set(nodes)
    # group into units: a leaf node, or a whole child scope
    units: dict[Any, list[str]] = {}
    for n in nodes:
        u = _unit(g.nodes[n]["module"], scope)
        units.setdefault(n if u is None else u, []).append(n)
    slots: dict[str, int] = {n: i for i, n in enumerate(ext_in)}
    main: list[Step] = []
    heads: list[Step] = []
    for key in sorted(units, key=lambda k: min(pos[m] for m in units[k])):
        members = units[key]
        mset = set(members)
        needs = [i for n in members for i in g.nodes[n]["inputs"] if i not in mset]
        needs = list(dict.fromkeys(needs))
        args = needs  # a child scope takes each outside value once
        if isinstance(key, str):
            d = g.nodes[key]
            child: nn.Module = REGISTRY[d["op"]].build(d["args"], d["in_shapes"], d["shape"])
            name, outs = d["name"], [key]
            args = d["inputs"]  # an op takes its inputs in order, repeats included: add [c, c] is 2c
        else:
            exported = [n for n in members if n in required
                        or any(s not in mset for s in g.successors(n))]
            child = SpecModule()
            outs = _fill(child, ir, key, order, pos, needs, exported, head_scopes)
            name = key[-1]
        for i in needs:
            if i not in slots:
                raise ArchspecError([Problem(f"{name} needs {i!r}, which is computed later in the same scope",
                                             g.nodes[members[0]]["loc"], g.nodes[members[0]]["path"],
                                             "a block cannot feed its own input; rewire `inputs:`")])
        mod.add_module(name, child)
        for o in outs:
            slots[o] = len(slots)
        step: Step = (name, tuple(slots[i] for i in args), tuple(slots[o] for o in outs))
        (heads if key in head_scopes else main).append(step)
    mod._steps = main
    mod._n_slots = len(slots) - len(ext_in)
    wanted = [n for n in required if n in inside]
    if isinstance(mod, ArchspecModel):
        mod._out = (slots[ir.output],)
        mod._head_steps = heads
        mod._head_out = tuple(slots[h.output] for h in ir.heads)
        return [ir.output]
    mod._out = tuple(slots[n] for n in wanted)
    return wanted
