"""Safe YAML loading that remembers where every key and value came from.

PyYAML's node graph carries marks; we convert it ourselves into `PosMap`/`PosList`
(plain dict/list subclasses with position tables) so later stages can point at
`file:line:col`. Only the core scalar tags are accepted, so no spec can construct a
Python object, and alias expansion is bounded so a "billion laughs" file is refused
before it can exhaust memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from archspec.errors import Location, fail

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python PyYAML
    _Loader = yaml.SafeLoader

MAX_NODES = 200_000
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class PosMap(dict):
    """A mapping with the location of itself, each key and each value."""

    loc: Location
    key_loc: dict[Any, Location]
    val_loc: dict[Any, Location]

    def __init__(self, *args: Any, loc: Location | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.loc = loc or Location(None)
        self.key_loc = {}
        self.val_loc = {}


class PosList(list):
    loc: Location
    item_loc: list[Location]

    def __init__(self, *args: Any, loc: Location | None = None) -> None:
        super().__init__(*args)
        self.loc = loc or Location(None)
        self.item_loc = []


def _loc(mark: yaml.Mark, file: str) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self, file: str, constructor: Any) -> None:
        self.file = file
        self.constructor = constructor
        self.count = 0

    def convert(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise fail(
                f"the YAML expands to more than {MAX_NODES:,} nodes (anchors and aliases multiply it)",
                _loc(node.start_mark, self.file),
                hint="write the repeated part as a block template and instantiate it with `repeat`",
            )
        if node.tag not in _SAFE_TAGS:
            raise fail(
                f"YAML tag {node.tag!r} is not allowed in a spec",
                _loc(node.start_mark, self.file),
                hint="specs hold plain data only: mappings, lists, strings, numbers, booleans and null",
            )
        loc = _loc(node.start_mark, self.file)
        if isinstance(node, yaml.MappingNode):
            out = PosMap(loc=loc)
            for knode, vnode in node.value:
                if knode.tag == "tag:yaml.org,2002:merge":
                    raise fail("YAML merge keys (<<) are not supported", _loc(knode.start_mark, self.file),
                               hint="use `defaults:` or a block template to share settings")
                key = self.convert(knode)
                if isinstance(key, (dict, list)):
                    raise fail("a mapping key must be a plain scalar", _loc(knode.start_mark, self.file))
                if key in out:
                    first = out.key_loc[key]
                    raise fail(f"duplicate key {key!r} (first defined at line {first.line})",
                               _loc(knode.start_mark, self.file), hint="names must be unique within their scope")
                out.key_loc[key] = _loc(knode.start_mark, self.file)
                out.val_loc[key] = _loc(vnode.start_mark, self.file)
                out[key] = self.convert(vnode)
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = PosList(loc=loc)
            for item in node.value:
                seq.item_loc.append(_loc(item.start_mark, self.file))
                seq.append(self.convert(item))
            return seq
        return self.constructor.construct_object(node, deep=True)


def load_text(text: str, file: str = "<spec>") -> Any:
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            msg = exc.problem or "invalid YAML"
            if exc.context:
                msg = f"{exc.context}, {msg}" if exc.problem else exc.context
            raise fail(f"YAML syntax error: {msg}", _loc(mark, file) if mark else Location(file),
                       hint="check indentation, colons and brackets around this place") from None
        except yaml.YAMLError as exc:
            raise fail(f"YAML error: {exc}", Location(file)) from None
        if node is None:
            return None
        try:
            return _Converter(file, loader).convert(node)
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            raise fail(f"YAML value error: {exc.problem}", _loc(mark, file) if mark else Location(file)) from None
    finally:
        loader.dispose()


def load_file(path: str | Path) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"spec file not found: {p}", None, hint="check the path; specs are YAML files like specs/inception_v3.yaml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read spec file {p}: {exc}", Location(str(p))) from None
    return load_text(text, str(p))


def loc_of(tree: Any, path: tuple[Any, ...], key: bool = False) -> Location | None:
    """Best location for `path` inside a loaded tree: the deepest part that exists."""
    node = tree
    best = getattr(tree, "loc", None)
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, PosMap) and part in node:
            best = (node.key_loc if (key and last) else node.val_loc).get(part, best)
            node = node[part]
        elif isinstance(node, PosList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.item_loc[part]
            node = node[part]
        else:
            break
    return best
