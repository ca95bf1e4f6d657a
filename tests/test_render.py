"""Diagrams: the SVG Graphviz draws from our DOT, parsed back and counted.

The tiny spec below has one of everything (a concat block, a residual block repeated
twice, an aux head), so its figures are worked out by hand in the tests; the shipped
specs are checked against figures taken from their IR.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.errors import ArchspecError
from archspec.ir.graph import IR, MODULES
from archspec.render import Options, dot_source, render
from archspec.render.output import format_of
from archspec.render.style import ERROR_FILL
from conftest import ROOT, SPECS

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
SHIPPED = sorted(p.name for p in SPECS.glob("*.yaml"))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")



class Drawing:
    """An SVG drawn by Graphviz, reduced to what a reader sees: nodes, clusters, edges, text."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        groups = list(root.iter(f"{SVG}g"))
        self.title = _words(root.findall(f"{SVG}g/{SVG}text"))
        self.nodes = {_title(g): g for g in groups if g.get("class") == "node"}
        self.clusters = {_title(g).removeprefix("cluster_"): g for g in groups if g.get("class") == "cluster"}
        self.edges = [g for g in groups if g.get("class") == "edge"]

    def text(self, node: str) -> str:
        return _words(self.nodes[node].iter(f"{SVG}text"))

    def fill(self, node: str) -> set[str]:
        return {e.get("fill", "") for e in self.nodes[node].iter() if e.tag in (f"{SVG}polygon", f"{SVG}path")}

    def tooltip(self, node: str) -> str:
        return next(a.get(f"{XLINK}title", "") for a in self.nodes[node].iter(f"{SVG}a"))

    def folds(self) -> dict[str, int]:
        """Node → N for the boxes marked with a bold "×N"."""
        return {n: int((t.text or "")[1:]) for n, g in self.nodes.items() for t in g.iter(f"{SVG}text")
                if t.get("font-weight") == "bold" and re.fullmatch(r"×\d+", t.text or "")}

    def is_trapezium(self, node: str) -> bool:
        """Merge points are polygons; ops are rounded boxes, which Graphviz draws as paths."""
        return any(len((p.get("points") or "").split()) == 5 for p in self.nodes[node].iter(f"{SVG}polygon"))

    def edge_labels(self) -> list[str]:
        return [_words(e.iter(f"{SVG}text")) for e in self.edges]


def _words(texts: Iterable[ET.Element]) -> str:
    """The text of several SVG <text> lines as one string, single-spaced."""
    return " ".join(" ".join(t.text or "" for t in texts).split())


def _title(g: ET.Element) -> str:
    return g.findtext(f"{SVG}title") or ""


@pytest.fixture
def tiny(write_spec: Callable[..., Path]) -> Path:
    return write_spec((ROOT / "tests" / "data" / "tiny.yaml").read_text(), "tiny.yaml")


@cache
def shipped(name: str) -> IR:
    return archspec.analyze(SPECS / name)


def draw(ir: IR, tmp_path: Path, **opts: object) -> Drawing:
    out = tmp_path / f"{ir.name}-{len(list(tmp_path.iterdir()))}.svg"
    render(ir, out, Options(**opts))  # type: ignore[arg-type]
    return Drawing(out)


# ---- the tiny spec, figures by hand ---------------------------------------------------


@needs_dot
def test_block_level_one_box_per_block_with_the_repeat_folded(tiny: Path, tmp_path: Path) -> None:
    d = draw(archspec.analyze(tiny), tmp_path)
    assert sorted(d.nodes) == sorted(["input", "conv1", "mix", "res/res_1", "aux", "gap", "flat", "fc",
                                      "network output"])
    assert d.clusters == {}  # the repeat holds one folded box: no cluster around it
    assert len(d.edges) == 8
    assert "incep(c1=16, c3=8)" in d.text("mix") and "concat · 3 branches" in d.text("mix")
    assert "28×16×16 · 736 params" in d.text("mix")
    assert "res_1 … res_2" in d.text("res/res_1") and d.folds() == {"res/res_1": 2}
    assert "residual ×0.2, relu" in d.text("res/res_1") and "4.57K params (2 × 2.28K)" in d.text("res/res_1")
    assert "auxiliary head · training only · loss ×0.3" in d.text("aux")
    assert sorted(d.edge_labels()) == sorted(["3×32×32", "16×16×16", "28×16×16", "28×16×16", "28×16×16",
                                              "28×1×1", "28", "10"])
    assert "tiny · input 3×32×32 · → 10 · 6.35K params" in d.title


@needs_dot
def test_no_fold_draws_each_instance_inside_the_repeat_cluster(tiny: Path, tmp_path: Path) -> None:
    d = draw(archspec.analyze(tiny), tmp_path, fold=False)
    assert {"res/res_1", "res/res_2"} <= set(d.nodes) and len(d.nodes) == 10
    assert list(d.clusters) == ["res"]
    assert d.folds() == {}


@needs_dot
def test_op_level_every_op_with_blocks_and_branches_as_clusters(tiny: Path, tmp_path: Path) -> None:
    ir = archspec.analyze(tiny)
    d = draw(ir, tmp_path, level="op")
    assert len(d.nodes) == ir.graph.number_of_nodes() + 1 == 21  # + the output marker
    assert sorted(d.clusters) == ["aux", "mix", "mix/b3", "mix/pool", "res", "res/res_1", "res/res_2"]
    assert len(d.edges) == ir.graph.number_of_edges() + 1 == 24
    shortcuts = [t for t in d.edge_labels() if "shortcut" in t]
    assert shortcuts == ["shortcut + 0.2 · body 28×16×16"] * 2
    dashed = [e for e in d.edges if any(p.get("stroke-dasharray") for p in e.iter(f"{SVG}path"))]
    assert len(dashed) == 3  # two residual shortcuts and the edge into the aux head
    assert d.text("mix") == "concat" and d.text("res/res_1") == "residual ×0.2, relu"
    assert [n for n in d.nodes if d.is_trapezium(n)] == ["mix", "res/res_1", "res/res_2"]
    assert "mix/b3/b3_2: conv 3x3, 8 → 8×16×16, 304 params, 73,728 MACs" == d.tooltip("mix/b3/b3_2")


@needs_dot
def test_expand_draws_one_block_op_by_op_inside_a_block_picture(tiny: Path, tmp_path: Path) -> None:
    d = draw(archspec.analyze(tiny), tmp_path, expand=("mix",))
    assert sorted(d.clusters) == ["mix", "mix/b3", "mix/pool"]
    assert {"mix/b1", "mix/b3/b3_1", "mix/b3/b3_2", "mix/pool/pool_1", "mix/pool/pool_2", "mix"} <= set(d.nodes)
    assert "res/res_1" in d.nodes and len(d.nodes) == 9 + 5


def test_expand_unknown_name_is_a_user_error(tiny: Path) -> None:
    with pytest.raises(ArchspecError, match=r"--expand 'mx'.*\n.*did you mean 'mix'"):
        dot_source(archspec.analyze(tiny), Options(expand=("mx",)))


@needs_dot
def test_fold_only_identical_neighbours(tiny: Path, tmp_path: Path) -> None:
    # mix (c1=16) differs from mix2..mix4 (c1=12); mix2 sees a different input shape than mix3/mix4
    d = draw(archspec.analyze(f"{tiny}#twice"), tmp_path)
    assert {"mix", "mix2", "mix3"} <= set(d.nodes) and "mix4" not in d.nodes
    assert "mix3 … mix4" in d.text("mix3") and d.folds() == {"mix3": 2}


@needs_dot
def test_failing_spec_renders_up_to_the_red_node(tiny: Path, tmp_path: Path) -> None:
    ir = archspec.analyze(f"{tiny}#broken")
    assert ir.error is not None
    block = draw(ir, tmp_path)
    assert sorted(block.nodes) == ["conv1", "input", "mix", "res/res_1"]  # nothing after the failure
    assert ERROR_FILL in block.fill("res/res_1")
    assert "residual body output 20×16×16 must" in block.text("res/res_1")
    assert "shape check failed at res/res_1" in block.title
    op = draw(ir, tmp_path, level="op")
    red = [n for n in op.nodes if ERROR_FILL in op.fill(n)]
    assert red == ["res/res_1"] and "res/res_2/r1" not in op.nodes
    assert "20×16×16" in op.edge_labels()


def test_cli_renders_a_failing_spec_and_reports_the_error(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", f"{tiny}#broken", "-o", str(tmp_path / "b.gv")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote ") and "shape check failed" in err and "res/res_1" in err
    assert "✗ residual body output 20×16×16" in (tmp_path / "b.gv").read_text(encoding="utf-8")


# ---- output files, Graphviz missing, torch never imported ------------------------------


def test_dot_source_needs_no_graphviz_binary(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    ir = archspec.analyze(tiny)
    for ext in (".gv", ".dot"):
        out = render(ir, tmp_path / f"tiny{ext}")
        assert out.read_text(encoding="utf-8") == dot_source(ir)


def test_without_dot_the_source_is_kept_and_the_error_says_how_to_install(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["render", str(tiny), "-o", str(tmp_path / "tiny.svg")]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "Traceback" not in err
    assert (tmp_path / "tiny.gv").read_text(encoding="utf-8") == dot_source(archspec.analyze(tiny))
    assert not (tmp_path / "tiny.svg").exists()


def test_without_dot_a_kept_source_file_is_not_replaced(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (tmp_path / "tiny.gv").write_text("mine", encoding="utf-8")
    assert main(["render", str(tiny), "-o", str(tmp_path / "tiny.svg")]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: Graphviz's `dot` program is not installed, so {tmp_path / 'tiny.svg'} was not rendered; the DOT "
        f"source was not written either, since {tmp_path / 'tiny.gv'} exists")
    assert (tmp_path / "tiny.gv").read_text(encoding="utf-8") == "mine"


def test_without_dot_on_path_in_a_real_process(tiny: Path, tmp_path: Path) -> None:
    # the same interpreter (so the same venv and packages), with a PATH on which there is no `dot`
    empty = tmp_path / "bin"
    empty.mkdir()
    r = subprocess.run([sys.executable, "-m", "archspec", "render", str(tiny), "-o", str(tmp_path / "t.png")],
                       check=False, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PATH": str(empty)})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "apt-get install graphviz" in r.stderr
    assert (tmp_path / "t.gv").stat().st_size > 0


def test_unknown_extension_is_a_user_error(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ArchspecError, match=r"\.svg, \.png, \.pdf, \.gv, \.dot"):
        render(archspec.analyze(tiny), tmp_path / "tiny.jpg")


@needs_dot
def test_rendering_never_imports_torch(tiny: Path, tmp_path: Path) -> None:
    code = ("import sys; from archspec.cli import main; "
            f"rc = main(['render', {str(tiny)!r}, '-o', {str(tmp_path / 'x.svg')!r}, '--level', 'op']); "
            "assert rc == 0; assert 'torch' not in sys.modules, 'torch imported'")
    r = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "x.svg").stat().st_size > 0


@needs_dot
def test_cli_formats_and_rankdir(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("t.png", "t.pdf"):
        assert main(["render", str(tiny), "-o", str(tmp_path / name), "--rankdir", "LR", "--no-fold"]) == 0
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "t.pdf").read_bytes()[:4] == b"%PDF"
    assert main(["render", str(tiny), "-o", str(tmp_path / "t.gv"), "--rankdir", "LR"]) == 0
    assert "rankdir=LR" in (tmp_path / "t.gv").read_text(encoding="utf-8")
    assert f"wrote {tmp_path / 't.gv'}" in capsys.readouterr().out


# ---- every shipped spec, both levels ---------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_node_ids_follow_the_scope_hierarchy(name: str) -> None:
    """A node's id is the path of the innermost scope holding it plus its name, or, for a block
    whose whole body is that node, the block's own path; its module is that scope's."""
    ir = shipped(name)
    for nid, d in ir.nodes.items():
        at = tuple(nid.split("/"))
        own = ir.scopes.get(at)
        if own is not None and own.kind in MODULES:
            assert d.scope == own.module, nid
        else:
            assert at[-1] == d.name, nid
            assert d.scope == (ir.scopes[at[:-1]].module if len(at) > 1 else ()), nid


@needs_dot
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_spec_op_level_draws_every_op(name: str, tmp_path: Path) -> None:
    ir = shipped(name)
    d = draw(ir, tmp_path, level="op")
    assert len(d.nodes) == ir.graph.number_of_nodes() + 1
    assert set(d.nodes) == set(ir.graph.nodes) | {"network output"}
    modules = {s.path for s in ir.scopes.values() if s.kind in ("block", "aux")}
    assert modules <= set(d.clusters)  # every block instance and head is a cluster, and no cluster is made up:
    assert all(any(n.startswith(c + "/") for n in ir.graph.nodes) for c in d.clusters)
    for nid, node in ir.ops():
        if node.op in ("concat", "residual", "add"):
            assert d.is_trapezium(nid), nid


@needs_dot
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_spec_block_level_shows_every_op_once(name: str, tmp_path: Path) -> None:
    ir = shipped(name)
    d = draw(ir, tmp_path)
    listed = [line.split(":")[0] for n in d.nodes if n not in ("input", "network output")
              for line in d.tooltip(n).split("\n")]
    assert sorted(listed) == sorted(nid for nid, _ in ir.ops())
    shape = re.compile(r"^\d+(×\d+)*$")
    assert all(shape.match(t) for t in d.edge_labels()), d.edge_labels()
    tops = {s.module[0] for s in ir.scopes.values() if s.kind == "block"}
    assert len(d.nodes) < ir.graph.number_of_nodes() or not tops


@needs_dot
@pytest.mark.parametrize(("name", "runs"), [
    ("inception_v3.yaml", {2}),                     # Mixed_6c/6d: the only identical neighbours
    ("inception_v4.yaml", {4, 7, 3}),
    ("inception_resnet_v1.yaml", {5, 10}),
    ("inception_resnet_v2.yaml", {10, 20, 9}),
    ("googlenet.yaml", set()),                      # every inception module has its own widths
])
def test_shipped_spec_folds_its_stacks(name: str, runs: set[int], tmp_path: Path) -> None:
    d = draw(shipped(name), tmp_path)
    assert set(d.folds().values()) == runs


@needs_dot
def test_inception_v3_block_picture(tmp_path: Path) -> None:
    d = draw(shipped("inception_v3.yaml"), tmp_path)
    assert "Mixed_6c … Mixed_6d" in d.text("Mixed_6c") and "Mixed_6d" not in d.nodes
    assert "Mixed_5b" in d.nodes and "Mixed_5c" in d.nodes and "Mixed_5d" in d.nodes
    assert "concat · 4 branches" in d.text("Mixed_5b") and "256×35×35" in d.text("Mixed_5b")
    assert "auxiliary head" in d.text("AuxLogits")
    assert {"768×17×17", "1280×8×8", "2048×8×8", "1000"} <= set(d.edge_labels())


# ---- the gallery -----------------------------------------------------------------------


def test_gallery_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "scripts" / "gallery.py")
    assert spec is not None and spec.loader is not None
    gallery = importlib.util.module_from_spec(spec)
    sys.modules["gallery"] = gallery  # dataclasses look their module up there
    spec.loader.exec_module(gallery)
    assert gallery.stale() == [], "run `python scripts/gallery.py` to regenerate docs/gallery/"


# ---- hostile text and default file names -------------------------------------------------

HOSTILE = """archspec: 1
name: hostile
input: [3, 16, 16]
blocks:
  u:
    params: {tag: str}
    body: [c: {op: conv, out: 4, k: 1}]
network:
  - b: {op: u, tag: "a\\"b <i>x</i> \\\\G ] }"}
  - c: {op: conv, out: 4, k: 40}
"""


def test_user_text_cannot_break_or_inject_into_the_dot_source(write_spec: Callable[..., Path]) -> None:
    src = dot_source(archspec.analyze(write_spec(HOSTILE)))
    assert "u(tag=a&quot;b &lt;i&gt;x&lt;/i&gt; \\\\G ] })" in src  # HTML-escaped, backslash doubled
    assert src.count("->") == 2 and "<i>" not in src


def test_plain_dot_strings_keep_backslashes_and_never_become_html() -> None:
    from archspec.render.labels import dot_text
    import graphviz

    g = graphviz.Digraph(dot_text("g"))
    g.node(dot_text("<x>"), "n", tooltip=dot_text('say "\\G"'))
    assert '"<x>" [label=n tooltip="say \\"\\\\G\\""]' in g.source


@needs_dot
def test_hostile_text_renders(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    d = Drawing(render(archspec.analyze(write_spec(HOSTILE)), tmp_path / "h.svg"))
    assert 'u(tag=a"b <i>x</i> \\G ] })' in d.text("b")


def test_render_names_a_variant_diagram_after_the_variant(tiny: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from archspec.commands.render import default_output

    assert default_output("inception_v3", "lowres79") == "inception_v3-lowres79.svg"
    assert default_output("inception_v3", None) == "inception_v3.svg"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.svg").write_text("the base diagram")
    if shutil.which("dot") is None:
        return
    assert main(["render", f"{tiny}#wide"]) == 0
    assert (tmp_path / "tiny-wide.svg").is_file() and (tmp_path / "tiny.svg").read_text() == "the base diagram"


def test_render_never_replaces_a_file_unasked_the_default_name_included(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import archspec.api

    monkeypatch.setattr(archspec.api, "analyze", lambda *a, **kw: pytest.fail("drawn before refusing"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "se.svg"
    for path in (out, tmp_path / "tiny.svg"):
        path.write_text("mine")
    assert main(["render", str(tiny), "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {out} exists; archspec does not overwrite a file unasked\n"
                                       "    hint: pass --force to replace it, or -o to write elsewhere\n")
    assert main(["render", str(tiny)]) == 2
    assert capsys.readouterr().err == ("error: tiny.svg exists; archspec does not overwrite a file unasked\n"
                                       "    hint: it is the default output name, kept like any other file: "
                                       "pass --force to replace it, or -o to write elsewhere\n")
    assert out.read_text() == (tmp_path / "tiny.svg").read_text() == "mine"


@needs_dot
def test_render_force_replaces_the_file(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "se.svg"
    out.write_text("mine")
    assert main(["render", str(tiny), "-o", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_render_onto_a_folder_suggests_a_file_inside_it_that_render_accepts(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "dir.svg"
    folder.mkdir()
    for force in ([], ["--force"]):
        assert main(["render", str(tiny), "-o", str(folder), *force]) == 2
        assert capsys.readouterr().err == (f"error: {folder} is a directory\n"
                                           f"    hint: name a file inside it, e.g. -o {folder / 'tiny.svg'}\n")
    assert format_of(folder / "tiny.svg") == "svg"
