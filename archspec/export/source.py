"""Standalone, readable PyTorch source generated from the annotated IR.

One `nn.Module` class per block template (instances whose code differs only in numbers
share it; numbers that vary become constructor arguments, named after the block's declared
params where they match, `in_channels` for the input's channels), one class per other
module scope (repeat, seq, aux head), and the network class composing them. Submodules are
assigned under the compiled module's names, so the state_dicts match key for key; the wiring
follows `archspec/torch_backend/build.py` (same units, same order), each value a named local.
The file imports only torch.

Three passes: draft every scope's statements with their numbers left as slots (`_Drafter`),
group block instances by the code they would have (`_group`), then choose each group's
constructor arguments and write the classes (`_Writer`).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Union

from archspec.export.helpers import helper_source
from archspec.export.layout import flat, lay_out
from archspec.ir.graph import IR
from archspec.ops import REGISTRY
from archspec.ops.pysource import Call

Number = Union[int, float]


@dataclass(frozen=True)
class ChildRef:
    """In a draft's `__init__`: the child scope whose class is decided later."""

    scope: tuple[str, ...]


@dataclass
class Draft:
    """A scope's code with its numbers as `{slot}` placeholders."""

    scope: tuple[str, ...]
    inputs: list[str]
    in_channels: int | None
    init: list[tuple[str, Union[Call, ChildRef]]] = field(default_factory=list)
    body: list[tuple[str, Union[str, Call], str]] = field(default_factory=list)
    """(left-hand side, expression, shape comment)."""
    heads: list[tuple[str, Union[str, Call], str]] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    head_returns: list[str] = field(default_factory=list)
    taps: list[tuple[str, str]] = field(default_factory=list)
    slots: dict[str, Number] = field(default_factory=dict)
    in_slots: set[str] = field(default_factory=set)
    helpers: set[str] = field(default_factory=set)


def python_source(ir: IR) -> str:
    """The whole file: header, helpers, one class per group, the network class."""
    drafts = _Drafter(ir).run()
    groups = _group(ir, drafts)
    return _Writer(ir, drafts, groups).run()


def identifier(name: str) -> str | None:
    """`name` if it can be a Python attribute, else None (the python lint reports it)."""
    return name if name.isidentifier() and not keyword.iskeyword(name) else None


def _local(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name)
    base = "_" + base if base[:1].isdigit() or keyword.iskeyword(base) else base
    v, i = base, 1
    while v in taken:
        i += 1
        v = f"{base}_{i}"
    taken.add(v)
    return v


def _fmt_shape(s: tuple[int, ...]) -> str:
    return "x".join(map(str, s))


class _Drafter:
    """Walks the IR scope by scope, exactly as the torch backend groups it into modules."""

    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.order = [n for n, _ in ir.ops()]
        self.pos = {n: i for i, n in enumerate(self.order)}
        self.head_scopes = {(h.name,) for h in ir.heads}
        self.drafts: dict[tuple[str, ...], Draft] = {}
        self.succ: dict[str, list[str]] = {n: [] for n in ir.nodes}
        for n, d in ir.nodes.items():
            for i in d.inputs:
                self.succ[i].append(n)

    def run(self) -> dict[tuple[str, ...], Draft]:
        ir = self.ir
        required = [ir.output, *ir.taps] + [h.source for h in ir.heads] + [h.output for h in ir.heads]
        self._draft((), ir.sources(), required)
        return self.drafts

    def _draft(self, scope: tuple[str, ...], ext_in: list[str], required: list[str]) -> list[str]:
        ir = self.ir
        nodes = [n for n in self.order if ir[n].scope[: len(scope)] == scope]
        units: dict[Any, list[str]] = {}
        for n in nodes:
            m = ir[n].scope
            units.setdefault(n if m == scope else m[: len(scope) + 1], []).append(n)
        taken = {"self", "torch", "nn", "F"}
        names = ["x"] if len(ext_in) == 1 else [f"x{i}" for i in range(len(ext_in))]
        var = {n: _local(v, taken) for n, v in zip(ext_in, names)}
        first = ir.shape(ext_in[0])
        draft = Draft(scope, [var[n] for n in ext_in], first[0] if scope and len(first) else None)
        for key in sorted(units, key=lambda k: min(self.pos[m] for m in units[k])):
            members = units[key]
            target = draft.heads if key in self.head_scopes else draft.body
            if isinstance(key, str):
                self._leaf(draft, key, var, taken, target)
                continue
            mset = set(members)
            needs = list(dict.fromkeys(i for n in members for i in ir[n].inputs if i not in mset))
            exported = [n for n in members if n in required or any(s not in mset for s in self.succ[n])]
            outs = self._draft(key, needs, exported)
            draft.init.append((key[-1], ChildRef(key)))
            call = f"self.{key[-1]}({', '.join(var[i] for i in needs)})"
            for o in outs:  # a scope's value is named after it; a second one after its node
                var[o] = _local(key[-1] if len(outs) == 1 or o == self.ir.modules[key].path else ir[o].name, taken)
            comment = ", ".join(_fmt_shape(ir.shape(o)) for o in outs)
            target.append((", ".join(var[o] for o in outs), call, comment))
        self.drafts[scope] = draft
        if scope == ():
            draft.returns = [var[ir.output]]
            draft.head_returns = [var[h.output] for h in ir.heads]
            draft.taps = [(t, var[t]) for t in ir.taps]
            return [ir.output]
        wanted = [n for n in required if n in set(nodes)]
        draft.returns = [var[n] for n in wanted]
        return wanted

    def _leaf(self, draft: Draft, nid: str, var: dict[str, str], taken: set[str],
              target: list[tuple[str, Union[str, Call], str]]) -> None:
        d = self.ir[nid]
        e = REGISTRY[d.op].emit(d.args, self.ir.in_shapes(nid), self.ir.shape(nid))
        v = _local(d.name, taken)
        rename = {k: f"{{{v}__{k}}}" for k in e.slots}
        for k, value in e.slots.items():
            draft.slots[f"{v}__{k}"] = value
            if k == "in":
                draft.in_slots.add(f"{v}__{k}")
        draft.helpers.update(e.helpers)
        xs = [var[i] for i in d.inputs]
        if e.module is not None:
            draft.init.append((d.name, _subst_call(e.module, rename)))
            expr: Union[str, Call] = Call(f"self.{d.name}", tuple(xs))
        else:
            expr = _subst_expr(e.inline or "", {**rename, **{f"x{i}": x for i, x in enumerate(xs)}})
        var[nid] = v
        target.append((v, expr, _fmt_shape(self.ir.shape(nid))))


def _subst(text: str, mapping: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: mapping.get(m.group(1), m.group(0)), text)


def _subst_call(c: Call, mapping: dict[str, str]) -> Call:
    return Call(c.fn, tuple(_subst(a, mapping) if isinstance(a, str) else _subst_call(a, mapping) for a in c.args))


@dataclass
class Group:
    """Scopes that share one generated class."""

    block: str | None
    members: list[tuple[str, ...]]
    name: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)
    """(constructor argument, type) in signature order."""
    choice: dict[str, str] = field(default_factory=dict)
    """per slot: the argument name it reads, when it is not a literal."""


def _group(ir: IR, drafts: dict[tuple[str, ...], Draft]) -> dict[tuple[str, ...], Group]:
    """Instances of one block template whose code (numbers aside) is the same share a class."""
    by_key: dict[Any, Group] = {}
    of: dict[tuple[str, ...], Group] = {}
    for scope in sorted(drafts, key=len, reverse=True):  # children before parents
        d = drafts[scope]
        sc = ir.modules.get(scope)
        block = sc.block if sc is not None and sc.kind == "block" else None
        children = tuple(id(of[c.scope]) if isinstance(c, ChildRef) else flat(c) for _, c in d.init)
        code = tuple(repr((lhs, expr)) for lhs, expr, _ in d.body + d.heads)  # shape comments aside
        key = ("block", block, tuple(d.inputs), children, code, tuple(d.returns)) if block else ("scope", scope)
        g = by_key.setdefault(key, Group(block, []))
        g.members.append(scope)
        of[scope] = g
    return of


class _Writer:
    def __init__(self, ir: IR, drafts: dict[tuple[str, ...], Draft], groups: dict[tuple[str, ...], Group]) -> None:
        self.ir, self.drafts, self.groups = ir, drafts, groups
        self.decided: set[int] = set()
        self.classes: list[str] = []
        self.class_names: set[str] = set()
        self.helpers: set[str] = set()

    def run(self) -> str:
        top = self.groups[()]
        self._decide(top)
        self.helpers |= set().union(*(d.helpers for d in self.drafts.values()))
        t = self.ir.totals()
        header = [f'"""{self.ir.name}: standalone PyTorch source generated by archspec from {self.ir.ref}.',
                  "",
                  f"Input N x {_fmt_shape(self.ir.input_shape)}; {t['params']:,} parameters. Needs only torch.",
                  "The state_dict keys are the compiled archspec module's: its checkpoints load with",
                  "strict=True.",
                  '"""', "", "import torch", "import torch.nn.functional as F", "from torch import nn", ""]
        # the helpers call F.pad / F.layer_norm too
        if not any(re.search(r"\bF\.\w+\(", c) for c in self.classes + [helper_source(h) for h in self.helpers]):
            header.remove("import torch.nn.functional as F")
        parts = ["\n".join(header)] + [helper_source(h) for h in sorted(self.helpers)] + self.classes
        return "\n\n".join(p.rstrip("\n") + "\n" for p in parts)

    def _decide(self, g: Group) -> None:
        """Choose `g`'s constructor arguments (children first), then write its class."""
        if id(g) in self.decided:
            return
        self.decided.add(id(g))
        first = self.drafts[g.members[0]]
        for _, c in first.init:
            if isinstance(c, ChildRef):
                self._decide(self.groups[c.scope])
        values = {m: self._slot_values(m) for m in g.members}
        declared = [k for k, _ in self.ir.modules[g.members[0]].args] if g.block else []
        used: list[tuple[str, str]] = []
        for slot in values[g.members[0]]:
            vals = [values[m][slot] for m in g.members]
            name = None
            if g.block and slot.endswith("__in") and all(
                    v == self.drafts[m].in_channels for v, m in zip(vals, g.members)):
                name = "in_channels"
            elif g.block:
                for p in declared:
                    if all(_same(v, dict(self.ir.modules[m].args).get(p)) for v, m in zip(vals, g.members)):
                        name = p
                        break
            if name is None and len(set(vals)) > 1:
                name = slot.split("__", 1)[0] + "_" + slot.split("__", 1)[1]
            if name is not None:
                g.choice[slot] = name
                if name not in [u for u, _ in used]:
                    used.append((name, type(vals[0]).__name__))
        order = ["in_channels", *declared]
        g.params = sorted(used, key=lambda u: order.index(u[0]) if u[0] in order else len(order))
        g.name = self._class_name(g)
        self.classes.append(self._write(g, first, values[g.members[0]]))

    def _slot_values(self, scope: tuple[str, ...]) -> dict[str, Number]:
        """A scope's numbers: its own ops' slots, then each child's constructor arguments."""
        d = self.drafts[scope]
        vals = dict(d.slots)
        for attr, c in d.init:
            if isinstance(c, ChildRef):
                cg = self.groups[c.scope]
                child_vals = self._slot_values(c.scope)
                for p, _ in cg.params:
                    slot = next(s for s, n in cg.choice.items() if n == p)
                    vals[f"{attr}__{p}"] = child_vals[slot]
        return vals

    def _class_name(self, g: Group) -> str:
        raw = (g.block or g.members[0][-1]) if g.members[0] else self.ir.name
        base = "".join(w[:1].upper() + w[1:] for w in re.split(r"[\W_]+", raw) if w)
        base = base if base[:1].isalpha() else "M" + base
        name, i = base, 1
        while name in self.class_names:
            i += 1
            name = f"{base}{i}"
        self.class_names.add(name)
        return name

    def _write(self, g: Group, d: Draft, values: dict[str, Number]) -> str:
        text = {s: g.choice.get(s) or repr(v) for s, v in values.items()}
        lines = [f"class {g.name}(nn.Module):", f'    """{self._doc(g)}"""', ""]
        sig = ("self", *(f"{p}: {t}" for p, t in g.params))
        lines += lay_out("    ", "def __init__", Call("(", sig), " -> None:")
        lines.append("        super().__init__()")
        code = repr(d.body + d.heads)
        forward_slots = [s for s in values if "{" + s + "}" in code]
        for p in dict.fromkeys(g.choice[s] for s in forward_slots if s in g.choice):
            lines.append(f"        self.{p} = {p}")  # a number forward reads: kept on the module
        fwd = {**text, **{s: f"self.{g.choice[s]}" for s in forward_slots if s in g.choice}}
        for attr, c in d.init:
            if isinstance(c, ChildRef):
                cg = self.groups[c.scope]
                args = [text[f"{attr}__{p}"] if p == "in_channels" else f"{p}={text[f'{attr}__{p}']}"
                        for p, _ in cg.params]
                call = Call(cg.name, tuple(args))
            else:
                call = _subst_call(c, text)
            lines += lay_out("        ", f"self.{attr} = ", call, "")
        lines.append("")
        returns = self._return_type(d)
        lines += lay_out("    ", "def forward", Call("(", ("self", *(f"{x}: torch.Tensor" for x in d.inputs))),
                      f" -> {returns}:")
        for lhs, expr, comment in d.body:
            lines += lay_out("        ", f"{lhs} = ", _subst_expr(expr, fwd), f"  # {comment}")
        if d.taps:
            lines += lay_out("        ", "return ", Call("{", tuple(f'"{t}": {v}' for t, v in d.taps)), "")
        elif d.heads:
            lines.append("        if self.training:")
            for lhs, expr, comment in d.heads:
                lines += lay_out("            ", f"{lhs} = ", _subst_expr(expr, fwd), f"  # {comment}")
            lines.append(f"            return {', '.join(d.returns + d.head_returns)}")
            lines.append(f"        return {d.returns[0]}")
        else:
            lines.append(f"        return {', '.join(d.returns)}")
        return "\n".join(lines) + "\n"

    def _doc(self, g: Group) -> str:
        where = "/".join(g.members[0]) or self.ir.name
        if g.block:
            n = len(g.members)
            return (f"Block `{g.block}` ({n} instance{'s' * (n > 1)}); shapes as in {where}.")
        if not g.members[0]:
            return f"The network `{self.ir.name}`" + (" (in training mode also its aux heads)." if self.ir.heads
                                                    else ".")
        return f"The {self.ir.modules[g.members[0]].kind} `{where}`."

    def _return_type(self, d: Draft) -> str:
        if d.taps:
            return "dict[str, torch.Tensor]"
        if d.heads:
            return "torch.Tensor | tuple[torch.Tensor, ...]"
        return "torch.Tensor" if len(d.returns) == 1 else "tuple[" + ", ".join(["torch.Tensor"] * len(d.returns)) + "]"


def _same(a: Any, b: Any) -> bool:
    """Equal numbers of the same type (True is not 1 here)."""
    return type(a) is type(b) and a == b and not isinstance(a, bool)


def _subst_expr(expr: Union[str, Call], text: dict[str, str]) -> Union[str, Call]:
    return _subst(expr, text) if isinstance(expr, str) else _subst_call(expr, text)
