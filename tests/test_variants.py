"""Composing variants: `#a+b`, `base: [...]`, `extends: file#variant`, and conflicts at both lines."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec
from archspec.errors import ArchspecError

VARIANTS = """\
extends: inception_v3
variants:
  five_17x17:
    insert:
      - after: network.Mixed_6e
        items: [Mixed_6f: {op: inception_c, channels_7x7: 192}]
  small79:
    base: [lowres79, five_17x17]
    set: {params.classes: 10}
  wide:
    set: {network.Mixed_5b.pool_features: 64}
  wide2:
    set: {network.Mixed_5b: {op: inception_a, pool_features: 96}}
  same_wide:
    set: {network.Mixed_5b.pool_features: 64}
  over:
    base: [wide]
    set: {network.Mixed_5b.pool_features: 128}
  loop_a: {base: [loop_b]}
  loop_b: {base: [loop_a]}
  bad_base: {base: [lowres97]}
"""
# one inception_c module with 192 channels in its 7x7 branches at 768x17x17: four 1x1 convs from
# 768 channels, six 1x7 / 7x1 convs of 192 -> 192, and BatchNorm's two parameters per channel
INCEPTION_C_192 = 768 * 192 * 4 + 192 * 192 * 7 * 6 + 10 * 2 * 192
INCEPTION_C_192_MACS = (768 * 192 * 4 + 192 * 192 * 7 * 6) * 17 * 17


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "v3.yaml"
    p.write_text(VARIANTS, encoding="utf-8")
    return p


def params(ref: str | Path) -> int:
    return archspec.check(ref).totals(include_heads=False)["params"]


def test_composition_applies_each_in_order(spec: Path) -> None:
    lowres = archspec.check("inception_v3#lowres79").totals(include_heads=False)
    both = archspec.check(f"{spec}#lowres79+five_17x17")
    assert both.input_shape == (3, 79, 79)
    t = both.totals(include_heads=False)
    assert t["params"] == lowres["params"] + INCEPTION_C_192
    assert t["macs"] == lowres["macs"] + INCEPTION_C_192_MACS
    assert archspec.load(f"{spec}#lowres79+five_17x17").variant == "lowres79+five_17x17"


def test_a_variant_on_bases(spec: Path) -> None:
    small = archspec.check(f"{spec}#small79")
    same = archspec.check(f"{spec}#lowres79+five_17x17", ["params.classes=10"])
    assert small.totals() == same.totals() and small.input_shape == (3, 79, 79)
    assert small[small.output].shape == (10,)


def test_a_variant_overrides_its_base_on_purpose(spec: Path) -> None:
    # pool_features 32 -> 128 in Mixed_5b: 96 more 1x1 filters on 192 channels (+BN), and Mixed_5c's
    # four first convs (64 + 48 + 64 + 64 filters) each see 96 more input channels
    assert params(f"{spec}#over") - params("inception_v3") == 96 * 192 + 2 * 96 + 96 * (64 + 48 + 64 + 64)


def test_equal_changes_do_not_conflict(spec: Path) -> None:
    assert params(f"{spec}#wide+same_wide") == params(f"{spec}#wide")


def test_conflicting_variants_are_an_error_at_both_lines(spec: Path) -> None:
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{spec}#wide+wide2")
    first, second = info.value.problems
    assert (first.loc.line, first.loc.col, second.loc.line, second.loc.col) == (13, 11, 11, 11)
    assert first.message == ("variants 'wide' and 'wide2' conflict: 'wide2' changes 'network.Mixed_5b', and 'wide' "
                             "changes 'network.Mixed_5b.pool_features'; the result would depend on their order")
    assert second.message == "the conflicting change of variant 'wide'"
    assert first.hint == second.hint and "`base: [wide]` in 'wide2'" in first.hint


def test_base_cycles_and_unknown_bases(spec: Path) -> None:
    with pytest.raises(ArchspecError, match=r"variant bases form a cycle: loop_a -> loop_b -> loop_a"):
        archspec.check(f"{spec}#loop_a")
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{spec}#bad_base")
    p = info.value.first
    assert (p.loc.line, p.loc.col) == (21, 21) and p.message.startswith("unknown variant 'lowres97'")
    assert p.hint.startswith("did you mean 'lowres79'")


def test_extends_a_variant(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: inception_v3#lowres79\nset: {params.classes: 10}\n")
    ir = archspec.check(child)
    assert ir.input_shape == (3, 79, 79) and ir[ir.output].shape == (10,)
    child.write_text('extends: "inception_v3#lowres79+paper"\n')
    with pytest.raises(ArchspecError) as info:
        archspec.check(child)
    assert "variants 'lowres79' and 'paper' conflict" in info.value.first.message
    assert info.value.first.loc.file.endswith("inception_v3.yaml")


def test_a_reference_to_a_removed_item_names_the_removal_too(tmp_path: Path) -> None:
    spec = tmp_path / "v3.yaml"
    spec.write_text("extends: inception_v3\nvariants:\n  four:\n    remove: [network.Mixed_6e]\n")
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{spec}#four")
    reader, removal = info.value.problems
    # the aux head's `from: Mixed_6e` in the shipped file, and the user's `remove:` line
    assert (Path(reader.loc.file).name, reader.loc.line, reader.loc.col) == ("inception_v3.yaml", 238, 13)
    assert reader.message == f"unknown reference 'Mixed_6e': an override removed it ({spec}:4:14)"
    assert (removal.loc.file, removal.loc.line, removal.loc.col) == (str(spec), 4, 14)
    assert removal.message == "the removal of 'Mixed_6e', which 'AuxLogits/pool' still reads"
    assert reader.hint == removal.hint == "remove what reads 'Mixed_6e' too, or `set:` its input to another node"
    spec.write_text("extends: inception_v3\nvariants:\n  four:\n    remove: [network.Mixed_6e, network.AuxLogits]\n")
    assert archspec.check(f"{spec}#four").ok


@pytest.mark.parametrize("composition, where", [("paper+", "in '#paper+'"), ("+paper", "in '#+paper'"),
                                                ("+", "in '#+'")])
def test_an_empty_variant_name_is_refused_with_the_variants(composition: str, where: str) -> None:
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"inception_v3#{composition}")
    assert str(info.value).split(": ", 1)[1] == (f"error: empty variant name {where}\n"
                                                 "    hint: name one of: lowres151, lowres79, paper, se")


def test_an_empty_composition_names_the_variants() -> None:
    with pytest.raises(ArchspecError) as info:
        archspec.check("inception_v3#")
    assert str(info.value).split(": ", 1)[1] == ("error: empty variant name after '#'\n"
                                                 "    hint: name one of: lowres151, lowres79, paper, se")
