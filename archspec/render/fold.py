"""Folding runs of identical consecutive blocks into one "×N" box.

Identical means the same block template with the same arguments, seeing the same input
shapes and producing the same output shape; consecutive means the data flows only from
one to the next, so folding hides no edge (an aux head tapping the middle of a run, or a
skip connection into it, ends the run there). Repeats are the common case, but any two
top-level instances that really are identical fold too.
"""

from __future__ import annotations

from typing import Any

from archspec.ir.graph import IR
from archspec.render.model import Box, Overlay, Picture


def _signature(ir: IR, pic: Picture, box: Box, overlay: Overlay | None) -> tuple[Any, ...] | None:
    """What must match for two boxes to be the same block (an added block never folds into
    an unchanged one); None if the box never folds."""
    group = pic.groups.get(box.id)
    if box.kind != "group" or group is None or group.scope.kind != "block":
        return None
    if any(ir[m].error is not None for m in box.members):
        return None
    members = set(box.members)
    in_shapes = tuple(ir[i].shape for m in box.members for i in ir[m].inputs if i not in members)
    return (box.clusters, group.scope.block, group.scope.args, in_shapes, ir[box.output].shape,
            overlay.status(box) if overlay else None)


def _chained(ir: IR, pic: Picture, a: Box, b: Box) -> bool:
    """True when every edge leaving `a` enters `b` and every edge entering `b` leaves `a`."""
    g = ir.graph
    a_set, b_set = set(a.members), set(b.members)
    leaving = [(u, v) for u in a.members for v in g.successors(u) if v not in a_set and v in pic.owner]
    entering = [(u, v) for v in b.members for u in g.predecessors(v) if u not in b_set]
    return all(v in b_set for _, v in leaving) and all(u in a_set for u, _ in entering)


def _run_to_extend(ir: IR, pic: Picture, box: Box, into: dict[str, str], tail: dict[str, Box],
                   overlay: Overlay | None) -> str | None:
    """The folded box that `box` continues, if its only source is that run's last instance."""
    sig = _signature(ir, pic, box, overlay)
    if sig is None:
        return None
    sources = {pic.owner[i] for m in box.members for i in ir[m].inputs if pic.owner[i] != box.id}
    if len(sources) != 1:
        return None
    run_id = into[sources.pop()]
    prev = tail.get(run_id)
    if prev is None or _signature(ir, pic, prev, overlay) != sig or not _chained(ir, pic, prev, box):
        return None
    return run_id


def fold(ir: IR, pic: Picture, overlay: Overlay | None = None) -> Picture:
    boxes: dict[str, Box] = {}
    into: dict[str, str] = {}
    """Original box id → id of the box that now draws it."""
    tail: dict[str, Box] = {}
    """Folded box id → the original box of its run's last instance (only foldable boxes)."""
    for box in pic.boxes.values():
        run_id = _run_to_extend(ir, pic, box, into, tail, overlay)
        if run_id is None:
            boxes[box.id] = Box(box.id, box.kind, list(box.members), box.clusters, list(box.instances))
            run_id = box.id
        else:
            boxes[run_id].members.extend(box.members)
            boxes[run_id].instances.append(box.id)
        into[box.id] = run_id
        tail[run_id] = box
    return Picture(boxes, {nid: into[bid] for nid, bid in pic.owner.items()}, pic.groups)
