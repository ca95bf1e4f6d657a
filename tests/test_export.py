"""archspec export: ONNX, torch.export, TorchScript and standalone PyTorch source, each equal to
the compiled module; the lint before exporting; files written atomically and never over a
user's file unasked."""

from __future__ import annotations

import ast
import copy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import archspec
from archspec.errors import ArchspecError
from archspec.export import FORMATS, SUFFIX, export
from archspec.export.lint import lint
from archspec.export.to_python import load_network
from archspec.ir.features import inference_only
from archspec.ops.base import Op, placeable
from conftest import ROOT, SPECS



def all_specs() -> list[str]:
    """Every shipped spec file, as written (not each variant: a variant changes sizes and wiring of
    ops its spec already has, and the every-op spec of the default run covers each op kind in
    every format). This keeps the slow matrix inside CI's time with the zoo shipped."""
    return [str(f) for f in sorted(SPECS.glob("*.yaml"))]


def ruff() -> str:
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(exe).exists():
        pytest.fail("ruff is part of the dev extra: pip install -e '.[dev]'")
    return exe


def with_weights(ref: str, tmp_path: Path) -> tuple[torch.nn.Module, Path]:
    """The compiled module (eval mode) and its state_dict saved, for exports of the same weights."""
    model = archspec.build(ref).eval()
    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    return model, path


def test_every_op_kind_has_a_python_emitter_and_an_onnx_mapping():
    missing = [k for k, op in placeable().items() if type(op).emit is Op.emit or not op.onnx]
    assert not missing, f"op kinds without an export rule: {missing} (give each an `emit` and an `onnx`)"


def check_python(model: torch.nn.Module, path: Path, x: torch.Tensor, train: bool = True) -> None:
    """The file compiles, lints and is formatted; imports only torch; loads the compiled module's
    state_dict with strict=True and gives identical outputs (also in training mode if `train`)."""
    text = path.read_text()
    subprocess.run([sys.executable, "-m", "py_compile", str(path)], check=True)
    lint = subprocess.run([ruff(), "check", "--no-cache", "--isolated", str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run([ruff(), "format", "--no-cache", "--isolated", "--diff", str(path)],
                         capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout
    imports = {a.name.split(".")[0] for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module.split(".")[0] for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom)}
    assert imports == {"torch"}
    net = load_network(path)().eval()
    assert list(net.state_dict()) == list(model.state_dict())
    net.load_state_dict(model.state_dict(), strict=True)
    with torch.no_grad():
        assert torch.equal(net(x), model(x))
    if not train:
        return
    with torch.no_grad():
        trained = copy.deepcopy(model).train()  # training updates BatchNorm statistics: leave `model` be
        net.train()  # batch statistics, dropout and the aux heads: the same draws give the same values
        torch.manual_seed(1)
        want = trained(x)
        torch.manual_seed(1)
        got = net(x)
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    assert len(got) == len(want) and all(torch.equal(a, b) for a, b in zip(got, want))


def needs_onnx():
    """onnx and onnxruntime: the export extra (part of dev); the other formats need only torch."""
    return pytest.importorskip("onnx"), pytest.importorskip("onnxruntime")


def check_onnx(model: torch.nn.Module, path: Path, x: torch.Tensor) -> None:
    onnx, ort = needs_onnx()
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    assert {o.domain: o.version for o in m.opset_import}[""] == 18
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # the batch is a named, dynamic dim
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        want = model(x)
    assert got.shape == tuple(want.shape)
    torch.testing.assert_close(torch.from_numpy(got), want, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name,batch", [("cifar10_cnn", 3), ("googlenet", 1)])
def test_python_and_onnx_exports_equal_the_compiled_module(name, batch, tmp_path):
    ref = str(SPECS / f"{name}.yaml")
    model, weights = with_weights(ref, tmp_path)
    x = torch.randn(batch, *archspec.check(ref).input_shape)  # not the export's example batch (2)
    py = export(ref, "python", tmp_path / f"{name}.py")
    assert py.max_diff == 0.0
    check_python(model, py.path, x, train=name == "cifar10_cnn")  # training mode: tiny.yaml below
    needs_onnx()
    ox = export(ref, "onnx", tmp_path / f"{name}.onnx", weights=weights)
    assert ox.max_diff <= 1e-4 and "opset 18" in ox.detail
    check_onnx(model, ox.path, x)


def test_python_source_in_training_mode_runs_the_aux_head(tmp_path):
    ref = str(ROOT / "tests" / "data" / "tiny.yaml")  # blocks, residuals, a repeat and an aux head
    model, _ = with_weights(ref, tmp_path)
    r = export(ref, "python", tmp_path / "tiny.py")
    assert "        if self.training:\n            aux = self.aux(mix)  # 10\n" in r.path.read_text()
    check_python(model, r.path, torch.randn(4, 3, 32, 32))


def test_python_source_reads_like_the_blocks():
    from archspec.export.source import python_source

    src = python_source(archspec.check(SPECS / "inception_resnet_v2.yaml"))
    # one class per block template, its params as constructor arguments, the residual's scale kept
    assert "class Block35(nn.Module):" in src and "def __init__(self, in_channels: int, scale: float)" in src
    assert "self.block35_0 = Block35(320, scale=0.17)" in src
    assert "residual = torch.relu(conv2d * self.scale + x)  # 320x35x35" in src
    assert "mixed = torch.cat([branch0, branch1_1, branch2_2], 1)  # 128x35x35" in src
    v3 = python_source(archspec.check(SPECS / "inception_v3.yaml"))
    assert "def __init__(self, in_channels: int, pool_features: int)" in v3
    assert "self.Mixed_5c = InceptionA(256, pool_features=64)" in v3
    assert "def __init__(self, in_channels: int, channels_7x7: int)" in v3
    assert v3.count("class InceptionA(") == 1 and v3.count("class InceptionC(") == 1


def run_in_fresh_process(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def check_reload(fmt: str, path: Path, x_path: Path, want_path: Path) -> None:
    load = {"exported-program": "torch.export.load(p).module()", "torchscript": "torch.jit.load(p)"}[fmt]
    out = run_in_fresh_process(f"""
        import torch
        p = {str(path)!r}
        m = {load}
        x = torch.load({str(x_path)!r})
        y = m(x)
        print(float((y - torch.load({str(want_path)!r})).abs().max()))
    """)
    assert float(out) <= 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ref", all_specs())
def test_every_shipped_spec_exports_in_every_format(ref, fmt, tmp_path):
    if fmt == "onnx":
        needs_onnx()
    model, weights = with_weights(ref, tmp_path)
    x = torch.randn(3, *archspec.check(ref).input_shape)
    r = export(ref, fmt, tmp_path / f"net{SUFFIX[fmt]}", weights=weights)
    assert r.max_diff <= 1e-4
    if fmt == "python":
        check_python(model, r.path, x)
    elif fmt == "onnx":
        check_onnx(model, r.path, x)
    else:  # reloaded here; that the files load in a process that never built the model is tested below
        reloaded = torch.export.load(r.path).module() if fmt == "exported-program" else torch.jit.load(r.path)
        with torch.no_grad():
            assert float((reloaded(x) - model(x)).abs().max()) <= 1e-4


@pytest.mark.slow
def test_exported_program_and_torchscript_reload_in_a_fresh_process(tmp_path):
    ref = str(SPECS / "cifar10_cnn.yaml")
    model, weights = with_weights(ref, tmp_path)
    x = torch.randn(5, 3, 32, 32)
    torch.save(x, tmp_path / "x.pt")
    with torch.no_grad():
        torch.save(model(x), tmp_path / "want.pt")
    for fmt in ("exported-program", "torchscript"):
        r = export(ref, fmt, tmp_path / f"net{SUFFIX[fmt]}", weights=weights)
        check_reload(fmt, r.path, tmp_path / "x.pt", tmp_path / "want.pt")


def test_weights_from_a_train_checkpoint_or_a_state_dict(tmp_path):
    ref = str(SPECS / "cifar10_cnn.yaml")
    torch.manual_seed(7)
    trained = archspec.build(ref)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.05)  # weights no fresh initialisation has
    sd = trained.state_dict()
    torch.save(sd, tmp_path / "weights.pt")
    torch.save({"format": "archspec-checkpoint", "version": 1, "model": sd, "spec_ref": ref}, tmp_path / "last.pt")
    x = torch.randn(2, 3, 32, 32)
    for w in ("weights.pt", "last.pt"):
        r = export(ref, "python", tmp_path / f"{w}.py", weights=tmp_path / w)
        net = load_network(r.path)().eval()
        net.load_state_dict(torch.load(tmp_path / "weights.pt", weights_only=True), strict=True)
        with torch.no_grad():
            assert torch.equal(net(x), trained.eval()(x))
    wrong = tmp_path / "wrong.pt"
    torch.save({k: v for k, v in sd.items() if not k.startswith("dense_1")}, wrong)
    with pytest.raises(ArchspecError) as e:
        export(ref, "python", tmp_path / "w.py", weights=wrong)
    assert "2 weights missing (first: dense_1.weight)" in str(e.value) and e.value.first.hint
    assert not (tmp_path / "w.py").exists()


ADAPTIVE = """\
archspec: 1
name: adaptive
input: [3, 31, 31]
network:
  - stem: {op: conv, out: 8, k: 3}
  - pool: {op: adaptive_avgpool, size: 4}
  - flatten: flatten
  - fc: {op: linear, out: 10}
"""


def test_lint_names_the_node_and_line_onnx_cannot_express(write_spec, tmp_path):
    spec = write_spec(ADAPTIVE)
    with pytest.raises(ArchspecError) as e:
        export(spec, "onnx", tmp_path / "a.onnx")
    p = e.value.first
    assert (p.loc.line, p.loc.col, p.path) == (6, 5, "pool")
    assert "adaptive_avgpool from 29×29 to 4×4" in p.message and "multiple of 4×4" in p.hint
    assert not (tmp_path / "a.onnx").exists()
    lint(archspec.check(spec, ["input=[3,34,34]"]), "onnx")  # the pool sees 32×32, which 4×4 divides
    # torchvision's GoogLeNet pools 14×14 to 4×4 in its aux heads, which eval mode (and export) drops
    tv = archspec.check(SPECS / "googlenet.yaml#torchvision")
    with pytest.raises(ArchspecError, match="aux1/pool: cannot export to onnx"):
        lint(tv, "onnx")
    lint(inference_only(tv), "onnx")
    r = subprocess.run([sys.executable, "-m", "archspec", "export", str(spec), "--format", "onnx",
                        "-o", str(tmp_path / "c.onnx")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{spec}:6:5: error: pool: cannot export to onnx: adaptive_avgpool")


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_onnx(name, *args, **kw):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'", name="onnxruntime")
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ArchspecError) as e:
        export(SPECS / "cifar10_cnn.yaml", "onnx", tmp_path / "x.onnx")
    assert "'onnxruntime'" in e.value.first.message and e.value.first.hint == "pip install 'archspec[export]' (in a clone: bash scripts/setup.sh export)"


def test_an_existing_file_is_kept_unless_forced_and_a_failed_export_leaves_it(tmp_path, monkeypatch):
    ref = SPECS / "cifar10_cnn.yaml"
    out = tmp_path / "net.py"
    out.write_text("mine")
    with pytest.raises(ArchspecError) as e:
        export(ref, "python", out)
    assert "exists" in e.value.first.message and "--force" in e.value.first.hint
    assert out.read_text() == "mine"

    from archspec.export import to_python

    def broken(model, ir, path, batch):
        path.write_text("half a file")
        raise ArchspecError([])

    monkeypatch.setattr(to_python, "write", broken)
    with pytest.raises(ArchspecError):
        export(ref, "python", out, force=True)
    assert out.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["net.py"]
    monkeypatch.undo()
    export(ref, "python", out, force=True)
    assert out.read_text().startswith('"""cifar10_cnn: standalone PyTorch source')


@pytest.mark.slow
def test_cli_export_default_name_and_batch(tmp_path):
    r = subprocess.run([sys.executable, "-m", "archspec", "export", str(SPECS / "cifar10_cnn.yaml"),
                        "--format", "exported-program", "--batch", "4"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("wrote cifar10_cnn.pt2 (torch.export ExportedProgram, batch 4;")
    ep = torch.export.load(tmp_path / "cifar10_cnn.pt2")
    assert tuple(ep.module()(torch.randn(4, 3, 32, 32)).shape) == (4, 10)
    bad = subprocess.run([sys.executable, "-m", "archspec", "export", str(SPECS / "cifar10_cnn.yaml"),
                          "--format", "onnx", "--batch", "0"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "expected 'dynamic' or a positive integer" in bad.stderr


EVERY_OP = """\
archspec: 1
name: every_op
input: [3, 20, 20]
blocks:
  unit:
    params: {width: int, scale: float}
    body:
      op: residual
      scale: ${scale}
      act: silu
      body:
        - mix:
            op: concat
            branches:
              a: {op: conv, out: "${width}", k: 1, norm: batchnorm, act: gelu}
              b: [b1: {op: conv, out: 4, k: 2, padding: same, groups: 2}, b2: {op: conv, out: 4, k: 3, dilation: 2, padding: 2}]
        - proj: {op: conv, out: 8, k: 1}
network:
  - stem: {op: conv, out: 8, k: 3, padding: 1, act: mish}
  - u1: {op: unit, width: 4, scale: 0.25}
  - u2: {op: unit, width: 6, scale: 0.5}
  - lrn: {op: lrn, size: 3}
  - bn: batchnorm
  - act: {op: act, fn: hardswish}
  - same: identity
  - twice: {op: add, inputs: [act, same]}
  - tf: {op: conv, out: 8, k: 3, stride: 2, padding: tf_same, act: hardsigmoid}
  - tfp: {op: maxpool, k: 2, stride: 1, padding: tf_same}
  - sq: gap
  - gate: {op: mul, inputs: [tfp, sq]}
  - ln: {op: layernorm, eps: 1.0e-6}
  - cl: {op: channel_linear, out: 8, act: gelu}
  - ls: {op: layer_scale, init: 0.5}
  - dp: {op: drop_path, p: 0.2}
  - mp: {op: maxpool, k: 3, stride: 2, ceil_mode: true}
  - ap: {op: avgpool, k: 3, stride: 1, padding: 1, count_include_pad: false}
  - ad: {op: adaptive_avgpool, size: 5}
  - gp: gap
  - flat: flatten
  - fc1: {op: linear, out: 16, act: relu6}
  - bn1: batchnorm
  - drop: {op: dropout, p: 0.3}
  - fc: {op: linear, out: 5, bias: false}
"""


def test_every_op_kind_in_python_source(write_spec, tmp_path):
    spec = write_spec(EVERY_OP)
    ir = archspec.check(spec)
    assert {d.op for _, d in ir.ops()} == set(placeable())
    model, weights = with_weights(str(spec), tmp_path)
    r = export(spec, "python", tmp_path / "every_op.py")
    check_python(model, r.path, torch.randn(3, 3, 20, 20))
    text = r.path.read_text()
    # the block's params by name; a number that varies otherwise (width + 4) gets an argument too
    assert "self, in_channels: int, width: int, scale: float, proj_in: int" in text
    assert "self.u2 = Unit(8, width=6, scale=0.5, proj_in=10)" in text
    assert "residual = F.silu(proj * self.scale + x)" in text


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_op_kind_exports_in_every_format(fmt, write_spec, tmp_path):
    if fmt == "onnx":
        needs_onnx()
    spec = write_spec(EVERY_OP)
    assert export(spec, fmt, tmp_path / f"every_op{SUFFIX[fmt]}").max_diff <= 1e-4


def test_an_exporter_failure_is_one_error_with_a_hint(tmp_path, monkeypatch):
    def refuses(*args, **kwargs):
        raise RuntimeError("Dynamic control flow is not supported\n  (a long trace follows)")

    monkeypatch.setattr(torch.export, "export", refuses)
    with pytest.raises(ArchspecError) as e:
        export(SPECS / "cifar10_cnn.yaml", "exported-program", tmp_path / "net.pt2")
    p = e.value.first
    assert p.message.endswith("the exported-program exporter failed on "
                              f"{SPECS / 'cifar10_cnn.yaml'}: RuntimeError: Dynamic control flow is not supported")
    assert "python always works" in p.hint and not list(tmp_path.iterdir())


def test_the_output_name_must_say_the_format_and_a_folder_is_refused_at_once(tmp_path):
    ref = SPECS / "cifar10_cnn.yaml"

    def error(fmt, out, **kw):
        with pytest.raises(ArchspecError) as e:
            export(ref, fmt, out, **kw)
        return str(e.value)

    assert error("onnx", tmp_path / "x.py") == (f"error: -o {tmp_path / 'x.py'} does not end in .onnx, the suffix of "
                                                f"the onnx format\n    hint: name the file for its content, e.g. -o "
                                                f"{tmp_path / 'x.onnx'}")
    assert error("torchscript", tmp_path / "x") == (
        f"error: -o {tmp_path / 'x'} does not end in .torchscript.pt, the suffix of the torchscript format\n"
        f"    hint: name the file for its content, e.g. -o {tmp_path / 'x.torchscript.pt'}")
    assert error("python", "-") == ("error: -o - (standard output) is not supported: an export is written to a file "
                                    "and verified there\n    hint: name a file, e.g. -o cifar10_cnn.py")
    folder = tmp_path / "d.onnx"
    folder.mkdir()
    for force in (False, True):
        assert error("onnx", folder, force=force) == (f"error: {folder} is a directory\n    hint: name a file inside "
                                                      f"it, e.g. -o {folder / 'cifar10_cnn.onnx'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.onnx"] and not any(folder.iterdir())


def test_a_missing_checkpoint_hint_names_no_other_command_flag(tmp_path):
    missing = tmp_path / "nosuch.pt"
    with pytest.raises(ArchspecError) as e:
        export(SPECS / "cifar10_cnn.yaml", "python", tmp_path / "w.py", weights=missing)
    assert str(e.value) == f"error: weight file not found: {missing}\n    hint: check the path of the checkpoint file"


def test_a_read_only_file_system_is_reported_for_the_users_file_not_the_temporary_one(tmp_path, monkeypatch):
    import errno

    from archspec.export import to_python

    def read_only(model, ir, path, batch):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    def no_unlink(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(to_python, "write", read_only)
    monkeypatch.setattr(Path, "unlink", no_unlink)  # what removing the temporary file does there too
    out = tmp_path / "x.py"
    with pytest.raises(ArchspecError) as e:
        export(SPECS / "cifar10_cnn.yaml", "python", out)
    assert str(e.value) == (f"error: cannot write {out}: the file system is read-only\n"
                            "    hint: write to a folder on a writable file system")
