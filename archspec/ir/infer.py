"""Shape and cost inference over the IR, in topological order.

Fills every node's `shape` and `cost`, and gives a
node whose arguments read `${input.c}` its validated arguments (`archspec/ir/pending.py`). A shape
error does not raise here: it is stored on `ir.error` (with the shape table up to the
failing node) so that a diagram can still show the graph up to the failure; `check`
raises it.
"""

from __future__ import annotations

from archspec.errors import ArchspecError, Problem
from archspec.ir.graph import IR
from archspec.ops import REGISTRY, ShapeError, fmt_shape

MAX_DIM = 1 << 24


def infer(ir: IR) -> IR:
    done: list[str] = []
    for nid in ir.order():
        d = ir[nid]
        op = REGISTRY[d.op]
        ins = ir.in_shapes(nid)
        if d.pending is not None:
            try:
                source = d.pending.source
                d.args = d.pending.resolve(ins[0], ir[source].shape if source is not None else None)
            except ArchspecError as e:
                ir.error = ArchspecError(e.problems, context=shape_table(ir, done, failing=nid))
                d.error = str(e.problems[0].message)
                return ir
            d.pending = None
        try:
            out = op.infer(d.args, ins)
            if any(s < 1 for s in out):
                raise ShapeError(f"{d.op} would produce shape {fmt_shape(out)}",
                                 "every dimension must be at least 1; reduce downsampling or enlarge the input")
            if any(s > MAX_DIM for s in out):
                raise ShapeError(f"{d.op} would produce shape {fmt_shape(out)}, a dimension over {MAX_DIM:,}",
                                 "check the input size and this layer's numbers for a typo")
        except ShapeError as e:
            fed = f" (input {', '.join(fmt_shape(s) for s in ins)})" if ins else ""
            ir.error = ArchspecError([Problem(f"{e}{fed}", d.loc, d.path, e.hint)],
                                     context=None if d.source else shape_table(ir, done, failing=nid))
            d.error = str(e)
            return ir
        d.shape, d.cost = out, op.cost(d.args, ins, out)
        if not d.source:  # the table lists ops; the input's shape is the spec's own
            done.append(nid)
    return ir


def shape_table(ir: IR, done: list[str], failing: str, last: int = 12) -> str:
    """The shapes of the nodes just before a failure: what a user needs to see to fix it."""
    rows = [(nid, ir[nid].op, fmt_shape(ir.shape(nid))) for nid in done[-last:]]
    rows.append((failing, ir[failing].op, "✗"))
    w = max(len(r[0]) for r in rows)
    count = f"{len(done)} node{'' if len(done) == 1 else 's'} before it"
    head = f"shapes up to the failing node ({count}, last {min(last, len(done))} shown):"
    return "\n".join([head] + [f"  {n:<{w}}  {o:<10} {s}" for n, o, s in rows])
