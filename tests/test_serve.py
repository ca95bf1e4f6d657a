"""`archspec serve`: the JSON API over the static pipeline, saving, conflicts and path confinement.

The figures the page shows are checked against `archspec.check` on the same text written to a
file: the server must answer exactly what the command line answers.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import archspec
from archspec.cli import main
from archspec.errors import ArchspecError
from archspec.ir.graph import IR
from archspec.render.style import ERROR_FILL
from archspec.spec.resolve import resolve_text
from conftest import ROOT, SPECS

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'archspec[serve]')")
from starlette.testclient import TestClient  # noqa: E402

from archspec.serve.app import create_app  # noqa: E402
from archspec.serve.files import digest  # noqa: E402

TINY = ROOT / "tests" / "data" / "tiny.yaml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A spec folder: tiny.yaml, inception_v3.yaml, a recipe (not a spec) and a hidden folder."""
    root = tmp_path / "specs"
    root.mkdir()
    shutil.copy(TINY, root / "tiny.yaml")
    shutil.copy(SPECS / "inception_v3.yaml", root / "inception_v3.yaml")
    (root / "recipes").mkdir()
    shutil.copy(SPECS / "recipes" / "cifar10_adam.yaml", root / "recipes" / "cifar10_adam.yaml")
    (root / ".hidden").mkdir()
    shutil.copy(TINY, root / ".hidden" / "copy.yaml")
    return root


@pytest.fixture
def client(folder: Path) -> TestClient:
    return TestClient(create_app(folder), base_url="http://127.0.0.1")


def checked(tmp_path: Path, text: str, name: str = "spec.yaml") -> IR:
    """What `archspec check` says of `text` written to a file: the figures the page must show."""
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return archspec.check(p)


def check_problems(tmp_path: Path, text: str) -> list[tuple[Any, ...]]:
    p = tmp_path / "check_me.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ArchspecError) as e:
        archspec.check(p)
    return [(q.message, q.loc.line, q.loc.col, q.path, q.hint) for q in e.value.problems]


def page_problems(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(q["message"], q["line"], q["col"], q["path"], q["hint"]) for q in answer["error"]["problems"]]


def analyse(client: TestClient, path: str, text: str | None, **kw: Any) -> dict[str, Any]:
    r = client.post("/api/analyse", json={"path": path, "text": text, **kw})
    assert r.status_code == 200, r.text
    return r.json()


# ---- resolving unsaved text ---------------------------------------------------------------


def test_resolve_text_reads_the_text_not_the_file_and_extends_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("archspec: 1\nname: on_disk\nextends: sub/base.yaml\n", encoding="utf-8")
    rs = resolve_text("archspec: 1\nname: unsaved\nextends: sub/base.yaml\nset: {network.conv1.out: 24}\n", child)
    assert rs.spec.name == "unsaved" and rs.file == str(child)
    assert archspec.analyze(rs)["conv1"].shape == (24, 16, 16)
    assert archspec.load(child).spec.name == "on_disk"  # the buffer is gone once resolved


def test_resolve_text_locates_errors_in_that_file(tmp_path: Path) -> None:
    target = tmp_path / "edited.yaml"
    shutil.copy(TINY, target)  # the file as saved is fine; the unsaved text is not
    with pytest.raises(ArchspecError) as e:
        resolve_text("archspec: 1\nname: x\ninput: [3, 32, 32]\nnetwork:\n  - c: {op: conv, out: 8, k: 3\n", target)
    loc = e.value.first.loc
    assert (loc.file, loc.line) == (str(target), 6) and "YAML syntax error" in e.value.first.message


# ---- analysis: the figures and the errors of `archspec check` -------------------------------


def test_analyse_a_changed_filter_count_gives_checks_figures_and_the_diff(
        client: TestClient, folder: Path, tmp_path: Path) -> None:
    saved = (folder / "inception_v3.yaml").read_text(encoding="utf-8")
    line = "        branch1x1: {op: conv, out: 64, k: 1}"
    assert saved.index(line) < saved.index("  inception_b:")  # inception_a's 1×1 branch: Mixed_5b, 5c, 5d
    text = saved.replace(line, line.replace("64", "80"), 1)
    a = analyse(client, "inception_v3.yaml", text)
    want = checked(tmp_path, text).totals()
    before = archspec.check(folder / "inception_v3.yaml").totals()
    assert a["ok"] and a["error"] is None
    assert a["summary"]["total"] == want and want["params"] != before["params"] == 27_161_264
    assert a["variants"] == ["paper", "lowres79", "lowres151", "se"]
    diff = a["diff"]
    assert diff["total"]["delta"] == {k: want[k] - before[k] for k in want}
    status = {b["name"]: b["status"] for b in diff["blocks"]}
    # the three A modules change, Mixed_6a sees 16 more channels from 5d and passes them on (its
    # pool branch) to 6b, whose own convs set its output again
    assert [n for n, s in status.items() if s == "changed"] == ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
                                                                 "Mixed_6b"]
    b5 = next(b for b in diff["blocks"] if b["name"] == "Mixed_5b")
    assert b5["before"]["shape"] == [256, 35, 35] and b5["after"]["shape"] == [272, 35, 35]


def test_the_diff_follows_the_saved_file_and_the_files_it_extends(client: TestClient, folder: Path) -> None:
    child = folder / "child.yaml"
    child.write_text("extends: tiny.yaml\nset: {params.classes: 12}\n", encoding="utf-8")
    text = "extends: tiny.yaml\nset: {params.classes: 14}\n"

    def delta() -> dict[str, int]:
        return analyse(client, "child.yaml", text)["diff"]["total"]["delta"]
    per_class = 2 * (28 + 1)  # fc and the aux head's fc, each 28 weights and a bias per class
    assert delta() == {"params": 2 * per_class, "buffers": 0, "macs": 2 * 2 * 28}
    child.write_text("extends: tiny.yaml\nset: {params.classes: 13}\n", encoding="utf-8")
    assert delta() == {"params": per_class, "buffers": 0, "macs": 2 * 28}
    macs = archspec.check(child).totals()["macs"]
    (folder / "tiny.yaml").write_text(TINY.read_text(encoding="utf-8").replace("input: [3, 32, 32]", "input: [3, 64, 64]"))
    assert archspec.check(child).totals()["macs"] > 3 * macs  # the parent changed both sides alike
    assert delta() == {"params": per_class, "buffers": 0, "macs": 2 * 28}
    child.write_text("extends: tiny.yaml\nset: {blocks.res.body.body.r2.out: 20}\n", encoding="utf-8")
    saved_error = analyse(client, "child.yaml", text)["diff"]["saved_error"]
    assert saved_error["problems"][0]["path"] == "res/res_1"


def test_analyse_the_saved_file_when_no_text_is_sent(client: TestClient, folder: Path) -> None:
    a = analyse(client, "tiny.yaml", None, variant="wide")
    assert a["summary"]["total"] == archspec.check(f"{folder / 'tiny.yaml'}#wide").totals()
    assert a["diff"] is None


def test_yaml_error_at_checks_line_and_column(client: TestClient, folder: Path, tmp_path: Path) -> None:
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("out: 16, k: 3, stride: 2, padding: 1}",
                                                                      "out: 16, k: 3, stride: 2, padding: 1")
    a = analyse(client, "tiny.yaml", text)
    assert not a["ok"] and a["summary"] is None and a["diff"] is None
    assert page_problems(a) == check_problems(tmp_path, text)
    p = a["error"]["problems"][0]
    assert (p["file"], p["line"], p["here"]) == ("tiny.yaml", 33, True)  # where the parser finds the `}` missing


def test_validation_error_with_path_and_hint(client: TestClient, folder: Path, tmp_path: Path) -> None:
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("- mix: {op: incep, c1: 16}",
                                                                      "- mix: {op: incepp, c1: 16}")
    a = analyse(client, "tiny.yaml", text)
    assert page_problems(a) == check_problems(tmp_path, text)
    p = a["error"]["problems"][0]
    assert (p["line"], p["col"], p["path"]) == (33, 15, "mix") and "did you mean 'incep'" in p["hint"]


def test_shape_error_at_its_line_with_the_shape_table(client: TestClient, folder: Path, tmp_path: Path) -> None:
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("- r2: {op: conv, out: 28,", "- r2: {op: conv, out: 20,")
    a = analyse(client, "tiny.yaml", text)
    assert page_problems(a) == check_problems(tmp_path, text)
    p = a["error"]["problems"][0]
    assert (p["line"], p["path"]) == (25, "res/res_1")  # the template's `op: residual` and "20×16×16" in p["message"]
    assert "shapes up to the failing node" in a["error"]["context"]


def test_set_overrides_and_their_errors(client: TestClient, folder: Path) -> None:
    a = analyse(client, "tiny.yaml", None, overrides=["input=[3,64,64]", "params.classes=7"])
    assert a["summary"]["total"] == archspec.check(folder / "tiny.yaml", ["input=[3,64,64]", "params.classes=7"]).totals()
    bad = analyse(client, "tiny.yaml", None, overrides=["network.nope=3"])
    p = bad["error"]["problems"][0]
    assert p["file"] == "--set network.nope" and not p["here"] and p["line"] is None


def test_a_recipe_override_check_refuses_the_page_refuses(client: TestClient, folder: Path) -> None:
    """What `check` accepts, the page accepts, and no more: `--set train.epochs=0` is a recipe error."""
    with pytest.raises(ArchspecError) as e:
        archspec.check(folder / "tiny.yaml", ["train.epochs=0"])
    bad = analyse(client, "tiny.yaml", None, overrides=["train.epochs=0"])
    assert not bad["ok"] and bad["error"]["problems"][0]["message"] == e.value.first.message


def test_memory_limits_as_check_enforces_them(client: TestClient, folder: Path, tmp_path: Path) -> None:
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("input: [3, 32, 32]", "input: [3, 30000, 30000]")
    a = analyse(client, "tiny.yaml", text)
    assert page_problems(a) == check_problems(tmp_path, text) and "over the limit" in a["error"]["problems"][0]["message"]


def test_unknown_variant_is_an_error_of_the_text(client: TestClient) -> None:
    a = analyse(client, "tiny.yaml", None, variant="wid")
    assert "unknown variant 'wid'" in a["error"]["problems"][0]["message"]
    assert "did you mean 'wide'" in a["error"]["problems"][0]["hint"]


# ---- the diagram ----------------------------------------------------------------------------


def svg_nodes(svg: str) -> dict[str, str]:
    """SVG node title → the node's markup (Graphviz writes one <g class="node"> per box)."""
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.w3.org/2000/svg"}
    out = {}
    for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        if g.get("class") == "node":
            out[g.find("s:title", ns).text] = ET.tostring(g, encoding="unicode")
    return out


@needs_dot
def test_render_draws_blocks_with_hover_data_from_the_same_analysis(client: TestClient, folder: Path) -> None:
    r = client.post("/api/render", json={"path": "tiny.yaml", "text": None})
    assert r.status_code == 200
    d = r.json()
    nodes = svg_nodes(d["svg"])
    ir = archspec.check(folder / "tiny.yaml")
    assert set(nodes) - {"network output"} == set(d["boxes"]) == {"input", "conv1", "mix", "res/res_1", "aux", "gap",
                                                                  "flat", "fc"}
    mix = d["boxes"]["mix"]
    row = next(r for r in archspec.report.summary.rows(ir, "block") if r.name == "mix")
    assert (mix["kind"], mix["shape"], mix["params"], mix["macs"]) == ("group", [28, 16, 16], row.params, row.macs)
    assert (mix["file"], mix["line"], mix["here"]) == ("tiny.yaml", 33, True)  # the instance, not the template
    folded = d["boxes"]["res/res_1"]
    assert folded["instances"] == 2 and folded["params"] == 2 * (2032 + 252)
    conv1 = d["boxes"]["conv1"]
    assert (conv1["kind"], conv1["line"], conv1["col"], conv1["shape"]) == ("op", 32, 5, [16, 16, 16])


@needs_dot
def test_render_expand_opens_one_block_op_by_op(client: TestClient) -> None:
    d = client.post("/api/render", json={"path": "tiny.yaml", "text": None, "expand": ["mix"]}).json()
    inside = {k for k in d["boxes"] if k.startswith("mix/")}
    assert inside == {"mix/b1", "mix/b3/b3_1", "mix/b3/b3_2", "mix/pool/pool_1", "mix/pool/pool_2"}
    assert d["boxes"]["mix/b3/b3_2"]["line"] == 18  # an op of the template: its line in `blocks:`
    assert (d["boxes"]["mix"]["kind"], d["boxes"]["mix"]["line"]) == ("op", 33)  # the concat closing it
    assert 'id="clust' in d["svg"] and "<title>cluster_mix</title>" in d["svg"]
    bad = client.post("/api/render", json={"path": "tiny.yaml", "text": None, "expand": ["nope"]})
    assert bad.status_code == 400 and "--expand 'nope'" in bad.json()["error"]["problems"][0]["message"]


@needs_dot
def test_render_a_shape_error_draws_the_failing_node_red(client: TestClient, folder: Path) -> None:
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("- r2: {op: conv, out: 28,", "- r2: {op: conv, out: 20,")
    d = client.post("/api/render", json={"path": "tiny.yaml", "text": text}).json()
    nodes = svg_nodes(d["svg"])
    assert sorted(nodes) == ["conv1", "input", "mix", "res/res_1"]  # nothing after the failure
    assert [n for n, markup in nodes.items() if ERROR_FILL in markup] == ["res/res_1"]
    assert d["boxes"]["res/res_1"]["error"].startswith("residual body output 20×16×16")
    assert d["error"]["problems"][0]["path"] == "res/res_1"


@needs_dot
def test_render_png_and_a_text_that_cannot_be_drawn(client: TestClient) -> None:
    png = client.post("/api/render", json={"path": "tiny.yaml", "text": None, "format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    broken = client.post("/api/render", json={"path": "tiny.yaml", "text": "archspec: 1\nname: [\n"})
    assert broken.status_code == 400 and broken.json()["error"]["problems"][0]["line"] == 3


# ---- the spec list and files ------------------------------------------------------------------


def test_spec_list_has_specs_and_variants_not_recipes_or_hidden_files(client: TestClient, folder: Path) -> None:
    (folder / "broken.yaml").write_text("archspec: 1\nname: [\n", encoding="utf-8")
    d = client.get("/api/specs").json()
    assert d["root"] == str(folder.resolve())
    got = {s["path"]: (s["name"], s["variants"], s["problem"] is not None) for s in d["specs"]}
    assert got == {"broken.yaml": (None, [], True), "inception_v3.yaml": ("inception_v3", ["paper", "lowres79",
                   "lowres151", "se"], False), "tiny.yaml": ("tiny", ["wide", "extra", "broken", "twice"], False)}


def test_read_gives_the_text_and_its_hash(client: TestClient, folder: Path) -> None:
    d = client.get("/api/file", params={"path": "tiny.yaml"}).json()
    data = (folder / "tiny.yaml").read_bytes()
    assert d["text"] == data.decode("utf-8") and d["sha256"] == digest(data)
    assert client.get("/api/file", params={"path": "gone.yaml"}).status_code == 404


def load(client: TestClient, name: str) -> dict[str, Any]:
    return client.get("/api/file", params={"path": name}).json()


def test_save_writes_atomically_in_place_and_keeps_the_mode(client: TestClient, folder: Path) -> None:
    path = folder / "tiny.yaml"
    os.chmod(path, 0o640)
    loaded = load(client, "tiny.yaml")
    text = loaded["text"].replace("params: {classes: 10}", "params: {classes: 12}")
    r = client.post("/api/save", json={"path": "tiny.yaml", "text": text, "base": loaded["sha256"]})
    assert r.status_code == 200 and r.json()["sha256"] == digest(text.encode())
    assert path.read_text(encoding="utf-8") == text and (path.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["inception_v3.yaml", "tiny.yaml"]  # no temp
    assert archspec.check(path)["fc"].shape == (12,)
    again = client.post("/api/save", json={"path": "tiny.yaml", "text": text + "\n", "base": r.json()["sha256"]})
    assert again.status_code == 200  # the hash of the last save is the new base


def test_a_save_that_fails_midway_leaves_the_file_and_no_temporary(
        client: TestClient, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (folder / "tiny.yaml").read_bytes()
    loaded = load(client, "tiny.yaml")

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", disk_full)
    r = client.post("/api/save", json={"path": "tiny.yaml", "text": "half", "base": loaded["sha256"]})
    p = r.json()["error"]["problems"][0]
    assert r.status_code == 400 and "No space left on device; the file on disk is unchanged" in p["message"]
    assert (folder / "tiny.yaml").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["inception_v3.yaml", "tiny.yaml"]


def test_save_after_a_change_on_disk_is_a_conflict_until_overwritten(client: TestClient, folder: Path) -> None:
    path = folder / "tiny.yaml"
    loaded = load(client, "tiny.yaml")
    theirs = loaded["text"] + "# edited elsewhere\n"
    path.write_text(theirs, encoding="utf-8")
    mine = loaded["text"].replace("params: {classes: 10}", "params: {classes: 12}")
    r = client.post("/api/save", json={"path": "tiny.yaml", "text": mine, "base": loaded["sha256"]})
    assert r.status_code == 409 and r.json()["conflict"]["disk"] == digest(theirs.encode())
    assert "changed on disk" in r.json()["error"]["problems"][0]["message"]
    assert path.read_text(encoding="utf-8") == theirs  # not overwritten silently
    ok = client.post("/api/save", json={"path": "tiny.yaml", "text": mine, "base": r.json()["conflict"]["disk"]})
    assert ok.status_code == 200 and path.read_text(encoding="utf-8") == mine


def test_save_to_a_deleted_file_is_a_conflict_and_base_none_creates(client: TestClient, folder: Path) -> None:
    loaded = load(client, "tiny.yaml")
    (folder / "tiny.yaml").unlink()
    r = client.post("/api/save", json={"path": "tiny.yaml", "text": loaded["text"], "base": loaded["sha256"]})
    assert r.status_code == 409 and r.json()["conflict"]["disk"] is None and not (folder / "tiny.yaml").exists()
    made = client.post("/api/save", json={"path": "new/one.yaml", "text": "x: 1\n", "base": None})
    assert made.status_code == 400 and not (folder / "new").exists()  # no folder is created
    made = client.post("/api/save", json={"path": "one.yaml", "text": "x: 1\n", "base": None})
    assert made.status_code == 200 and (folder / "one.yaml").read_text(encoding="utf-8") == "x: 1\n"
    exists = client.post("/api/save", json={"path": "one.yaml", "text": "x: 2\n", "base": None})
    assert exists.status_code == 409


# ---- confinement to the spec folder -----------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path, folder: Path) -> Path:
    """A spec outside the folder, and links inside the folder pointing at it and its folder."""
    out = tmp_path / "outside"
    out.mkdir()
    secret = out / "secret.yaml"
    secret.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "link.yaml").symlink_to(secret)
    (folder / "linkdir").symlink_to(out, target_is_directory=True)
    return secret


ESCAPES = ["../outside/secret.yaml", "recipes/../../outside/secret.yaml", "link.yaml", "linkdir/secret.yaml",
           "/etc/passwd.yaml", "tiny.yaml\x00.txt", "..\\outside\\secret.yaml", "", "../../../../etc/x.yaml"]


@pytest.mark.parametrize("name", ESCAPES)
def test_no_request_reaches_outside_the_folder(client: TestClient, outside: Path, name: str) -> None:
    name = name.replace("/etc/passwd.yaml", str(outside))  # an absolute path to a real spec
    before = outside.read_bytes()
    requests = [
        client.get("/api/file", params={"path": name}),
        client.post("/api/analyse", json={"path": name, "text": None}),
        client.post("/api/render", json={"path": name, "text": None}),
        client.post("/api/save", json={"path": name, "text": "x: 1\n", "base": digest(before)}),
        client.post("/api/save", json={"path": name, "text": "x: 1\n", "base": None}),
    ]
    for r in requests:
        assert r.status_code == 403, (r.request.url, r.text)
        assert "every structural kind" not in r.text  # nothing of the file's text comes back
    assert outside.read_bytes() == before and sorted(p.name for p in outside.parent.iterdir()) == ["secret.yaml"]


def test_links_pointing_out_are_not_listed(client: TestClient, outside: Path) -> None:
    assert {s["path"] for s in client.get("/api/specs").json()["specs"]} == {"inception_v3.yaml", "tiny.yaml"}


def test_a_link_inside_the_folder_is_followed_and_saved_through(client: TestClient, folder: Path) -> None:
    (folder / "alias.yaml").symlink_to(folder / "tiny.yaml")
    loaded = load(client, "alias.yaml")
    r = client.post("/api/save", json={"path": "alias.yaml", "text": loaded["text"] + "\n", "base": loaded["sha256"]})
    assert r.status_code == 200 and (folder / "alias.yaml").is_symlink()
    assert (folder / "tiny.yaml").read_text(encoding="utf-8") == loaded["text"] + "\n"


def test_other_hosts_and_non_json_posts_are_refused(folder: Path) -> None:
    rebinding = TestClient(create_app(folder), base_url="http://attacker.example")
    assert rebinding.get("/api/specs").status_code == 400
    local = TestClient(create_app(folder), base_url="http://localhost:8000")
    assert local.get("/api/specs").status_code == 200
    form = local.post("/api/save", content=b'{"path": "tiny.yaml", "text": "", "base": null}',
                      headers={"Content-Type": "text/plain"})
    assert form.status_code == 415 and (folder / "tiny.yaml").read_bytes() == TINY.read_bytes()
    assert local.post("/api/analyse", json={"path": "tiny.yaml", "txt": ""}).status_code == 422


def test_page_and_vendored_editor_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/vendor/codemirror/codemirror.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing fetched from the internet
    for name in ("app.js", "style.css", "vendor/codemirror/codemirror.js", "vendor/codemirror/yaml.js",
                 "vendor/codemirror/codemirror.css"):
        assert client.get(f"/static/{name}").status_code == 200, name


# ---- the block diff ---------------------------------------------------------------------------


def test_diff_of_a_variant_that_removes_and_inserts(client: TestClient, folder: Path) -> None:
    text = (folder / "tiny.yaml").read_text(encoding="utf-8")
    text = text.replace("  - res: {op: repeat, block: res, times: 2, with: {scale: 0.2}}\n",
                        "  - mix2: {op: incep, c1: 12}\n")
    diff = analyse(client, "tiny.yaml", text)["diff"]
    rows = {b["name"]: (b["status"], b["before"] and b["before"]["params"], b["after"] and b["after"]["params"])
            for b in diff["blocks"]}
    assert [b["name"] for b in diff["blocks"]] == ["conv1", "mix", "res", "mix2", "aux", "gap", "flat", "fc"]
    assert rows["res"] == ("removed", 2 * (2032 + 252), None) and rows["mix2"][0] == "added"
    assert rows["conv1"][0] == "same" and rows["fc"][0] == "changed"  # fc now sees 24 channels, not 28


# ---- the command --------------------------------------------------------------------------------


def test_serve_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # what an absent package looks like to import
    assert main(["serve", str(SPECS)]) == 2
    err = capsys.readouterr().err
    assert "needs uvicorn" in err and "pip install 'archspec[serve]'" in err and "Traceback" not in err


def test_serve_refuses_a_folder_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_serve_on_a_port_in_use_says_so(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["serve", str(folder), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_refused_by_the_parser(folder: Path, port: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """It reached bind() and ended in OverflowError's traceback."""
    with pytest.raises(SystemExit) as e:
        main(["serve", str(folder), "--port", port])
    assert e.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"archspec serve: error: argument --port: {port} is not a TCP port: give 0-65535 (0 picks a free one)")


def test_a_host_that_is_not_an_address_here_says_so(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(folder), "--host", "nosuchhost.invalid", "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        "error: cannot listen on nosuchhost.invalid:0: no such address here\n"
        "    hint: give an address of this machine with --host: 127.0.0.1 (the default), or 0.0.0.0 for every "
        "interface\n")


def test_a_real_server_answers_on_loopback_and_never_imports_torch(folder: Path) -> None:
    """The command as a user runs it, in its own process: the URL it prints answers, and after
    analysing, drawing and saving, that process has imported neither torch nor the training code
    (but the recipe's torch-free model and resolver, which `check` validates the train: section with)."""
    code = textwrap.dedent(f"""
        import sys, threading
        from archspec.cli import main
        threading.Thread(target=main, args=(["serve", {str(folder)!r}, "--port", "0"],), daemon=True).start()
        sys.stdin.readline()  # the test has made its requests
        static = {{"archspec.train", "archspec.train.resolve", "archspec.train.recipe"}}
        heavy = [m for m in sys.modules if m.split(".")[0] == "torch" or m.startswith(("archspec.train", "archspec.torch"))
                 and m not in static]
        print("imported:", sorted(heavy), flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        url = lines[1].split()[1]
        assert lines[0].startswith("archspec serve: editing the specs in") and url.startswith("http://127.0.0.1:")

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
            return json.load(urllib.request.urlopen(req, timeout=30))

        assert "<title>archspec serve</title>" in urllib.request.urlopen(url, timeout=30).read().decode()
        f = json.load(urllib.request.urlopen(url + "api/file?path=tiny.yaml", timeout=30))
        a = post("api/analyse", {"path": "tiny.yaml", "text": f["text"].replace("{classes: 10}", "{classes: 7}")})
        if shutil.which("dot"):
            assert "<svg" in post("api/render", {"path": "tiny.yaml", "text": f["text"], "expand": ["mix"]})["svg"]
        post("api/save", {"path": "tiny.yaml", "text": f["text"] + "\n", "base": f["sha256"]})
        out, err = proc.communicate("\n", timeout=30)
    finally:
        proc.kill()
    assert out.strip() == "imported: []", err
    assert a["summary"]["total"] == archspec.check(TINY, ["params.classes=7"]).totals()


def test_connections_to_the_server_socket_get_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on sockets made with IPPROTO_TCP; without it, a response
    written in two parts waits for the client's delayed ACK on every kept-alive request."""
    import asyncio

    from archspec.commands.serve import listen

    async def accepted_nodelay() -> int:
        got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            got.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(serve, sock=listen("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(got, 10)
        writer.close()
        server.close()
        return value

    assert asyncio.run(accepted_nodelay()) != 0


def test_a_folder_named_like_a_spec_is_an_error_not_a_crash(client: TestClient, folder: Path) -> None:
    (folder / "odd.yaml").mkdir()
    for r in (client.get("/api/file", params={"path": "odd.yaml"}),
              client.post("/api/save", json={"path": "odd.yaml", "text": "x: 1\n", "base": None})):
        assert r.status_code in (400, 404) and r.json()["error"]["problems"][0]["hint"]
    assert (folder / "odd.yaml").is_dir()
