"""Lowering: a resolved spec → the IR graph of primitive ops.

Walks the raw tree (which keeps source positions) rather than pydantic copies, expands
block templates with their typed params, `repeat`, `concat`/`add` branches, `residual`
bodies and `aux` heads, validates each op's arguments with its model, and resolves
named references once every name is known (so `inputs:` may point forward and a cycle
is reported as one). Independent problems are collected and raised together. The driver is
the tuple `PASSES` at the end: place the input, check `defaults:` and `scale.channel_args`, expand, resolve references,
check the scale multipliers apply, report, check the graph and each scope's units are DAGs,
attach the aux heads. Inference and the limits follow as passes over the IR
(`archspec/ir/infer.py`, `archspec/ir/budget.py`).

`${...}` substitution and `defaults:` stay inside `expand` rather than being passes over
the IR, because the IR's shape depends on them: an item's keys are substituted before its
kind is known (`op:` is read from the substituted keys), a repeat's substituted `times:`
decides how many instances exist, and an instance's params — the caller's substituted
values, type-checked as they bind — are the environment its own items are substituted in.
That environment lives only in the walk's `Ctx`; nodes do not keep it (only `PendingArgs`
does, for the few arguments that wait for the input shape). A kind's `defaults:` are
substituted in that same environment (a default may read a block param), so merging them
later would mean carrying every op's environment into a pass, and their validation with it,
which would also reorder the problems the walk collects in spec order.

Inside a block, `inputs: [input]` names the block's own input (at the top level, the
network's: the network is the outermost block); `input` is reserved as a node name, so it
cannot collide. An op argument reading `${input.c}` / `.h` / `.w` is validated during
inference instead (see `archspec/ir/pending.py` for why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from archspec.errors import ArchspecError, Location, Problem, ProblemCollector, did_you_mean
from archspec.ir.graph import INPUT, IR, MODULES, Head, Node, Nodes, Scope, edges, find_cycle, find_unit_cycle
from archspec.ir.pending import PendingArgs, reads_shape
from archspec.ir.reserved import RESERVED
from archspec.ops import REGISTRY
from archspec.ops.base import placeable
from archspec.ops.input import InputArgs
from archspec.spec.expr import ExprError, has_expr, reads_input_shape, substitute
from archspec.spec.models import BlockDef, ParamDecl
from archspec.spec.resolve import ResolvedSpec
from archspec.spec.structural import STRUCTURAL, Aux, Branches, Repeat, Residual, Seq, Structural, structural
from archspec.spec.validate import validate
from archspec.spec.yamlload import PosList, PosMap

MAX_OPS = 20_000
"""Far above any real architecture (Inception-ResNet-v2 has under a thousand); a `repeat` of
a billion is refused at this size instead of running for hours."""
MAX_EXPANSIONS = 4 * MAX_OPS
"""Items expanded (ops, blocks, sequences, branches), counted as lowering goes: blocks that
each use the previous one twice double at every level, and even when every instance fails
(so no op is added) the expansion is stopped here, in well under a second."""
MAX_NESTING = 32
"""Scopes nested in scopes (blocks in blocks, `seq` in `seq`, ...): real networks use a few;
each level costs Python stack frames in lowering and in the compiled module's forward."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_HINT = "names are identifiers: letters, digits and _, not starting with a digit"
_NESTED = ("body", "branches")
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "list": (list,), "any": (object,),
    "channels": (int,), "repeats": (int,),
}
_NUMERIC = ("int", "float", "channels", "repeats")
PLACEABLE = placeable()


@dataclass(frozen=True)
class Ref:
    """A by-name reference, resolved after the whole graph is lowered."""

    name: str
    module: tuple[str, ...]
    loc: Location


@dataclass(frozen=True)
class Ctx:
    module: tuple[str, ...]
    path: tuple[str, ...]
    env: Mapping[str, Any]
    active: tuple[str, ...] = ()
    head: str | None = None
    source: str | Ref = INPUT
    """What `inputs: [input]` names here: the enclosing block's input."""

    def at(self, *parts: str) -> str:
        return "/".join(self.path + parts)


@dataclass(frozen=True)
class Item:
    """A structural item, as its lowering rule receives it."""

    name: str
    kind: str
    body: PosMap
    """The item as written (raw, with positions)."""
    args: PosMap
    """Its keys with `${...}` substituted (bodies and branches left as written)."""
    ctx: Ctx
    sub: Ctx
    """The context of what the item holds directly (branches, a residual's body)."""
    inputs: list[str | Ref]
    path: str
    loc: Location
    kloc: Location
    """Where its `op:` is written."""


class _Skip(Exception):
    """An item that could not be lowered; its problem is already recorded."""


class _Stop(Exception):
    """A limit was reached: lowering ends at once; its problem is already recorded."""


def lower(rs: ResolvedSpec) -> IR:
    return _Lowerer(rs).run()


class _Lowerer:
    def __init__(self, rs: ResolvedSpec) -> None:
        self.rs = rs
        self.spec = rs.spec
        self.tree = rs.tree
        self.nodes: Nodes = {}
        self.wiring: dict[str, list[str | Ref]] = {}
        self.shape_sources: dict[str, str | Ref] = {}
        """Each op with pending arguments → what `${block_input.*}` reads there."""
        """Each node's inputs as written: by-name references are resolved once every name is known."""
        self.problems = ProblemCollector()
        self.names: dict[tuple[str, ...], dict[str, tuple[str | None, Location]]] = {}
        self.removed: dict[tuple[str, ...], dict[str, Location]] = {}
        """Per scope, the items a `remove:` override took out of its lists, and the override's line."""
        self.heads: list[Head] = []
        self.head_sources: list[tuple[int, Ref]] = []
        self.ref_locs: dict[tuple[str, str], Location] = {}
        self.scopes: dict[tuple[str, ...], Scope] = {}
        self.raw_blocks: PosMap = self.tree.get("blocks") or PosMap()
        self.raw_defaults: PosMap = self.tree.get("defaults") or PosMap()
        self.expansions = 0
        self.output = INPUT
        scale = self.spec.scale
        self.scaled_kinds: set[str] = set()
        """`channels` / `repeats` when some count of that kind was declared: else a multiplier scales nothing."""
        self.channel_args: dict[str, set[str]] = {}
        for name in scale.channel_args:
            kind, _, arg = name.partition(".")
            self.channel_args.setdefault(kind, set()).add(arg)
        self.scaled_args = False
        """Whether some value of an op argument named in `scale.channel_args` was met."""
        self.funcs = {"channels": lambda c: self.scaled("channels", c), "repeats": lambda n: self.scaled("repeats", n),
                      "divisible": scale.divisible}
        # the multipliers are readable in expressions (`${divisible(1280 * max(1, width))}`); a param wins
        self.base_env: dict[str, Any] = {"width": scale.width, "depth": scale.depth, **self.spec.params}

    # ---- driver -------------------------------------------------------------------
    def run(self) -> IR:
        for step in PASSES:
            step(self)
        scale = self.spec.scale
        scaling = tuple((k, v) for k, v in (("width", scale.width), ("depth", scale.depth),
                                            ("resolution", scale.resolution)) if v not in (1, None))
        return IR(self.spec.name, self.rs.ref, tuple(self.spec.input), self.nodes, self.output, self.heads,
                  self.scopes, scaling=scaling)

    # ---- the passes, in the order PASSES runs them ----------------------------------
    def place_input(self) -> None:
        self.nodes[INPUT] = Node("input", InputArgs(shape=tuple(self.spec.input)), [], INPUT, (), INPUT,
                                 self.tree.val_loc.get("input", self.tree.loc))

    def expand(self) -> None:
        """The network's items → op nodes: blocks instantiated with their params, repeats and
        branches expanded, `${...}` substituted, each op's `defaults:` merged and its arguments
        validated. Inputs stay as written: names are resolved once every name is known."""
        try:
            self.output = self.seq(self.tree["network"], Ctx((), (), dict(self.base_env)), INPUT) or INPUT
        except _Stop:
            self.problems.raise_if_any()

    def report(self) -> None:
        """The problems found so far are independent of each other: raised together."""
        self.problems.raise_if_any()

    def check_dag(self) -> None:
        cycle = find_cycle(edges(self.nodes))
        if cycle:
            names = " -> ".join(cycle + cycle[:1])
            first = self.nodes[cycle[0]]
            raise ArchspecError([Problem(f"the graph has a cycle: {names}", first.loc, first.path,
                                         "`inputs:` may only create a directed acyclic graph")])

    def attach_heads(self) -> None:
        """Each aux head's `from:` is a name like any input's, resolved now."""
        for i, ref in self.head_sources:
            self.heads[i] = replace(self.heads[i], source=self._lookup(ref) or "")

    def check_defaults(self) -> None:
        """A misspelt kind under `defaults:` would silently leave every op of that kind unchanged."""
        for kind in self.raw_defaults:
            if kind not in PLACEABLE:
                self.problem(f"`defaults:` names unknown op kind {kind!r}", self.raw_defaults.key_loc[kind], None,
                             did_you_mean(kind, PLACEABLE) or f"op kinds: {', '.join(sorted(PLACEABLE))}")

    def check_channel_args(self) -> None:
        """A misspelt `scale.channel_args` entry would silently leave the network unscaled."""
        section = self.tree.get("scale")
        items = section.get("channel_args") if isinstance(section, PosMap) else None
        for i, name in enumerate(self.spec.scale.channel_args):
            kind, _, arg = name.partition(".")
            at = items.item_loc[i] if isinstance(items, PosList) and i < len(items.item_loc) else self.tree.loc
            if kind not in PLACEABLE:
                self.problem(f"scale.channel_args names unknown op kind {kind!r}", at, None,
                             did_you_mean(kind, PLACEABLE) or f"op kinds: {', '.join(sorted(PLACEABLE))}")
            elif arg not in REGISTRY[kind].Args.model_fields:
                fields = REGISTRY[kind].Args.model_fields
                self.problem(f"scale.channel_args: op {kind!r} has no argument {arg!r}", at, None,
                             did_you_mean(arg, fields) or f"its arguments: {', '.join(fields)}")

    def check_units(self) -> None:
        """A scope compiles to one module called once, so the scopes and ops side by side in a
        scope must form a DAG too — a block may read a node defined after it, but not one that
        is computed from the block's own output."""
        found = find_unit_cycle(self.nodes)
        if found is None:
            return
        module, reader, value = found
        s = next(s for s in self.scopes.values() if s.module == module and s.kind in MODULES)
        where = self.ref_locs.get((reader, value), self.nodes[reader].loc)
        raise ArchspecError([Problem(
            f"{s.kind} {s.path!r} reads {value!r}, which is itself computed from the output of {s.path!r}",
            where, self.nodes[reader].path,
            f"{s.path!r} runs as one module, so its inputs must be ready before it starts: move "
            f"{self.nodes[reader].name!r} out of it, or compute {value!r} without it")])

    def problem(self, msg: str, loc: Location | None, path: str | None, hint: str | None = None) -> _Skip:
        self.problems.add(Problem(msg, loc, path, hint))
        return _Skip()

    # ---- names and references -----------------------------------------------------
    def declare(self, ctx: Ctx, name: Any, loc: Location, output: str | None = None) -> None:
        path = ctx.at(str(name))
        self.check_name(name, loc, path)
        table = self.names.setdefault(ctx.module, {})
        if name in table:
            first = table[name][1]
            raise self.problem(f"duplicate name {name!r} (first defined at line {first.line})", loc, path,
                               "names must be unique within a block; rename one of them")
        table[name] = (output, loc)

    def check_name(self, name: Any, loc: Location, path: str, what: str = "name") -> None:
        if isinstance(name, bool) or name is None:
            word = "null" if name is None else str(name).lower()
            raise self.problem(f"the {what} is read by YAML as the {'null value' if name is None else 'boolean'} "
                               f"{word}, not as text", loc, path,
                               "YAML reads unquoted yes/no/on/off/true/false as booleans and ~ or null as null: "
                               "quote the name ('yes': ...) or choose another")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.problem(f"invalid {what} {name!r}" + (" (empty)" if name == "" else ""), loc, path,
                               _NAME_HINT)
        if name == INPUT:
            raise self.problem(f"the {what} {INPUT!r} is reserved: it names the network's input", loc, path,
                               "choose another name")
        if name in RESERVED:
            raise self.problem(f"the {what} {name!r} is reserved: the compiled torch module has an attribute "
                               "of that name", loc, path,
                               "choose another name (for example with a prefix or suffix: "
                               f"{name.strip('_')}_1)")

    def bind(self, ctx: Ctx, name: str, output: str) -> None:
        self.names[ctx.module][name] = (output, self.names[ctx.module][name][1])

    def _lookup(self, ref: Ref) -> str | None:
        if "/" in ref.name:
            parts = tuple(ref.name.split("/"))
            entry = self.names.get(parts[:-1], {}).get(parts[-1])
            return entry[0] if entry else None
        module = ref.module
        while True:
            entry = self.names.get(module, {}).get(ref.name)
            if entry and entry[0]:
                return entry[0]
            if not module:
                return None
            module = module[:-1]

    def resolve_refs(self) -> None:
        for nid, src in self.shape_sources.items():
            pending = self.nodes[nid].pending
            target = self._lookup(src) if isinstance(src, Ref) else src
            if pending is not None and target:  # an unknown name is reported with the wiring
                self.nodes[nid].pending = replace(pending, source=target)
        for nid, inputs in self.wiring.items():
            data = self.nodes[nid]
            for inp in inputs:
                if not isinstance(inp, Ref):
                    data.inputs.append(inp)
                    continue
                target = self._lookup(inp)
                if target is None:
                    for problem in self.unknown(inp, data.path):
                        self.problems.add(problem)
                    continue
                head = self.nodes[target].head
                if head is not None and head != data.head:
                    self.problems.add(Problem(
                        f"{inp.name!r} is part of aux head {head!r}, which runs only in training", inp.loc,
                        data.path, "the network may not read an auxiliary head's nodes; tap the node "
                        "the head reads (its `from:`) instead"))
                    continue
                data.inputs.append(target)
                self.ref_locs[(nid, target)] = inp.loc

    def unknown(self, ref: Ref, path: str) -> list[Problem]:
        """Why a name is not found: an override removed it (reported at the reference and at the
        removal), it does not exist, or it exists in a scope the reference cannot see. Nothing when
        the name's own item failed to lower: that problem is reported already."""
        visible = [n for m, t in self.names.items() if ref.module[:len(m)] == m for n in t]
        if ref.name in visible:
            return []
        removed = [t[ref.name] for m, t in self.removed.items() if ref.module[:len(m)] == m and ref.name in t]
        if removed:
            hint = f"remove what reads {ref.name!r} too, or `set:` its input to another node"
            return [Problem(f"unknown reference {ref.name!r}: an override removed it ({removed[-1]})", ref.loc, path,
                            hint),
                    Problem(f"the removal of {ref.name!r}, which {path!r} still reads", removed[-1], None, hint)]
        elsewhere = sorted("/".join(m) or "the network" for m, t in self.names.items() if ref.name in t)
        if elsewhere:
            return [Problem(f"unknown reference {ref.name!r}: it is defined inside {elsewhere[0]!r}, which this "
                            f"reference cannot see", ref.loc, path,
                            "a name is visible in its own block and the blocks nested in it; refer to a node "
                            "inside another block by its path (block/name)")]
        return [Problem(f"unknown reference {ref.name!r}", ref.loc, path,
                        did_you_mean(ref.name, visible)
                        or "refer to a layer or block by its name")]

    # ---- sequences and items ------------------------------------------------------
    def seq(self, items: Any, ctx: Ctx, inp: str | Ref, where: Location | None = None) -> str | None:
        if not isinstance(items, PosList) or not items:
            loc = getattr(items, "loc", where)
            self.problem("expected a non-empty list of named items (`- name: {op: kind, ...}`)", loc, ctx.at() or None)
            return None
        self.removed.setdefault(ctx.module, {}).update(items.removed)
        prev: str | Ref | None = inp
        for i, item in enumerate(items):
            loc = items.item_loc[i]
            if not isinstance(item, PosMap) or len(item) != 1:
                self.problem("each list item is one named node: `- name: {op: kind, ...}`", loc, ctx.at() or None,
                             "names come first, so items can be referred to and overridden by name")
                continue
            (name, body), = item.items()
            try:
                self.declare(ctx, name, item.key_loc[name])
                out = self.item(name, body, item.key_loc[name], ctx, prev)
                self.bind(ctx, name, out)
                if not self.is_side_output(out, ctx):
                    prev = out
            except _Skip:
                prev = None
            except ArchspecError as e:
                self.problems.add(e)
                prev = None
        return prev if isinstance(prev, str) else None

    def is_side_output(self, out: str, ctx: Ctx) -> bool:
        """An aux head's output, seen from the main flow: the sequence continues past it."""
        return ctx.head is None and self.nodes[out].head is not None

    def item(self, name: str, body: Any, loc: Location, ctx: Ctx, inp: str | Ref | None,
             anonymous: bool = False) -> str:
        """Lower one item; returns the id of the node that holds its output."""
        path = ctx.at() if anonymous else ctx.at(name)
        self.expansions += 1
        if self.expansions > MAX_EXPANSIONS:
            self.problem(f"the network expands to more than {MAX_EXPANSIONS:,} items", loc, path,
                         "blocks that use other blocks several times multiply: check the nesting of blocks "
                         "and `times:` of each repeat")
            raise _Stop()
        if len(ctx.path) >= MAX_NESTING:
            self.problem(f"scopes are nested more than {MAX_NESTING} levels deep", loc, path,
                         "blocks inside blocks (or seq inside seq) this deep are almost certainly a "
                         "mistake; flatten the nesting")
            raise _Stop()
        if isinstance(body, str) and not has_expr(body):
            body = PosMap({"op": body}, loc=loc)
            body.key_loc["op"] = body.val_loc["op"] = loc
        if not isinstance(body, PosMap):
            raise self.problem("an item's value must be a mapping with `op:` (or an op name)", loc, path,
                               "for example `- c1: {op: conv, out: 64, k: 3}` or `- pool: gap`")
        args = self.subst(body, ctx, path, skip=_NESTED)
        kind = args.get("op")
        if not isinstance(kind, str):
            raise self.problem("missing `op:` (the op kind or block name)", body.loc, path,
                               "for example `op: conv` or `op: inception_a`")
        kloc = body.val_loc["op"]
        inputs = self.inputs(args, ctx, inp)
        sub = replace(ctx, path=ctx.path if anonymous else ctx.path + (name,))
        definition = structural(kind, body)
        if definition is not None:
            self.check_keys(kind, definition, args, body, path)
            return _RULES[definition](self, Item(name, kind, body, args, ctx, sub, inputs, path, loc, kloc))
        if kind in self.spec.blocks:
            return self.block(name, kind, args, body, ctx, inputs, path)
        if kind in PLACEABLE:
            return self.primitive(name, kind, args, body, ctx, inputs, path, loc)
        choices = list(PLACEABLE) + list(STRUCTURAL) + list(self.spec.blocks)
        raise self.problem(f"unknown op kind or block {kind!r}", kloc, path,
                           did_you_mean(kind, choices) or f"op kinds: {', '.join(sorted(PLACEABLE))}; blocks: "
                           + (", ".join(self.spec.blocks) or "none defined"))

    def inputs(self, args: PosMap, ctx: Ctx, inp: str | Ref | None) -> list[str | Ref]:
        if "inputs" not in args:
            return [inp]  # type: ignore[list-item]
        refs = args["inputs"]
        if isinstance(refs, str):
            refs = PosList([refs], loc=args.val_loc["inputs"])
            refs.item_loc.append(args.val_loc["inputs"])
        if not isinstance(refs, PosList) or not refs or not all(isinstance(r, str) for r in refs):
            raise self.problem("`inputs:` must be a name or a list of names", args.val_loc["inputs"], ctx.at(),
                               "for example inputs: [branch_a, branch_b]")
        return [ctx.source if r == INPUT else Ref(r, ctx.module, refs.item_loc[i]) for i, r in enumerate(refs)]

    def check_keys(self, kind: str, definition: type[Structural], args: PosMap, body: PosMap, path: str) -> None:
        allowed = definition.keys(kind)
        for k in args:
            if k not in allowed:
                raise self.problem(f"unknown key {k!r} for op {kind!r}", body.key_loc[k], path,
                                   did_you_mean(k, allowed) or f"allowed keys: {', '.join(allowed)}")

    # ---- structural kinds: one rule each (their definitions: archspec/spec/structural.py) ----
    def scope(self, it: Item) -> Ctx:
        """The context of a `seq`, `repeat` or `aux` item's own module scope."""
        inner = replace(it.ctx, module=it.ctx.module + (it.name,), path=it.ctx.path + (it.name,))
        self.scopes[inner.path] = Scope(inner.path, inner.module, it.kind, None, it.loc)
        return inner

    def group(self, it: Item) -> None:
        """The group of what a `concat` / `add` / `residual` item holds directly, unless the item
        is a block's whole body: then it holds them in the block's own scope."""
        if it.sub.path != it.ctx.path:
            self.scopes[it.sub.path] = Scope(it.sub.path, it.ctx.module, it.kind, None, it.loc)

    def seq_rule(self, it: Item) -> str:
        out = self.seq(it.body.get("body"), self.scope(it), it.inputs[0], it.loc)
        if out is None:
            raise _Skip()
        return out

    def branches(self, it: Item) -> str:
        name, kind, body, sub, ctx, inputs, path, at = it.name, it.kind, it.body, it.sub, it.ctx, it.inputs, it.path, it.loc
        br = body["branches"]
        if not isinstance(br, PosMap) or len(br) < 2:
            raise self.problem(f"{kind} needs a mapping of at least two named branches", body.val_loc["branches"], path,
                               "a single path needs no merge: write its items in the sequence instead")
        if len(inputs) != 1:
            raise self.problem(f"{kind} with branches takes one input", body.key_loc.get("inputs"), path)
        self.group(it)
        outs: list[str | Ref] = []
        failed = False
        for bname, bbody in br.items():
            bloc = br.key_loc[bname]
            try:
                if isinstance(bbody, PosMap) and "op" in bbody:
                    self.declare(ctx, bname, bloc)
                    node = self.item(bname, bbody, bloc, sub, inputs[0])
                    self.bind(ctx, bname, node)
                    outs.append(node)
                else:
                    # a sequence branch names a group, not a module: its items carry the names
                    self.check_name(bname, bloc, path, "branch name")
                    within = sub.path + (bname,)
                    self.scopes[within] = Scope(within, sub.module, "branch", None, br.val_loc[bname])
                    out = self.seq(bbody, replace(sub, path=within), inputs[0], br.val_loc[bname])
                    if out is None:
                        raise _Skip()
                    outs.append(out)
            except _Skip:
                failed = True
            except ArchspecError as e:
                self.problems.add(e)
                failed = True
        if failed:
            raise _Skip()
        return self.add_node(path, name, kind, REGISTRY[kind].Args(), outs, ctx, at)

    def residual(self, it: Item) -> str:
        name, body, args, sub, ctx, inputs, path, at = it.name, it.body, it.args, it.sub, it.ctx, it.inputs, it.path, it.loc
        if "body" not in body:
            raise self.problem("residual needs a `body:`", body.loc, path, "add `body: [...]`, the items the shortcut skips")
        self.group(it)
        inner = body["body"]
        if isinstance(inner, PosMap):
            # the body is a module beside the residual's merge in the same scope: named after the
            # residual, so two residuals in one scope do not collide
            bname = f"{name}_body"
            self.declare(ctx, bname, body.key_loc["body"])
            out: str | None = self.item(bname, inner, body.key_loc["body"], sub, inputs[0])
        else:
            out = self.seq(inner, sub, inputs[0], body.val_loc["body"])
        if out is None:
            raise _Skip()
        margs = PosMap({k: v for k, v in args.items() if k in ("scale", "act")}, loc=body.loc)
        margs.key_loc, margs.val_loc = args.key_loc, args.val_loc
        a = validate(REGISTRY["residual"].Args, margs, "residual", path)
        return self.add_node(path, name, "residual", a, [out, inputs[0]], ctx, at)

    def repeat(self, it: Item) -> str:
        args, body, inp, path = it.args, it.body, it.inputs[0], it.path
        inner = self.scope(it)
        times, block, start = args.get("times"), args.get("block"), args.get("start", 1)
        if isinstance(times, bool) or not isinstance(times, int) or times < 0:
            raise self.problem(f"repeat `times` must be a whole number >= 0, got {times!r}",
                               body.val_loc.get("times", body.loc), path, "for example times: 4")
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise self.problem("repeat `start` must be a non-negative integer", body.val_loc.get("start"), path,
                               "the number of the first instance in the names, e.g. start: 0")
        if not isinstance(block, str) or block not in self.spec.blocks:
            raise self.problem(f"repeat names unknown block {block!r}", body.val_loc.get("block", body.loc), path,
                               did_you_mean(str(block), self.spec.blocks) or "set `block:` to a name under `blocks:`")
        pattern = args.get("name", block + "_{i}")
        if not isinstance(pattern, str) or "{i}" not in pattern:
            raise self.problem("repeat `name` must be a pattern containing {i}", body.val_loc.get("name"), path,
                               'for example name: "block35_{i}"')
        with_args = args.get("with") or PosMap(loc=body.loc)
        if not isinstance(with_args, PosMap):
            raise self.problem("repeat `with:` must map block params to values", body.val_loc.get("with"), path)
        prev = inp
        for i in range(start, start + times):
            iname = pattern.replace("{i}", str(i))
            self.declare(inner, iname, body.val_loc.get("times", body.loc))
            prev = self.block(iname, block, with_args, body, inner, [prev], inner.at(iname), with_block=False)
            self.bind(inner, iname, prev)
        if prev is None:  # `times: 0` after an item that failed: its problem is recorded already
            raise _Skip()
        if isinstance(prev, Ref):
            raise self.problem("a repeat of `times: 0` with `inputs:` would name another node as its output",
                               body.val_loc.get("times", body.loc), path,
                               "remove the repeat, or refer to the node it reads instead")
        return prev

    def aux(self, it: Item) -> str:
        name, args, body, path = it.name, it.args, it.body, it.path
        if it.ctx.head is not None:
            raise self.problem(f"an aux head cannot hold another aux head (inside {it.ctx.head!r})", it.kloc, path,
                               "attach the head to the main network, `from:` the node it taps")
        inner = self.scope(it)
        src = args.get("from")
        if not isinstance(src, str):
            raise self.problem("aux head needs `from:` naming the node it taps", body.loc, path,
                               "for example from: Mixed_6e")
        weight = args.get("loss_weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise self.problem("aux `loss_weight` must be a number >= 0", body.val_loc.get("loss_weight"), path,
                               "the papers use 0.3 (GoogLeNet) or 0.4 (Inception-v3)")
        ref = Ref(src, inner.module[:-1], body.val_loc["from"])
        out: str | None
        if "block" in args:
            out = self.aux_block(name, args, body, inner, ref, path)
        else:
            out = self.seq(body.get("body"), replace(inner, head=name), ref, body.loc)
        if out is None:
            raise _Skip()
        self.head_sources.append((len(self.heads), ref))
        self.heads.append(Head(name, "", out, float(weight), body.loc, inner.module))
        return out

    def aux_block(self, name: str, args: PosMap, body: PosMap, inner: Ctx, ref: Ref, path: str) -> str:
        """A head written once as a block template (GoogLeNet's two identical heads): the block's
        items become the head's own children, so `aux1.fc1.weight` as with an inline `body:`."""
        block = args["block"]
        if "body" in args:
            raise self.problem("aux takes `body:` or `block:`, not both", body.key_loc["block"], path)
        if not isinstance(block, str) or block not in self.spec.blocks:
            raise self.problem(f"aux names unknown block {block!r}", body.val_loc["block"], path,
                               did_you_mean(str(block), self.spec.blocks) or "set `block:` to a name under `blocks:`")
        with_args = args.get("with") or PosMap(loc=body.loc)
        if not isinstance(with_args, PosMap):
            raise self.problem("aux `with:` must map block params to values", body.val_loc.get("with"), path)
        outer = replace(inner, module=inner.module[:-1], path=inner.path[:-1], head=name)
        out = self.block(name, block, with_args, body, outer, [ref], path, with_block=False)
        self.scopes[inner.path] = replace(self.scopes[inner.path], kind="aux")
        return out

    def block(self, name: str, kind: str, args: PosMap, body: PosMap, ctx: Ctx, inputs: list[str | Ref],
              path: str, with_block: bool = True) -> str:
        if kind in ctx.active:
            raise self.problem(f"block {kind!r} instantiates itself", body.val_loc.get("op", body.loc), path,
                               "a block body may use other blocks, not itself")
        bdef: BlockDef = self.spec.blocks[kind]
        given = {k: v for k, v in args.items() if k not in ("op", "inputs")} if with_block else dict(args)
        env = dict(self.base_env)
        for k in given:
            if k not in bdef.params:
                raise self.problem(f"block {kind!r} has no param {k!r}", args.key_loc.get(k, body.loc), path,
                                   did_you_mean(k, bdef.params) or f"its params: {', '.join(bdef.params) or 'none'}")
        for pname, decl in bdef.params.items():
            d = decl if isinstance(decl, ParamDecl) else ParamDecl(type=decl)
            if pname in given:
                v = given[pname]
                if reads_input_shape(v):
                    raise self.problem(f"block {kind!r} param {pname!r} reads the input shape ({v}), which is "
                                       "known only in an op's arguments", args.val_loc.get(pname, body.loc), path,
                                       f"write the expression where the op inside {kind!r} uses {pname}, or pass "
                                       "a number")
                if not isinstance(v, _PY_TYPES[d.type]) or (d.type in _NUMERIC and isinstance(v, bool)):
                    raise self.problem(f"block {kind!r} param {pname!r} expects {d.type}, got {v!r}",
                                       args.val_loc.get(pname, body.loc), path,
                                       f"give {pname} a value of type {d.type}, or change its declared type")
                env[pname] = self.scaled(d.type, v)
            elif "default" in (decl.model_fields_set if isinstance(decl, ParamDecl) else ()):
                env[pname] = self.scaled(d.type, d.default)
            else:
                raise self.problem(f"block {kind!r} needs param {pname!r} ({d.type})", body.loc, path,
                                   f"add `{pname}: ...` to this item")
        inner = Ctx(ctx.module + (name,), ctx.path + (name,), env, ctx.active + (kind,), ctx.head, inputs[0])
        self.scopes[inner.path] = Scope(inner.path, inner.module, "block", kind, body.loc,
                                          tuple((k, env[k]) for k in bdef.params))
        raw_body = self.raw_blocks[kind]["body"]
        bloc = self.raw_blocks[kind].val_loc["body"]
        if isinstance(raw_body, PosMap):
            op = raw_body.get("op")
            kind_name = op if isinstance(op, str) else "op"
            self.declare(inner, kind_name, bloc)
            node = self.item(kind_name, raw_body, bloc, inner, inputs[0], anonymous=True)
            self.bind(inner, kind_name, node)
            out: str | None = node
        else:
            out = self.seq(raw_body, inner, inputs[0], bloc)
        if out is None:
            raise _Skip()
        return out

    def primitive(self, name: str, kind: str, args: PosMap, body: PosMap, ctx: Ctx, inputs: list[str | Ref],
                  path: str, at: Location) -> str:
        op = REGISTRY[kind]
        merged = PosMap(loc=body.loc)
        defaults = self.raw_defaults.get(kind)
        if isinstance(defaults, PosMap):
            d = self.subst(defaults, ctx, path)
            merged.update(d)
            merged.key_loc.update(d.key_loc)
            merged.val_loc.update(d.val_loc)
        for k, v in args.items():
            if k not in ("op", "inputs"):
                merged[k] = v
                merged.key_loc[k] = args.key_loc[k]
                merged.val_loc[k] = args.val_loc[k]
        for k in self.channel_args.get(kind, ()):
            v = merged.get(k)
            if isinstance(v, int) and not isinstance(v, bool):
                merged[k] = self.spec.scale.channels(v)
                self.scaled_args = True
        pending = PendingArgs(kind, merged, ctx.env, self.funcs, path) if reads_shape(merged) else None
        if pending is not None:
            self.shape_sources[path] = ctx.source
        a = None if pending else validate(op.Args, merged, f"{kind} arguments", path, fallback=body.loc)
        if op.arity == "one" and len(inputs) != 1:
            raise self.problem(f"{kind} takes one input, got {len(inputs)}", body.val_loc.get("inputs"), path)
        if op.arity == "many" and len(inputs) < 2:
            raise self.problem(f"{kind} needs at least two `inputs:` (or `branches:`)", body.loc, path,
                               f"for example {{op: {kind}, inputs: [a, b]}}")
        return self.add_node(path, name, kind, a, inputs, ctx, at, pending)

    def add_node(self, path: str, name: str, kind: str, a: Any, inputs: list[str | Ref], ctx: Ctx,
                 loc: Location, pending: PendingArgs | None = None) -> str:
        if len(self.nodes) > MAX_OPS:
            self.problem(f"the network expands to more than {MAX_OPS:,} ops", loc, path,
                         "check `times:` of each repeat and blocks nested in repeated blocks")
            raise _Stop()
        self.nodes[path] = Node(kind, a, [], name, ctx.module, path, loc, ctx.head, pending)
        self.wiring[path] = list(inputs)
        return path

    # ---- parameter substitution ---------------------------------------------------
    def scaled(self, kind: str, value: Any) -> Any:
        """A `channels` / `repeats` param's value under the spec's width / depth multiplier."""
        scale = self.spec.scale
        if kind in ("channels", "repeats"):
            self.scaled_kinds.add(kind)
        if kind == "channels" and isinstance(value, (int, float)):
            return scale.channels(value)
        if kind == "repeats" and isinstance(value, (int, float)):
            return scale.repeats(value)
        return value

    def check_scale_applies(self) -> None:
        """A multiplier that finds no declared count would silently leave the network as it is."""
        scale = self.spec.scale
        section = self.tree.get("scale")
        if self.channel_args and "channels" in self.scaled_kinds:
            at = section.val_loc.get("channel_args") if isinstance(section, PosMap) else None
            self.problem(f"scale.channel_args scales every value of {', '.join(scale.channel_args)}, so a "
                         "`channels` param or ${channels(N)} would be scaled twice", at or self.tree.loc, None,
                         "declare the counts one way: drop scale.channel_args, or write plain numbers")
        for key, kind, mult in (("width", "channels", scale.width), ("depth", "repeats", scale.depth)):
            if mult != 1 and kind not in self.scaled_kinds and not (kind == "channels" and self.scaled_args):
                at = section.val_loc.get(key) if isinstance(section, PosMap) else None
                self.problem(f"scale.{key} is {mult:g}, but this spec declares no {kind} count, so nothing would "
                             "scale", at or self.tree.loc, None,
                             f"declare block params `type: {kind}`, or write ${{{kind}(N)}} where a count should "
                             "scale" + (", or list the op arguments that are channel counts in "
                                        "scale.channel_args" if kind == "channels" else "")
                             + " (docs/spec-language.md, Scaling)")

    def subst(self, node: Any, ctx: Ctx, path: str, skip: tuple[str, ...] = ()) -> Any:
        if isinstance(node, PosMap):
            out = PosMap(loc=node.loc)
            out.key_loc, out.val_loc = node.key_loc, node.val_loc
            for k, v in node.items():
                out[k] = v if k in skip else self._subst_value(v, node.val_loc[k], ctx, path)
            return out
        return node

    def _subst_value(self, v: Any, loc: Location, ctx: Ctx, path: str) -> Any:
        if reads_input_shape(v):
            return v  # substituted once the input shape is inferred (`PendingArgs`)
        if isinstance(v, str) and has_expr(v):
            try:
                return substitute(v, ctx.env, self.funcs)
            except ExprError as e:
                raise self.problem(str(e), loc, path, e.hint) from None
        if isinstance(v, PosMap):
            return self.subst(v, ctx, path)
        if isinstance(v, PosList):
            out = PosList([self._subst_value(x, v.item_loc[i], ctx, path) for i, x in enumerate(v)], loc=v.loc)
            out.item_loc = v.item_loc
            return out
        return v


_RULES: dict[type[Structural], Callable[[_Lowerer, Item], str]] = {
    Seq: _Lowerer.seq_rule, Repeat: _Lowerer.repeat, Aux: _Lowerer.aux, Residual: _Lowerer.residual,
    Branches: _Lowerer.branches,
}

PASSES: tuple[Callable[[_Lowerer], None], ...] = (
    _Lowerer.place_input, _Lowerer.check_defaults, _Lowerer.check_channel_args, _Lowerer.expand,
    _Lowerer.resolve_refs, _Lowerer.check_scale_applies, _Lowerer.report, _Lowerer.check_dag, _Lowerer.check_units, _Lowerer.attach_heads,
)
"""Lowering, pass by pass: each reads and extends the lowerer's state (nodes, names, scopes,
heads, problems); a pass that finds a problem the later ones cannot work around raises."""
