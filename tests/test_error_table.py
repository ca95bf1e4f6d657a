"""The error table: one broken spec per kind of mistake, each with the exact line, column and
the words a user needs (what is wrong, what was expected).

tests/test_errors.py holds the first 28 cases (lines only); this table adds the columns and
covers the kinds it does not: the YAML loader's refusals, the top level, items, structural
ops, each op's arguments, expressions, overrides, and the size and memory limits.
docs/errors.md shows one example of each kind.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.errors import ArchspecError

HEAD = "archspec: 1\nname: broken\ninput: [3, 32, 32]\n"
NET = "network:\n  - c1: {op: conv, out: 8, k: 3}\n"
BLOCK = "blocks:\n  unit:\n    params: {width: int}\n    body: [c: {op: conv, out: \"${width}\", k: 1}]\n"

# (id, spec text, line, column, message fragments); line and column are 1-based
CASES = [
    # ---- the YAML loader
    ("yaml_unclosed_flow", HEAD + "network:\n  - c1: {op: conv, out: 8\n  - c2: identity\n", 6, 7,
     ["YAML syntax error", "expected ',' or '}'"]),
    ("yaml_tab_indent", HEAD + "network:\n\t- c1: identity\n", 5, 1, ["YAML syntax error", "YAML indents with spaces, not tabs"]),
    ("yaml_bad_indent", HEAD + "network:\n  - c1: identity\n   - c2: identity\n", 6, 4, ["YAML syntax error"]),
    ("yaml_duplicate_key", HEAD + "name: again\n" + NET, 4, 1, ["duplicate key 'name'", "first defined at line 2"]),
    ("yaml_python_name_tag", HEAD + "description: !!python/name:os.system\n" + NET, 4, 14,
     ["YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"]),
    ("yaml_custom_tag", HEAD + "description: !secret x\n" + NET, 4, 14, ["YAML tag '!secret' is not allowed"]),
    ("yaml_date", HEAD + "description: 2024-01-31\n" + NET, 4, 14, ["timestamp", "quote a date"]),
    ("yaml_merge_key", HEAD + "defaults:\n  conv: {<<: {bias: false}}\n" + NET, 5, 10, ["merge keys (<<) are not supported"]),
    ("yaml_complex_key", HEAD + "params: {? [a, b] : 1}\n" + NET, 4, 12, ["a mapping key must be a plain scalar"]),
    ("yaml_control_char", HEAD + "description: a\x07b\n" + NET, 4, 15, ["control characters are not allowed", "U+0007"]),
    ("yaml_deep_nesting", HEAD + "params: {a: " + "[" * 120 + "]" * 120 + "}\n" + NET, 4, 111,
     ["nests deeper than 100 levels"]),
    ("yaml_number_too_long", HEAD + "params: {n: " + "1" * 4400 + "}\n" + NET, 4, 13,
     ["the number 111111111111… is too long (4,400 characters)"]),
    ("yaml_not_a_mapping", "- archspec: 1\n- name: broken\n", 1, 1, ["a spec must be a YAML mapping"]),
    # ---- top level
    ("missing_archspec", "name: broken\ninput: [3, 32, 32]\n" + NET, 1, 1, ["missing required key 'archspec'"]),
    ("wrong_version", "archspec: 2\nname: broken\ninput: [3, 32, 32]\n" + NET, 1, 11,
     ["invalid value 2 for archspec", "expected 1"]),
    ("input_two_dims", "archspec: 1\nname: broken\ninput: [32, 32]\n" + NET, 3, 8,
     ["error: input must be a list of three integers (input tensor shape C, H, W), got [32, 32]\n"
      "    hint: write 3 items, e.g. [32, 32, 32]"]),
    ("input_not_int", "archspec: 1\nname: broken\ninput: [3, 32.5, 32]\n" + NET, 3, 12,
     ["invalid value 32.5 for input.1", "integer"]),
    ("input_zero", "archspec: 1\nname: broken\ninput: [3, 0, 32]\n" + NET, 3, 8,
     ["input shape [3, 0, 32] must be positive"]),
    ("empty_network", HEAD + "network: []\n", 4, 10,
     ["error: network must be a list of at least one mapping, got []\n    hint: write at least 1 item"]),
    ("misspelt_blocks", HEAD + "blokcs: {}\n" + NET, 4, 1, ["unknown key 'blokcs'", "did you mean 'blocks'"]),
    ("defaults_unknown_kind", HEAD + "defaults:\n  cnov: {bias: false}\n" + NET, 5, 3,
     ["`defaults:` names unknown op kind 'cnov'", "did you mean 'conv'"]),
    ("params_not_mapping", HEAD + "params: [1, 2]\n" + NET, 4, 9, ["invalid value a list for params", "dictionary"]),
    # ---- items
    ("item_without_name", HEAD + "network:\n  - flatten\n", 5, 5, ["invalid value 'flatten' for network.0", "dictionary"]),
    ("item_two_names", HEAD + "network:\n  - {a: identity, b: identity}\n", 5, 5, ["each list item is one named node"]),
    ("item_number_name", HEAD + "network:\n  - 7: identity\n", 5, 5, ["invalid key 7 in network.0", "names"]),
    ("item_bad_name", HEAD + "network:\n  - conv-1: identity\n", 5, 5, ["invalid name 'conv-1'", "identifiers"]),
    ("item_missing_op", HEAD + "network:\n  - c1: {out: 8, k: 3}\n", 5, 9, ["missing `op:`", "op: conv"]),
    ("item_value_list", HEAD + "network:\n  - c1: [conv]\n", 5, 5, ["an item's value must be a mapping with `op:`"]),
    ("inputs_not_names", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3}\n  - c2: {op: add, inputs: 3}\n",
     6, 27, ["`inputs:` must be a name or a list of names"]),
    ("add_one_input", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3}\n  - s: {op: add, inputs: [c1]}\n", 6, 8,
     ["add needs at least two `inputs:`"]),
    ("add_shapes_differ", HEAD + "network:\n  - a: {op: conv, out: 8, k: 1}\n  - b: {op: conv, out: 4, k: 1}\n"
     "  - s: {op: add, inputs: [a, b]}\n", 7, 5, ["add inputs must have identical shapes", "8×32×32, 4×32×32"]),
    # ---- structural ops
    ("concat_one_branch", HEAD + "network:\n  - m: {op: concat, branches: {a: {op: conv, out: 8, k: 1}}}\n", 5, 31,
     ["concat needs a mapping of at least two named branches"]),
    ("residual_without_body", HEAD + "network:\n  - r: {op: residual, scale: 0.1}\n", 5, 8, ["residual needs a `body:`"]),
    ("residual_scale_zero", HEAD + "network:\n  - r: {op: residual, scale: 0, body: [i: identity]}\n", 5, 30,
     ["invalid value 0 for scale", "greater than 0"]),
    ("seq_unknown_key", HEAD + "network:\n  - s: {op: seq, k: 3, body: [i: identity]}\n", 5, 18,
     ["unknown key 'k' for op 'seq'", "allowed keys: op, body, inputs"]),
    ("repeat_negative_times", HEAD + BLOCK + "network:\n  - r: {op: repeat, block: unit, times: -1, with: {width: 4}}\n",
     9, 41, ["repeat `times` must be a whole number >= 0, got -1"]),
    ("repeat_name_pattern", HEAD + BLOCK + "network:\n  - r: {op: repeat, block: unit, times: 2, name: u, "
     "with: {width: 4}}\n", 9, 50, ["repeat `name` must be a pattern containing {i}"]),
    ("block_param_wrong_type", HEAD + BLOCK + "network:\n  - u: {op: unit, width: wide}\n", 9, 26,
     ["block 'unit' param 'width' expects int, got 'wide'"]),
    ("aux_without_from", HEAD + NET + "  - a: {op: aux, body: [g: gap]}\n", 6, 8,
     ["aux head needs `from:` naming the node it taps"]),
    ("aux_negative_weight", HEAD + NET + "  - a: {op: aux, from: c1, loss_weight: -1, body: [g: gap]}\n", 6, 41,
     ["aux `loss_weight` must be a number >= 0"]),
    ("aux_unknown_block", HEAD + BLOCK + NET + "  - a: {op: aux, from: c1, block: unti}\n", 10, 35,
     ["aux names unknown block 'unti'", "did you mean 'unit'"]),
    # ---- op arguments
    ("conv_same_strided", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, stride: 2, padding: same}\n", 5, 5,
     ["conv padding 'same' needs stride 1 (got 2×2)", "explicit integer padding"]),
    ("conv_groups", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, groups: 2}\n", 5, 5,
     ["conv groups=2 must divide both input channels 3 and out 8"]),
    ("conv_kernel_list_length", HEAD + "network:\n  - c1: {op: conv, out: 8, k: [1, 7, 1]}\n", 5, 31,
     ["c1: k must be a positive integer or a list of two positive integers, got [1, 7, 1]\n"
      "    hint: write 2 items, e.g. [1, 7]"]),
    ("conv_padding_word", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, padding: full}\n", 5, 43,
     ["c1: padding must be 'valid', 'same', 'tf_same', a non-negative integer or a list of two non-negative "
      "integers, got 'full'\n    hint: write one of the forms listed"]),
    ("conv_norm_kind", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, norm: layernorm}\n", 5, 40,
     ["c1: norm must be 'none', 'batchnorm' or a mapping, got 'layernorm'\n    hint: write one of the forms listed"]),
    ("pool_padding_over_half", HEAD + "network:\n  - p: {op: maxpool, k: 2, padding: 2}\n", 5, 5,
     ["maxpool padding 2×2 must be at most half the kernel 2×2"]),
    ("act_unknown", HEAD + NET + "  - a: {op: act, fn: relux}\n", 6, 22, ["invalid value 'relux' for fn", "'relu'"]),
    ("dropout_p_one", HEAD + NET + "  - d: {op: dropout, p: 1.0}\n", 6, 25, ["invalid value 1.0 for p", "less than 1"]),
    ("batchnorm_momentum", HEAD + NET + "  - b: {op: batchnorm, momentum: 2}\n", 6, 34,
     ["invalid value 2 for momentum", "less than or equal to 1"]),
    ("adaptive_larger_than_input", HEAD + "network:\n  - p: {op: adaptive_avgpool, size: 64}\n", 5, 5,
     ["adaptive_avgpool to 64×64 needs an input at least that large, got 32×32"]),
    ("dimension_too_large", "archspec: 1\nname: broken\ninput: [1000, 9000, 9000]\nnetwork:\n  - f: flatten\n", 5, 5,
     ["flatten would produce shape 81000000000, a dimension over 16,777,216"]),
    # ---- expressions
    ("expr_division_by_zero", HEAD + "params: {w: 0}\nnetwork:\n  - c1: {op: conv, out: \"${8 // w}\", k: 3}\n",
     6, 25, ["division by zero in '8 // w'"]),
    ("expr_call", HEAD + "network:\n  - c1: {op: conv, out: \"${abs(-8)}\", k: 3}\n", 5, 25,
     ["call is not allowed in expression 'abs(-8)'"]),
    ("expr_attribute", HEAD + "params: {w: 8}\nnetwork:\n  - c1: {op: conv, out: \"${w.real}\", k: 3}\n", 6, 25,
     ["attribute is not allowed in expression 'w.real'"]),
    ("expr_comprehension", HEAD + "network:\n  - c1: {op: conv, out: \"${[i for i in (1, 2)]}\", k: 3}\n", 5, 25,
     ["listcomp is not allowed"]),
    ("expr_huge_power", HEAD + "network:\n  - c1: {op: conv, out: \"${2 ** 1000}\", k: 3}\n", 5, 25,
     ["exponent 1000 in '2 ** 1000' is too large (at most 64)"]),
    ("expr_magnitude", HEAD + "network:\n  - c1: {op: conv, out: \"${10 ** 20}\", k: 3}\n", 5, 25,
     ["gives 1e+20, beyond the allowed magnitude"]),
    ("expr_syntax", HEAD + "network:\n  - c1: {op: conv, out: \"${8 *}\", k: 3}\n", 5, 25,
     ["cannot parse expression '8 *'"]),
    ("expr_string_arithmetic", HEAD + "params: {act: relu}\nnetwork:\n  - c1: {op: conv, out: \"${act * 2}\", k: 3}\n",
     6, 25, ["arithmetic on a non-number ('relu')"]),
    # ---- overrides (variants)
    ("variant_remove_unknown", HEAD + NET + "variants:\n  v: {remove: [network.c9]}\n", 7, 16,
     ["no item named 'c9' in network", "did you mean 'c1'"]),
    ("variant_insert_no_anchor", HEAD + NET + "variants:\n  v: {insert: [{items: [i: identity]}]}\n", 7, 16,
     ["insert needs exactly one of `after:` or `before:`"]),
    ("variant_set_into_value", HEAD + NET + "variants:\n  v: {set: {name.x: 1}}\n", 7, 13,
     ["cannot go into name (it is a value, not a mapping or list)"]),
    # ---- names
    ("name_reserved_attribute", HEAD + NET + "  - training: gap\n", 6, 5,
     ["the name 'training' is reserved: the compiled torch module has an attribute of that name", "training_1"]),
    ("name_reserved_internal", HEAD + NET + "  - _steps: gap\n", 6, 5, ["the name '_steps' is reserved"]),
    ("name_input", HEAD + NET + "  - input: gap\n", 6, 5, ["the name 'input' is reserved: it names the network's input"]),
    ("name_trailing_newline", HEAD + 'network:\n  - "c1\\n": identity\n', 5, 5, ["invalid name 'c1\\n'"]),
    ("name_empty", HEAD + 'network:\n  - "": identity\n', 5, 5, ["invalid name '' (empty)"]),
    ("key_yaml_boolean", HEAD + NET + "  - yes: gap\n", 6, 5,
     ["the key true in network.1 is a YAML boolean, not a name", "quote the key"]),
    ("key_yaml_null", HEAD + NET + "  - ~: gap\n", 6, 5, ["the key null in network.1 is a YAML null, not a name"]),
    ("spec_name_path", "archspec: 1\nname: ../../../tmp/x/pwned\ninput: [3, 32, 32]\n" + NET, 2, 7,
     ["invalid value '../../../tmp/x/pwned' for name: a spec or variant name is letters, digits, _ - and ."]),
    ("variant_name_path", HEAD + NET + "variants:\n  v: {}\n  ../up: {}\n", 8, 3,
     ["invalid key '../up' in variants: a spec or variant name is"]),
    ("reference_in_another_block", HEAD + BLOCK + "network:\n  - u: {op: unit, width: 4}\n"
     "  - s: {op: add, inputs: [u, c]}\n", 10, 30,
     ["unknown reference 'c': it is defined inside 'u', which this reference cannot see", "(block/name)"]),
    ("block_reads_its_own_output", HEAD + "blocks:\n  r:\n    body: [c: {op: conv, out: 4, k: 1}, "
     "m: {op: add, inputs: [c, late]}]\nnetwork:\n  - c1: {op: conv, out: 4, k: 1}\n  - b: {op: r}\n"
     "  - late: {op: conv, out: 4, k: 1, inputs: [b/c]}\n", 6, 66,
     ["block 'b' reads 'late', which is itself computed from the output of 'b'", "runs as one module"]),
    ("yaml_unclosed_bracket_far", HEAD + "network: [\n  c1: {op: conv, out: 4, k: 3},\n  c2: identity\n\n"
     "variants:\n  v: {}\n", 8, 9, ["a flow sequence that starts at line 4, column 10", "is the '[' at line 4 closed?"]),
    # ---- gates, the input shape in expressions, TF padding
    ("mul_no_broadcast", HEAD + NET + "  - g: {op: conv, out: 4, k: 1}\n  - p: gap\n  - m: {op: mul, inputs: [c1, p]}\n",
     8, 5, ["mul inputs do not broadcast: 8×30×30, 4×1×1"]),
    ("mul_rank", HEAD + NET + "  - f: flatten\n  - m: {op: mul, inputs: [c1, f]}\n",
     7, 5, ["mul inputs must have the same number of dimensions, got 8×30×30, 7200"]),
    ("input_shape_unknown_dim", HEAD + "network:\n  - c1: {op: conv, out: \"${input.d}\", k: 1}\n", 5, 25,
     ["unknown input dimension input.d"]),
    ("input_shape_in_block_param", HEAD + BLOCK + "network:\n  - u: {op: unit, width: \"${input.c}\"}\n", 9, 26,
     ["block 'unit' param 'width' reads the input shape (${input.c}), which is known only in an op's arguments"]),
    ("input_shape_in_repeat", HEAD + BLOCK + "network:\n  - r: {op: repeat, block: unit, times: \"${input.c}\", "
     "with: {width: 4}}\n", 9, 41, ["repeat `times` must be a whole number >= 0, got '${input.c}'"]),
    ("tf_same_avgpool", HEAD + "network:\n  - p: {op: avgpool, k: 3, stride: 2, padding: tf_same}\n", 5, 5,
     ["avgpool padding 'tf_same' is supported by conv and maxpool only"]),
    # ---- strict values
    ("value_text_for_bool", HEAD + "network:\n  - c1: {op: conv, out: 8, k: 3, bias: 'no'}\n", 5, 40,
     ["invalid value 'no' for bias: expected a valid boolean"]),
    ("value_bool_for_number", HEAD + "network:\n  - b: {op: batchnorm, eps: true}\n", 5, 29,
     ["invalid value True for eps: expected a valid number"]),
    ("value_infinite", HEAD + "network:\n  - r: {op: residual, scale: .inf, body: [i: identity]}\n", 5, 30,
     ["invalid value inf for scale: expected a finite number"]),
    ("version_boolean", "archspec: true\nname: broken\ninput: [3, 32, 32]\n" + NET, 1, 11,
     ["expected 1, got the boolean true"]),
    # ---- aux heads
    ("aux_read_by_network", HEAD + NET + "  - a: {op: aux, from: c1, body: [g: gap]}\n  - s: {op: add, inputs: [c1, a]}\n",
     7, 31, ["'a' is part of aux head 'a', which runs only in training"]),
    ("aux_inside_aux", HEAD + NET + "  - a: {op: aux, from: c1, body: [g: gap, b: {op: aux, from: g, body: [f: flatten]}]}\n",
     6, 51, ["an aux head cannot hold another aux head (inside 'a')"]),
    # ---- overrides at the override
    ("variant_shape_error_at_override", HEAD + NET + "variants:\n  v: {set: {network.c1.k: 40}}\n", 7, 13,
     ["conv kernel 40 (effective 40) is larger than its padded input height 32"]),
    # ---- size and memory limits
    ("expansion_limit", HEAD + "blocks:\n  b0:\n    body: [c: {op: conv, out: 4, k: 3, padding: 1, bias: 3}]\n"
     + "".join(f"  b{i}:\n    body: [x: {{op: b{i - 1}}}, y: {{op: b{i - 1}}}]\n" for i in range(1, 26))
     + "network:\n  - top: {op: b25}\n", 6, 58,
     ["invalid value 3 for bias: expected a valid boolean (and in ", "the network expands to more than 80,000 items"]),
    ("nesting_limit", HEAD + "blocks:\n  b0:\n    body: [c: {op: conv, out: 4, k: 1}]\n"
     + "".join(f"  b{i}:\n    body: [x: {{op: b{i - 1}}}]\n" for i in range(1, 40))
     + "network:\n  - top: {op: b39}\n", 22, 12, ["/x/x: scopes are nested more than 32 levels deep"]),
    # ---- size and memory limits
    ("too_many_ops", HEAD + BLOCK + "network:\n  - r: {op: repeat, block: unit, times: 30000, with: {width: 4}}\n",
     7, 12, ["r/unit_20001/c: the network expands to more than 20,000 ops"]),
    ("weights_over_limit", HEAD + "network:\n  - c1: {op: conv, out: 30000, k: 1}\n"
     "  - c2: {op: conv, out: 40000, k: 1}\n", 6, 5,
     ["the weights need 4.5 GiB in fp32 (1,200,160,000 values)", "over the limit of 4 GiB",
      "the largest op, conv 'c2', has 1,200,040,000", "--max-param-bytes 5GiB"]),
    ("activations_over_limit", "archspec: 1\nname: broken\ninput: [3, 8192, 8192]\nnetwork:\n"
     "  - c1: {op: conv, out: 16, k: 3, padding: 1}\n", 5, 5,
     ["the activations need 4.8 GiB in fp32 at batch 1", "the largest, 'c1', is 16×8192×8192",
      "--max-activation-bytes 5GiB"]),
    # ---- feature taps
    ("features_unknown_tap", HEAD + NET + "features: [c2]\n", 6, 12, ["unknown feature tap 'c2'", "did you mean 'c1'"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_error_table(case, write_spec):
    _, text, line, col, fragments = case
    path = write_spec(text)
    variant = "#v" if "variants:" in text else ""
    with pytest.raises(ArchspecError) as info:
        archspec.check(f"{path}{variant}")
    first = info.value.first
    assert first.loc is not None and first.loc.file == str(path), str(info.value)
    assert (first.loc.line, first.loc.col) == (line, col), str(info.value)
    text = str(info.value)
    for frag in fragments:
        assert frag in text, f"{frag!r} not in:\n{text}"


def test_case_ids_are_unique():
    assert len({c[0] for c in CASES}) == len(CASES)


def test_extends_depth_is_bounded(write_spec):
    for i in range(9):
        write_spec(f"archspec: 1\nname: s{i}\nextends: s{i + 1}.yaml\n", f"s{i}.yaml")
    write_spec("archspec: 1\nname: s9\ninput: [3, 8, 8]\n" + NET, "s9.yaml")
    with pytest.raises(ArchspecError) as info:
        archspec.check(write_spec("archspec: 1\nname: top\nextends: s0.yaml\n", "top.yaml"))
    p = info.value.first
    assert "`extends` is nested more than 8 deep" in p.message
    assert p.loc.file.endswith("s7.yaml") and (p.loc.line, p.loc.col) == (3, 10)
