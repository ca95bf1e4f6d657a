"""The training recipe — the `train:` section of a spec, or the recipe file it names — as typed data.

A paper's recipe is data, not code: every field here is validated like the rest of the spec
(file:line:col errors, unknown keys refused) and can be overridden with `--set train.KEY=VALUE`.
Defaults follow PyTorch's, so a recipe file states only what its paper states.

Every number has a range, and floats must be finite: a value that would overflow inside
torch (an lr of 1e300 is not a float32), start a thousand processes or seed a generator
out of its range is refused here, at its line, by `archspec check` as by `archspec train`.
The bounds are far beyond any published recipe (docs/training.md lists them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag

from archspec.spec.models import Strict

MAX_LR = 100.0
MAX_WEIGHT_DECAY = 1.0
MAX_COUNT = 1_000_000
"""epochs, batch size, milestones, steps between log lines."""
MAX_IMAGES = 100_000_000
"""synthetic images per split (what they need in memory is checked against the network's input too)."""
MAX_DATA_WORKERS = 64
MAX_SEED = 2**32 - 1
MAX_FACTOR = 1000.0
"""eps, clipping norm, loss weights, normalisation statistics."""



def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


# `1e-3` reaches the model as the string '1e-3' (YAML 1.1 needs a dot in a float), so floats
# stay lax about strings; a boolean is never a number.
Number = Annotated[float, BeforeValidator(_not_bool)]
Rate = Annotated[Number, Field(gt=0, le=MAX_LR)]
Decay = Annotated[Number, Field(ge=0, le=MAX_WEIGHT_DECAY)]
Factor = Annotated[Number, Field(gt=0, le=MAX_FACTOR)]
NonNeg = Annotated[Number, Field(ge=0, le=MAX_FACTOR)]
Fraction = Annotated[Number, Field(ge=0, lt=1)]
OpenFraction = Annotated[Number, Field(gt=0, lt=1)]
Shrink = Annotated[Number, Field(gt=0, le=1)]
Count = Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)]
Images = Annotated[StrictInt, Field(ge=1, le=MAX_IMAGES)]
Seed = Annotated[StrictInt, Field(ge=0, le=MAX_SEED)]
Workers = Annotated[StrictInt, Field(ge=0, le=MAX_DATA_WORKERS)]


class _Fields(Strict):
    """Recipe sections: finite numbers only (NaN and infinity are refused, not trained on)."""

    model_config = ConfigDict(allow_inf_nan=False)


def _kind_of(value: Any) -> Any:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


def _by_kind(*kinds: str) -> Discriminator:
    """Pick a union member by its `kind:` key, with one readable error when the kind is missing or unknown."""
    expected = ", ".join(repr(k) for k in kinds)
    return Discriminator(_kind_of, custom_error_type="kind",
                         custom_error_message=f"expected a mapping with `kind:` one of {expected}")


class SGD(_Fields):
    """Stochastic gradient descent with (Nesterov) momentum — GoogLeNet's optimizer."""

    kind: Literal["sgd"]
    lr: Rate
    momentum: Fraction = 0.9
    nesterov: StrictBool = False
    weight_decay: Decay = 0.0


class RMSProp(_Fields):
    """RMSProp as the Inception-v3 paper states it: `decay` is the squared-gradient average (torch's alpha).

    PyTorch adds `eps` outside the square root, TensorFlow inside; the numbers are kept as
    the paper gives them (docs/training.md).
    """

    kind: Literal["rmsprop"]
    lr: Rate
    decay: OpenFraction = 0.99
    eps: Factor = 1e-8
    momentum: Fraction = 0.0
    centered: StrictBool = False
    weight_decay: Decay = 0.0


class Adam(_Fields):
    kind: Literal["adam"]
    lr: Rate = 1e-3
    betas: tuple[Fraction, Fraction] = (0.9, 0.999)
    eps: Factor = 1e-8
    weight_decay: Decay = 0.0


class AdamW(Adam):
    """Adam with decoupled weight decay."""

    kind: Literal["adamw"]  # type: ignore[assignment]
    weight_decay: Decay = 0.01


class _Schedule(_Fields):
    warmup_epochs: Annotated[Number, Field(ge=0, le=MAX_COUNT)] = Field(0.0, description="linear ramp from 0 to the scheduled lr, step by step")


class Constant(_Schedule):
    kind: Literal["constant"]


class StepDecay(_Schedule):
    """Multiply the lr by `gamma` at each milestone epoch."""

    kind: Literal["step"]
    milestones: list[Count] = Field(min_length=1)
    gamma: Shrink = 0.1


class Exponential(_Schedule):
    """Multiply the lr by `gamma` every `every` epochs (staircase), as Inception-v3 and GoogLeNet do."""

    kind: Literal["exponential"]
    gamma: Shrink
    every: Count = 1


class Cosine(_Schedule):
    """Half a cosine from the lr down to `min_lr` over the epochs after warm-up, step by step."""

    kind: Literal["cosine"]
    min_lr: Annotated[Number, Field(ge=0, le=MAX_LR)] = 0.0


OptimizerConfig = Annotated[
    Annotated[SGD, Tag("sgd")] | Annotated[RMSProp, Tag("rmsprop")] | Annotated[Adam, Tag("adam")]
    | Annotated[AdamW, Tag("adamw")],
    _by_kind("sgd", "rmsprop", "adam", "adamw")]
ScheduleConfig = Annotated[
    Annotated[Constant, Tag("constant")] | Annotated[StepDecay, Tag("step")]
    | Annotated[Exponential, Tag("exponential")] | Annotated[Cosine, Tag("cosine")],
    _by_kind("constant", "step", "exponential", "cosine")]


class Loss(_Fields):
    """Cross-entropy on the main logits plus weighted cross-entropy on each auxiliary head.

    `aux_weights` is one weight for every head or a mapping head name → weight; heads it
    does not name keep the `loss_weight` their spec gives them.
    """

    kind: Literal["cross_entropy"] = "cross_entropy"
    label_smoothing: Fraction = 0.0
    aux_weights: NonNeg | dict[StrictStr, NonNeg] | None = None


class EMA(_Fields):
    """A running average of the parameters (and BatchNorm statistics), evaluated and checkpointed.

    `warmup` uses TensorFlow's rule decay_n = min(decay, (1 + n) / (10 + n)), so the average
    is useful from the first epochs instead of staying near the initial weights.
    """

    decay: OpenFraction = 0.9999
    warmup: StrictBool = True


class Synthetic(_Fields):
    train: Images = 2048
    val: Images = 512
    seed: Seed = 0


class Data(_Fields):
    """Where images come from and how they are prepared; `--data` overrides `source`."""

    source: StrictStr = Field("synthetic", description="synthetic | cifar10:PATH | imagefolder:PATH")
    synthetic: Synthetic = Field(default_factory=Synthetic)
    augment: StrictBool = Field(True, description="random crop (padding 1/8 of the side) and horizontal flip")
    mean: list[Annotated[Number, Field(ge=-MAX_FACTOR, le=MAX_FACTOR)]] | None = Field(
        None, description="per-channel normalisation; default per source")
    std: list[Factor] | None = None
    val_fraction: OpenFraction = Field(0.1, description="imagefolder without a val/ folder: share held out")
    workers: Literal["auto"] | Workers = "auto"


BatchLimit = Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | Annotated[Number, Field(gt=0, le=1)]
"""A count of batches (an integer), or a share of them (a number in (0, 1])."""
Metric = Literal["val_loss", "val_top1", "val_top5", "train_loss", "train_top1", "train_top5"]


class EarlyStop(_Fields):
    """Stop when `metric` has not improved for `patience` epochs (losses must fall, accuracies rise).

    The count is a function of the epoch history the checkpoint carries, so a resumed run
    continues it exactly where the interrupted one was.
    """

    metric: Metric = "val_loss"
    patience: Count
    min_delta: NonNeg = Field(0.0, description="a smaller change does not count as an improvement")


class Recipe(_Fields):
    """Everything a training run needs besides the network and the data files."""

    recipe: StrictStr | None = Field(None, description="a recipe file merged under this section")
    epochs: Count = 10
    batch_size: Count = Field(32, description="per process")
    optimizer: OptimizerConfig = Field(default_factory=lambda: Adam(kind="adam"))
    schedule: ScheduleConfig = Field(default_factory=lambda: Constant(kind="constant"))
    loss: Loss = Field(default_factory=Loss)
    clip_grad_norm: Factor | None = None
    ema: EMA | None = None
    precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="auto: bf16 autocast on CUDA, fp32 elsewhere")
    channels_last: Literal["auto"] | StrictBool = Field("auto", description="auto: on CUDA only")
    compile: StrictBool = False
    seed: Seed = 0
    data: Data = Field(default_factory=Data)
    log_every: Count = Field(50, description="steps between log lines when stdout is not a terminal")
    tensorboard_every: Count = Field(10, description="steps between TensorBoard loss / learning-rate points")
    max_steps: Count | None = Field(None, description="stop after this many optimizer steps (the schedule "
                                                      "stays planned over `epochs`)")
    limit_batches: BatchLimit | None = Field(None, description="train and validate on this many batches "
                                                               "(or this share of them) per epoch")
    fast_dev_run: StrictBool = Field(False, description="one batch of training and one of validation, "
                                                        "one epoch; no files kept unless --out is given")
    early_stop: EarlyStop | None = None
