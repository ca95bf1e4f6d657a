"""The training recipe — the `train:` section of a spec, or the recipe file it names — as typed data.

A paper's recipe is data, not code: every field here is validated like the rest of the spec
(file:line:col errors, unknown keys refused) and can be overridden with `--set train.KEY=VALUE`.
Defaults follow PyTorch's, so a recipe file states only what its paper states.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    NonNegativeInt,
    PositiveInt,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
)

from archspec.spec.models import Strict

Rate = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, lt=1)]
OpenFraction = Annotated[float, Field(gt=0, lt=1)]


def _kind_of(value: Any) -> Any:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


def _by_kind(*kinds: str) -> Discriminator:
    """Pick a union member by its `kind:` key, with one readable error when the kind is missing or unknown."""
    expected = ", ".join(repr(k) for k in kinds)
    return Discriminator(_kind_of, custom_error_type="kind",
                         custom_error_message=f"expected a mapping with `kind:` one of {expected}")


class SGD(Strict):
    """Stochastic gradient descent with (Nesterov) momentum — GoogLeNet's optimizer."""

    kind: Literal["sgd"]
    lr: Rate
    momentum: Fraction = 0.9
    nesterov: StrictBool = False
    weight_decay: NonNeg = 0.0


class RMSProp(Strict):
    """RMSProp as the Inception-v3 paper states it: `decay` is the squared-gradient average (torch's alpha).

    PyTorch adds `eps` outside the square root, TensorFlow inside; the numbers are kept as
    the paper gives them (docs/training.md).
    """

    kind: Literal["rmsprop"]
    lr: Rate
    decay: OpenFraction = 0.99
    eps: Rate = 1e-8
    momentum: Fraction = 0.0
    centered: StrictBool = False
    weight_decay: NonNeg = 0.0


class Adam(Strict):
    kind: Literal["adam"]
    lr: Rate = 1e-3
    betas: tuple[Fraction, Fraction] = (0.9, 0.999)
    eps: Rate = 1e-8
    weight_decay: NonNeg = 0.0


class AdamW(Adam):
    """Adam with decoupled weight decay."""

    kind: Literal["adamw"]  # type: ignore[assignment]
    weight_decay: NonNeg = 0.01


class _Schedule(Strict):
    warmup_epochs: NonNeg = Field(0.0, description="linear ramp from 0 to the scheduled lr, step by step")


class Constant(_Schedule):
    kind: Literal["constant"]


class StepDecay(_Schedule):
    """Multiply the lr by `gamma` at each milestone epoch."""

    kind: Literal["step"]
    milestones: list[PositiveInt] = Field(min_length=1)
    gamma: Rate = 0.1


class Exponential(_Schedule):
    """Multiply the lr by `gamma` every `every` epochs (staircase), as Inception-v3 and GoogLeNet do."""

    kind: Literal["exponential"]
    gamma: Rate
    every: PositiveInt = 1


class Cosine(_Schedule):
    """Half a cosine from the lr down to `min_lr` over the epochs after warm-up, step by step."""

    kind: Literal["cosine"]
    min_lr: NonNeg = 0.0


OptimizerConfig = Annotated[
    Annotated[SGD, Tag("sgd")] | Annotated[RMSProp, Tag("rmsprop")] | Annotated[Adam, Tag("adam")]
    | Annotated[AdamW, Tag("adamw")],
    _by_kind("sgd", "rmsprop", "adam", "adamw")]
ScheduleConfig = Annotated[
    Annotated[Constant, Tag("constant")] | Annotated[StepDecay, Tag("step")]
    | Annotated[Exponential, Tag("exponential")] | Annotated[Cosine, Tag("cosine")],
    _by_kind("constant", "step", "exponential", "cosine")]


class Loss(Strict):
    """Cross-entropy on the main logits plus weighted cross-entropy on each auxiliary head.

    `aux_weights` is one weight for every head or a mapping head name → weight; heads it
    does not name keep the `loss_weight` their spec gives them.
    """

    kind: Literal["cross_entropy"] = "cross_entropy"
    label_smoothing: Fraction = 0.0
    aux_weights: NonNeg | dict[StrictStr, NonNeg] | None = None


class EMA(Strict):
    """A running average of the parameters (and BatchNorm statistics), evaluated and checkpointed.

    `warmup` uses TensorFlow's rule decay_n = min(decay, (1 + n) / (10 + n)), so the average
    is useful from the first epochs instead of staying near the initial weights.
    """

    decay: OpenFraction = 0.9999
    warmup: StrictBool = True


class Synthetic(Strict):
    train: PositiveInt = 2048
    val: PositiveInt = 512
    seed: StrictInt = 0


class Data(Strict):
    """Where images come from and how they are prepared; `--data` overrides `source`."""

    source: StrictStr = Field("synthetic", description="synthetic | cifar10:PATH | imagefolder:PATH")
    synthetic: Synthetic = Field(default_factory=Synthetic)
    augment: StrictBool = Field(True, description="random crop (padding 1/8 of the side) and horizontal flip")
    mean: list[float] | None = Field(None, description="per-channel normalisation; default per source")
    std: list[Rate] | None = None
    val_fraction: OpenFraction = Field(0.1, description="imagefolder without a val/ folder: share held out")
    workers: Literal["auto"] | NonNegativeInt = "auto"


class Recipe(Strict):
    """Everything a training run needs besides the network and the data files."""

    recipe: StrictStr | None = Field(None, description="a recipe file merged under this section")
    epochs: PositiveInt = 10
    batch_size: PositiveInt = Field(32, description="per process")
    optimizer: OptimizerConfig = Field(default_factory=lambda: Adam(kind="adam"))
    schedule: ScheduleConfig = Field(default_factory=lambda: Constant(kind="constant"))
    loss: Loss = Field(default_factory=Loss)
    clip_grad_norm: Rate | None = None
    ema: EMA | None = None
    precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="auto: bf16 autocast on CUDA, fp32 elsewhere")
    channels_last: Literal["auto"] | StrictBool = Field("auto", description="auto: on CUDA only")
    compile: StrictBool = False
    seed: StrictInt = 0
    data: Data = Field(default_factory=Data)
    log_every: PositiveInt = Field(50, description="steps between log lines when stdout is not a terminal")
