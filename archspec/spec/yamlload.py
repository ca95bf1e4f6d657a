"""Safe YAML loading that remembers where every key and value came from.

PyYAML's node graph carries marks; we convert it ourselves into `PosMap`/`PosList`
(plain dict/list subclasses with position tables) so later stages can point at
`file:line:col`. Only the core scalar tags are accepted, so no spec can construct a
Python object, and alias expansion is bounded so a "billion laughs" file is refused
before it can exhaust memory. Nesting is bounded too: libyaml composes recursively in C,
so a few ten thousand `[` would overflow its stack — a segfault, not an exception.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from archspec.errors import ArchspecError, Location, fail

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python PyYAML
    _Loader = yaml.SafeLoader

MAX_NODES = 200_000
MAX_DEPTH = 100
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}

_DATE = "tag:yaml.org,2002:timestamp"  # what an unquoted 2024-01-31 resolves to


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
    removed: dict[str, Location]
    """Named items a `remove:` override took out, and where it says so: a reference to one of
    them then names that line, not only the reference."""

    def __init__(self, *args: Any, loc: Location | None = None) -> None:
        super().__init__(*args)
        self.loc = loc or Location(None)
        self.item_loc = []
        self.removed = {}


def _loc(mark: Any, file: str) -> Location:  # yaml.Mark, or libyaml's own class of it
    return Location(file, mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self, file: str, constructor: Any) -> None:
        self.file = file
        self.constructor = constructor
        self.count = 0

    def convert(self, node: yaml.Node, depth: int = 1) -> Any:
        self.count += 1
        if depth > MAX_DEPTH:  # aliases can stack nesting beyond what the text shows
            raise _too_deep(node.start_mark, self.file)
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
                hint="quote a date to keep it as text" if node.tag == _DATE
                else "specs hold plain data only: mappings, lists, strings, numbers, booleans and null",
            )
        loc = _loc(node.start_mark, self.file)
        if isinstance(node, yaml.MappingNode):
            out = PosMap(loc=loc)
            for knode, vnode in node.value:
                if knode.tag == "tag:yaml.org,2002:merge":
                    raise fail("YAML merge keys (<<) are not supported", _loc(knode.start_mark, self.file),
                               hint="use `defaults:` or a block template to share settings")
                key = self.convert(knode, depth + 1)
                if isinstance(key, (dict, list)):
                    raise fail("a mapping key must be a plain scalar", _loc(knode.start_mark, self.file),
                               hint="write the key as a name; a list or mapping cannot be a key")
                if key in out:
                    first = out.key_loc[key]
                    raise fail(f"duplicate key {key!r} (first defined at line {first.line})",
                               _loc(knode.start_mark, self.file), hint="names must be unique within their scope")
                out.key_loc[key] = _loc(knode.start_mark, self.file)
                out.val_loc[key] = _loc(vnode.start_mark, self.file)
                out[key] = self.convert(vnode, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = PosList(loc=loc)
            for item in node.value:
                seq.item_loc.append(_loc(item.start_mark, self.file))
                seq.append(self.convert(item, depth + 1))
            return seq
        try:
            return self.constructor.construct_object(node, deep=True)
        except ValueError:  # Python refuses to convert integers of more than 4300 digits
            raise fail(f"the number {node.value[:12]}… is too long ({len(node.value):,} characters)",
                       loc, hint="write a number of reasonable size") from None


_DEPTH_HINT = "a spec needs a few levels; use block templates instead of deep nesting"


def _too_deep(mark: Any, file: str) -> ArchspecError:
    return fail(f"the YAML nests deeper than {MAX_DEPTH} levels", _loc(mark, file), hint=_DEPTH_HINT)


def _check_depth(text: str, file: str) -> None:
    """Measure nesting on the event stream, which libyaml parses without recursion.

    libyaml's scanner looks ahead up to a line in flow context, and newer libyaml refuses flow
    nesting past its own limit from there, before the events show the depth. So when the
    parser fails, the brackets decide whether it was the nesting, reported as ours.
    """
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH and event.start_mark is not None:
                    raise _too_deep(event.start_mark, file)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError:
        offset = _too_deep_bracket(text)
        if offset is None:
            raise
        raise fail(f"the YAML nests deeper than {MAX_DEPTH} levels", _end_loc(text[:offset], file),
                   hint=_DEPTH_HINT) from None
    finally:
        loader.dispose()


# flow brackets, and the quoted scalars and comments whose brackets do not count
_FLOW_TOKEN = re.compile(r"""[\[\]{}]|(?:(?<=[\s\[{,:])|^)(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')|(?:(?<=\s)|^)#[^\n]*""",
                         re.MULTILINE)


def _too_deep_bracket(text: str) -> int | None:
    """The offset of the first `[` or `{` nested deeper than MAX_DEPTH, if any."""
    depth = 0
    for m in _FLOW_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return m.start()
        elif c in "]}":
            depth = max(depth - 1, 0)
    return None


def _compose(text: str, file: str) -> Any:
    _check_depth(text, file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _Converter(file, loader).convert(node)
    finally:
        loader.dispose()


def load_text(text: str, file: str = "<spec>") -> Any:
    try:
        return _compose(text, file)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise fail(f"YAML value error: {exc.problem}", _loc(mark, file) if mark else Location(file, 1, 1)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or "invalid YAML"
        context, start = exc.context, exc.context_mark
        lines = text.split("\n")
        # the parser gives up where the text stops making sense, often lines after the slip:
        # name the line where the construct it was reading began too
        apart = context is not None and start is not None and mark is not None and start.line != mark.line
        if apart and start is not None:
            context = f"{context} that starts at line {start.line + 1}, column {start.column + 1}"
        if context:
            msg = f"{context}, {msg}" if exc.problem else context
        tab = mark is not None and mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t"
        opener = _char_at(lines, start) if apart and start is not None else ""
        hint = ("YAML indents with spaces, not tabs" if tab
                else f"is the {opener!r} at line {start.line + 1} closed? Check the brackets between the two lines"
                if opener in ("[", "{") and start is not None
                else "check indentation, colons and brackets around this place")
        raise fail(f"YAML syntax error: {msg}", _loc(mark, file) if mark else Location(file, 1, 1),
                   hint=hint) from None
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise fail(f"YAML error: {exc.reason} (character U+{code:04X})",
                   _end_loc(_text_before(text, exc.position), file),
                   hint="a spec is plain UTF-8 text; remove the character or quote it as an escape") from None


def _char_at(lines: list[str], mark: yaml.Mark) -> str:
    return lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""


def _text_before(text: str, offset: int) -> str:
    """libyaml reports a byte offset into the UTF-8 text; the pure-Python reader, characters."""
    return text[:offset] if _Loader is yaml.SafeLoader else text.encode("utf-8")[:offset].decode("utf-8", "replace")


def _end_loc(before: str, file: str) -> Location:
    """Where the text after `before` starts: for errors reported as an offset, not a mark."""
    return Location(file, before.count("\n") + 1, len(before) - before.rfind("\n"))


def load_file(path: str | Path) -> Any:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise fail(f"spec file not found: {p}", None, hint="check the path; specs are YAML files like specs/inception_v3.yaml") from None
    except OSError as exc:
        raise fail(f"cannot read spec file {p}: {exc}", Location(str(p))) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"spec file {p} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                   _end_loc(data[:exc.start].decode("utf-8"), str(p)), hint="save the spec as UTF-8") from None
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
