"""The CLI: verdicts, summaries in three formats, the schema, and no torch import on static paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS

TINY = ROOT / "tests" / "data" / "tiny.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archspec", *args], capture_output=True, text=True, cwd=ROOT)


def test_check_verdict():
    r = run("check", str(SPECS / "cifar10_cnn.yaml"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: ") and "1,252,266 params" in r.stdout and "20.74M MACs" in r.stdout


def test_summary_json_shape():
    r = run("summary", str(TINY), "--format", "json")
    data = json.loads(r.stdout)
    assert data["spec"] == str(TINY) and data["input"] == [3, 32, 32]
    assert data["total"] == {"params": 6348, "buffers": 128, "macs": 1_430_064}
    first = data["nodes"][0]
    assert set(first) >= {"name", "path", "op", "output_shape", "params", "macs"}
    assert first == {**first, "name": "conv1", "path": "conv1", "output_shape": [16, 16, 16], "params": 464,
                     "macs": 110_592}
    assert sum(n["params"] for n in data["nodes"]) == 6348


def test_summary_block_depth_aggregates():
    r = run("summary", str(TINY), "--format", "json", "--depth", "block")
    nodes = {n["name"]: n for n in json.loads(r.stdout)["nodes"]}
    assert list(nodes) == ["conv1", "mix", "res", "aux", "gap", "flat", "fc"]
    assert nodes["res"]["op"] == "res ×2" and nodes["res"]["params"] == 2 * (2032 + 252)
    assert nodes["mix"]["output_shape"] == [28, 16, 16]


def test_summary_markdown():
    r = run("summary", str(SPECS / "cifar10_cnn.yaml"), "--format", "markdown")
    assert "| dense | linear 512 | 512 | 1,180,160 | 1.18M |" in r.stdout
    assert "**Total:** 1,252,266 parameters, 1,408 buffer elements" in r.stdout


@pytest.mark.parametrize("args", [("check",), ("summary",), ("summary", "--format", "json")])
def test_static_commands_do_not_import_torch(args):
    # networkx too: its import alone is a third of check's 0.3 s budget (benchmarks/check_latency.py)
    code = ("import sys; sys.argv = ['archspec', %r, %r] + %r; "
            "from archspec.cli import main; rc = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'networkx' not in sys.modules, 'networkx imported'; sys.exit(rc)") % (args[0], str(TINY),
                                                                                         list(args[1:]))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_schema_describes_ops_and_blocks():
    r = run("schema")
    schema = json.loads(r.stdout)
    assert schema["title"] == "archspec spec"
    ops = schema["$defs"]["op"]["anyOf"]
    kinds = {o["properties"]["op"].get("const") for o in ops}
    assert {"conv", "maxpool", "linear", "concat", "residual", "repeat", "aux"} <= kinds
    conv = next(o for o in ops if o["properties"]["op"].get("const") == "conv")
    assert conv["required"] == ["op"] and conv["additionalProperties"] is False
    assert {"out", "k", "stride", "padding", "norm", "act"} <= set(conv["properties"])


def test_schema_validates_shipped_specs():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(run("schema").stdout)
    for path in [*SPECS.glob("*.yaml"), TINY]:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
