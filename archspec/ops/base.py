"""What an op kind is: a params model, a shape rule, a cost rule, a torch builder, a style.

Each op kind lives in its own module under `archspec/ops/` and registers itself here, so a
new op touches one file. Shape and cost rules are pure Python on (C, H, W) tuples: the
static check never imports torch; `build` imports it lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, Strict

if TYPE_CHECKING:
    from archspec.ops.pysource import Emit

Shape = tuple[int, ...]

PosInt = Annotated[int, Strict(), Field(gt=0)]
NonNegInt = Annotated[int, Strict(), Field(ge=0)]
Pair = Union[PosInt, Annotated[list[PosInt], Field(min_length=2, max_length=2)]]
PadPair = Union[NonNegInt, Annotated[list[NonNegInt], Field(min_length=2, max_length=2)]]
Padding = Union[Literal["valid", "same", "tf_same"], PadPair]
"""`same` is PyTorch's (stride 1 only); `tf_same` is TensorFlow/Keras's 'SAME' at any stride: the
output is ceil(size / stride) and the padding's odd pixel goes to the bottom/right."""

ACTIVATIONS: dict[str, str] = {
    # name -> torch.nn class name; the one table shared by `act` and attached activations
    "relu": "ReLU",
    "relu6": "ReLU6",
    "gelu": "GELU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "hardswish": "Hardswish",
    "hardsigmoid": "Hardsigmoid",
    "mish": "Mish",
}
ActName = Literal["none", "relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "elu", "leaky_relu", "hardswish",
                  "hardsigmoid", "mish"]


class ShapeError(ValueError):
    """Raised by a shape rule; lowering attaches the node, path and line."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class OpArgs(BaseModel):
    # defer_build: a spec uses a few op kinds; building every schema at import would slow `check`
    # strict: YAML gives real booleans and numbers, so `bias: "no"` or `eps: true` is a mistake;
    # finite: an infinite eps, alpha or scale checks fine and makes the model output NaN
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, strict=True, allow_inf_nan=False)


@dataclass(frozen=True)
class Cost:
    params: int = 0
    buffers: int = 0
    macs: int = 0


@dataclass(frozen=True)
class Example:
    """A small, representative use of an op: its input shapes and its arguments as a spec writes them.

    tests/test_ops_meta.py builds each op's example in torch and checks the static shape, params,
    buffers and MACs against the module, and docs/spec-language.md shows it. The arguments stay
    a mapping until then: validating them at import would build every Args schema (`defer_build`)."""

    ins: tuple[Shape, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


class Op:
    """Base of every op kind. Subclasses set `kind`, `Args`, `doc`, `example`, and override the rules."""

    kind: ClassVar[str]
    Args: ClassVar[type[OpArgs]] = OpArgs
    arity: ClassVar[Literal["one", "many", "none"]] = "one"
    """How many inputs: "none" is a source (the network's input), placed by lowering, never by a spec."""
    color: ClassVar[str] = "#eeeeee"
    doc: ClassVar[str] = ""
    example: ClassVar[Example | None] = None  # every op with inputs has one (a test says so)
    onnx: ClassVar[str | None] = None
    """The ONNX operators it becomes, for the op table; None: `export --format onnx` refuses it."""

    def infer(self, a: Any, ins: list[Shape]) -> Shape:
        return ins[0]

    def cost(self, a: Any, ins: list[Shape], out: Shape) -> Cost:
        return Cost()

    def build(self, a: Any, ins: list[Shape], out: Shape) -> Any:
        raise NotImplementedError

    def emit(self, a: Any, ins: list[Shape], out: Shape) -> "Emit":
        """Its PyTorch source (`archspec.ops.pysource`), for `export --format python`; an op
        that does not override it is refused there with its place."""
        raise NotImplementedError

    def label(self, a: Any) -> str:
        """A short description for diagrams and summaries ("conv 3x3/2, 32")."""
        return self.kind

    def shortcut(self, a: Any) -> str | None:
        """For a residual merge, the caption of its shortcut (its last input) in diagrams; else None."""
        return None


REGISTRY: dict[str, Op] = {}


def register(cls: type[Op]) -> type[Op]:
    if cls.kind in REGISTRY:
        first = type(REGISTRY[cls.kind])
        raise ValueError(f"op kind {cls.kind!r} is registered twice: by {first.__module__}.{first.__qualname__} "
                         f"and by {cls.__module__}.{cls.__qualname__}; give one of them another kind")
    REGISTRY[cls.kind] = cls()
    return cls


def placeable() -> dict[str, Op]:
    """The op kinds a spec may write: a source (the network's input) is placed by lowering alone."""
    return {kind: op for kind, op in REGISTRY.items() if op.arity != "none"}


def pair(v: int | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def fmt_shape(s: Shape) -> str:
    return "×".join(str(d) for d in s)


def need_chw(kind: str, s: Shape) -> tuple[int, int, int]:
    if len(s) != 3:
        raise ShapeError(f"{kind} expects an image tensor C×H×W, got {fmt_shape(s)}",
                         "put it before the flatten, or use linear for flat features")
    c, h, w = s
    return c, h, w


def resolve_padding(kind: str, padding: Any, k: tuple[int, int], stride: tuple[int, int],
                    dilation: tuple[int, int] = (1, 1)) -> tuple[int, int] | str:
    """'valid' -> 0; 'same' keeps the size at stride 1 (odd kernels symmetric); 'tf_same' stays
    symbolic: its pads depend on the input size (`tf_same_pads`)."""
    if padding == "tf_same":
        return "tf_same"
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ShapeError(f"{kind} padding 'same' needs stride 1 (got {stride[0]}×{stride[1]})",
                             "give an explicit integer padding for strided layers")
        eff = [dilation[i] * (k[i] - 1) for i in range(2)]
        if all(e % 2 == 0 for e in eff):
            return (eff[0] // 2, eff[1] // 2)
        return "same"
    return pair(padding)


def tf_same_pads(size: tuple[int, ...], k: tuple[int, int], s: tuple[int, int],
                 d: tuple[int, int] = (1, 1)) -> tuple[int, int, int, int]:
    """TF's 'SAME' padding in F.pad's order (left, right, top, bottom): per axis, the total is
    max((ceil(n/s) - 1)·s + eff - n, 0), its odd pixel after."""
    out = []
    for i in range(2):
        total = max((-(-size[i] // s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - size[i], 0)
        out.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = out
    return (left, right, top, bottom)


def window_out(kind: str, size: int, k: int, s: int, p: int | str, d: int, ceil: bool, axis: str) -> int:
    if isinstance(p, str):  # "same" keeps the size; TF's "SAME" is ceil(size / stride) at any stride
        return size if p == "same" else -(-size // s)
    eff = d * (k - 1) + 1
    span = size + 2 * p - eff
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1  # PyTorch drops a last window that would start in the right padding
    if out < 1:  # in ceil mode a window may overhang the input, so the kernel may exceed it a little
        raise ShapeError(f"{kind} kernel {k} (effective {eff}) is larger than its padded input {axis} {size + 2 * p}",
                         "use a smaller kernel, add padding, or remove a downsampling layer before it")
    return out


def kernel_text(k: int | list[int], stride: int | list[int]) -> str:
    kh, kw = pair(k)
    sh, sw = pair(stride)
    text = f"{kh}x{kw}"
    if (sh, sw) != (1, 1):
        text += f"/{sh}" if sh == sw else f"/{sh}x{sw}"
    return text
