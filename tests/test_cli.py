"""The CLI: verdicts, summaries in three formats, the schema, and no torch import on static paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS, shipped_refs

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
    r = run("summary", str(TINY), "--format", "json", "--level", "block")
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
    # networkx too: its import alone is a third of check's 0.3 s budget (benchmarks/check_latency.py);
    # and no other command's module, whose imports (export's lint) the static commands do not need,
    # nor the recipe models for a spec without `train:` (its recipe is the defaults)
    code = ("import sys; sys.argv = ['archspec', %r, %r] + %r; "
            "from archspec.cli import main; rc = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'networkx' not in sys.modules, 'networkx imported'; "
            "assert 'archspec.train.recipe' not in sys.modules, 'recipe imported'; "
            "cmds = sorted(m for m in sys.modules if m.startswith('archspec.commands.')); "
            "assert cmds == ['archspec.commands.' + sys.argv[1]], cmds; sys.exit(rc)") % (args[0], str(TINY),
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


def test_version_and_unknown_command():
    import archspec

    assert run("--version").stdout == f"archspec {archspec.__version__}\n"
    r = run("chek", str(TINY))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "error: unknown command 'chek'\n    hint: did you mean 'check' or 'schema'?\n"


@pytest.mark.parametrize("args, last", [
    (["--widht", "0.5"], "archspec check: error: unrecognized arguments: --widht 0.5 (did you mean '--width'?)"),
    (["--zzzzzzz"], "archspec check: error: unrecognized arguments: --zzzzzzz"),
])
def test_a_mistyped_flag_shows_the_subcommands_usage(args, last):
    r = run("check", str(TINY), *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("usage: archspec check [-h] [--set KEY=VALUE]"), r.stderr
    assert r.stderr.splitlines()[-1] == last


def test_every_choice_flag_states_its_default():
    from archspec.cli import parser
    from archspec.commands import COMMANDS

    for name in COMMANDS:
        sub = parser(name)._subparsers._group_actions[0].choices[name]
        for action in sub._actions:
            if action.choices is not None and not action.required:
                assert "default" in action.help, f"{name} {action.option_strings}: {action.help!r}"
    summary = parser("summary")._subparsers._group_actions[0].choices["summary"]
    assert [a.help for a in summary._actions if "--level" in a.option_strings] == [
        "one row per op, or one per top-level block (default op)"]


def test_a_closed_pipe_is_one_message():
    p = subprocess.Popen([sys.executable, "-m", "archspec", "summary", str(SPECS / "inception_resnet_v2.yaml")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # no reader left: the first write fails with EPIPE
    err = p.stderr.read().decode()
    assert p.wait() == 2
    assert err == ("error: the output was closed before archspec finished writing it (broken pipe)\n"
                   "    hint: expected after `| head`; redirect to a file (`> FILE`) for the whole output\n")


class FullDisk:
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        pass


def test_a_full_disk_behind_stdout_is_one_message(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from archspec.cli import main

    monkeypatch.setattr(sys, "stdout", FullDisk())
    assert main(["check", str(TINY)]) == 2
    assert capsys.readouterr().err == ("error: cannot write the output: No space left on device (ENOSPC)\n"
                                       "    hint: free space on that device, or write somewhere else\n")


def test_list_computes_every_shipped_spec_and_variant(tmp_path):
    r = subprocess.run([sys.executable, "-m", "archspec", "list", "--format", "json"], capture_output=True,
                       text=True, cwd=tmp_path)  # any directory: the specs are package data
    assert r.returncode == 0, r.stderr
    rows = {e["ref"]: e for e in json.loads(r.stdout)}
    assert sorted(rows) == sorted(r.replace(".yaml", "") for r in shipped_refs())
    assert rows["inception_v3"] == {"ref": "inception_v3", "input": [3, 299, 299], "params": 23_834_568,
                                    "train_params": 27_161_264, "macs": 5_713_216_096,
                                    "description": "Inception-v3 (Szegedy et al. 2016), torchvision/TF-slim layout"}
    assert rows["inception_v3#lowres79"]["input"] == [3, 79, 79]
    assert rows["googlenet#torchvision"]["params"] == 6_624_904
    assert rows["resnet50"]["params"] == 25_557_032 and rows["resnet50"]["macs"] == 4_089_184_256
    assert rows["inception_resnet_v2"]["train_params"] == rows["inception_resnet_v2"]["params"] == 55_843_464


def test_shipped_schema_is_fresh():
    from archspec.spec.schema import json_schema

    shipped = (ROOT / "docs" / "archspec.schema.json").read_text(encoding="utf-8")
    assert shipped == json.dumps(json_schema(), indent=2) + "\n", \
        "run `archspec schema -o docs/archspec.schema.json` to regenerate it"
