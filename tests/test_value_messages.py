"""Messages for values of the wrong form: a union's accepted forms said once, a list of the wrong
length said as the list it must be, and unknown recipe keys with the near miss or the keys allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archspec.cli import main
from archspec.errors import ArchspecError
from archspec.ops.base import REGISTRY, Pair, PadPair, Padding
from archspec.spec.typewords import describe
from archspec.spec.validate import validate
from archspec.train.recipe import BatchLimit
from archspec.train.resolve import resolve_run
from conftest import SPECS

INCEPTION = str(SPECS / "inception_v3.yaml")
NET = "archspec: 1\nname: s\ninput: [3, 8, 8]\nnetwork: [{flat: flatten}, {fc: {op: linear, out: 10}}]\n"


@pytest.mark.parametrize("args, stderr", [
    (["--set", "input=[3,299]"],
     "--set input:1:1: error: input must be a list of three integers (input tensor shape C, H, W), got [3, 299]\n"
     "    hint: write 3 items, e.g. [3, 299, 299]\n"),
    (["--set", "input=[3,299,299,1]"],
     "--set input:1:1: error: input must be a list of three integers (input tensor shape C, H, W), "
     "got [3, 299, 299, 1]\n    hint: write 3 items, e.g. [3, 299, 299]\n"),
    (["--set", "train.optimizer.name=adamw"],  # inception_v3 trains with rmsprop: its keys
     "--set train.optimizer.name: error: unknown key 'name' in the train section (at optimizer)\n"
     "    hint: allowed keys: kind, lr, decay, eps, momentum, centered, weight_decay\n"),
    (["--set", "train.optimizer.lt=0.1"],
     "--set train.optimizer.lt: error: unknown key 'lt' in the train section (at optimizer)\n"
     "    hint: did you mean 'lr'?\n"),
    (["--set", "input=3"],
     "--set input: error: input must be a list of three integers (input tensor shape C, H, W), got 3\n"
     "    hint: write the items in square brackets, separated by commas\n"),
], ids=["input_short", "input_long", "optimizer_key", "optimizer_near_miss", "input_not_a_list"])
def test_check_messages(args: list[str], stderr: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", INCEPTION, *args]) == 2
    assert capsys.readouterr().err == stderr


@pytest.mark.parametrize("section, message", [
    ("{limit_batches: 0}", "limit_batches must be an integer from 1 to 1,000,000 or a number in (0, 1], got 0\n"
                           "    hint: use a value inside that range"),
    ("{limit_batches: many}", "limit_batches must be an integer from 1 to 1,000,000 or a number in (0, 1], "
                              "got 'many'\n    hint: write one of the forms listed"),
    ("{data: {workers: 1000}}", "data.workers must be 'auto' or an integer from 0 to 64, got 1000\n"
                                "    hint: use a value inside that range"),
    ("{data: {mean: 5}}", "data.mean must be a list of numbers in [-1000, 1000] (per-channel normalisation; "
                          "default per source), got 5\n    hint: write the items in square brackets, separated by commas"),
    ("{loss: {aux_weights: [1]}}", "loss.aux_weights must be a number in [0, 1000] or a mapping, got [1]\n"
                                   "    hint: write one of the forms listed"),
])
def test_recipe_union_messages(section: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(NET + f"train: {section}\n")
    with pytest.raises(ArchspecError) as info:
        resolve_run(str(tmp_path / "s.yaml"), [])
    assert str(info.value).split("error: ", 1)[1] == message


@pytest.mark.parametrize("args, message", [
    ({"k": 0}, "k must be a positive integer or a list of two positive integers, got 0\n"
               "    hint: use a value inside that range"),
    ({"k": [3]}, "k must be a positive integer or a list of two positive integers, got [3]\n"
                 "    hint: write 2 items, e.g. [3, 3]"),
    ({"k": [3, 0]}, "invalid value 0 for k.1: expected greater than 0\n    hint: use a value inside that range"),
    ({"k": 3, "padding": -1}, "padding must be 'valid', 'same', 'tf_same', a non-negative integer or a list of "
                              "two non-negative integers, got -1\n    hint: use a value inside that range"),
    ({"k": 3, "dilation": "two"}, "dilation must be a positive integer or a list of two positive integers, "
                                  "got 'two'\n    hint: write one of the forms listed"),
])
def test_op_argument_union_messages(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ArchspecError) as info:
        validate(REGISTRY["conv"].Args, {"out": 8, **args}, "conv arguments")
    assert str(info.value) == "error: " + message


@pytest.mark.parametrize("annotation, words", [
    (Pair, "a positive integer or a list of two positive integers"),
    (PadPair, "a non-negative integer or a list of two non-negative integers"),
    (Padding, "'valid', 'same', 'tf_same', a non-negative integer or a list of two non-negative integers"),
    (BatchLimit, "an integer from 1 to 1,000,000 or a number in (0, 1]"),
    (tuple[int, int, int], "a list of three integers"),
])
def test_describe(annotation: Any, words: str) -> None:
    assert describe(annotation) == words
