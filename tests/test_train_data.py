"""Data sources on small files in the real formats; damaged data ends in one error naming the file."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from archspec.errors import ArchspecError
from archspec.train.augment import BatchTransform
from archspec.train.distributed import World
from archspec.train.loader import Shard, train_loader
from archspec.train.recipe import Data
from archspec.train.sources import open_source
from archspec.train.synthetic import CLASSES, draw, native_size

N_PER_FILE = 12


def write_cifar(root: Path, labels: list[int] | None = None) -> Path:
    """A CIFAR-10 python directory: dicts with bytes keys, pickled as the original files are."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"batch_label": name.encode(), b"filenames": [b"img.png"] * N_PER_FILE,
                 b"data": rng.integers(0, 256, (N_PER_FILE, 3072), dtype=np.uint8),
                 b"labels": labels if labels is not None else [i % 10 for i in range(N_PER_FILE)]}
        with (root / name).open("wb") as f:
            pickle.dump(batch, f, protocol=2)
    return root


def write_images(root: Path, classes: int = 3, per_class: int = 4) -> Path:
    rng = np.random.default_rng(1)
    for c in range(classes):
        d = root / f"class_{c}"
        d.mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (10 + i, 14, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(d / (f"{i}.png" if i % 2 else f"{i}.jpg"))
    return root


def test_synthetic_is_deterministic_balanced_and_sized() -> None:
    a, la = draw(40, 3, 16, 20, seed=5)
    b, lb = draw(40, 3, 16, 20, seed=5)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert a.shape == (40, 3, 16, 20) and a.dtype == torch.uint8
    assert torch.bincount(la, minlength=10).tolist() == [4] * 10
    assert not torch.equal(draw(40, 3, 16, 20, seed=6)[0], a)
    assert native_size(299, 299) == (64, 64) and native_size(32, 32) == (32, 32)


def test_synthetic_source_states_what_it_is() -> None:
    cfg = Data.model_validate({"synthetic": {"train": 30, "val": 20}})
    s = open_source("synthetic", cfg, (1, 12, 12), 10)
    assert len(s.train) == 30 and len(s.val) == 20 and s.classes == len(CLASSES)
    assert "synthetic" in s.description and "not a real data set" in s.description
    image, label = s.train[0]
    assert image.shape == (1, 12, 12) and 0 <= int(label) < 10


def test_synthetic_classes_must_match_the_network() -> None:
    with pytest.raises(ArchspecError, match="10 classes but the network outputs 1000") as e:
        open_source("synthetic", Data(), (3, 32, 32), 1000)
    assert "params.classes=10" in str(e.value)


def test_cifar10_directory(tmp_path: Path) -> None:
    root = write_cifar(tmp_path / "cifar")
    s = open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)
    assert len(s.train) == 5 * N_PER_FILE and len(s.val) == N_PER_FILE
    image, label = s.train[N_PER_FILE + 1]
    with (root / "data_batch_2").open("rb") as f:
        raw = pickle.load(f, encoding="bytes")
    assert torch.equal(image, torch.from_numpy(raw[b"data"][1].reshape(3, 32, 32)))
    assert int(label) == raw[b"labels"][1]


def test_cifar10_missing_file(tmp_path: Path) -> None:
    root = write_cifar(tmp_path / "cifar")
    (root / "data_batch_4").unlink()
    with pytest.raises(ArchspecError, match="CIFAR-10 file missing: .*data_batch_4"):
        open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)


def test_cifar10_truncated_file(tmp_path: Path) -> None:
    root = write_cifar(tmp_path / "cifar")
    data = (root / "test_batch").read_bytes()
    (root / "test_batch").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchspecError, match="test_batch is truncated") as e:
        open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)
    assert len(e.value.problems) == 1


def test_cifar10_mislabelled_file(tmp_path: Path) -> None:
    root = write_cifar(tmp_path / "cifar", labels=[3] * (N_PER_FILE - 1) + [10])
    with pytest.raises(ArchspecError, match=r"data_batch_1: label 10 of image 11 is outside 0\.\.9"):
        open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)


@pytest.mark.parametrize("label, says", [
    ("3", "label '3' of image 5 is not a class number (an integer 0..9)"),
    ([1, 2], "label [1, 2] of image 5 is not a class number (an integer 0..9)"),
    (0.5, "label 0.5 of image 5 is not a class number (an integer 0..9)"),
    (True, "label True of image 5 is not a class number (an integer 0..9)"),
    (-1, "label -1 of image 5 is outside 0..9 (1 such labels)"),
])
def test_cifar10_labels_are_class_numbers(tmp_path: Path, label: object, says: str) -> None:
    labels: list = [3] * N_PER_FILE
    labels[5] = label
    root = write_cifar(tmp_path / "cifar", labels=labels)
    with pytest.raises(ArchspecError) as e:
        open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)
    assert str(e.value).startswith(f"error: CIFAR-10 file {root / 'data_batch_1'}: {says}\n    hint: download")


def test_cifar10_labels_as_an_array(tmp_path: Path) -> None:
    root = write_cifar(tmp_path / "cifar", labels=np.arange(N_PER_FILE) % 10)  # type: ignore[arg-type]
    s = open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)
    assert [int(s.train[i][1]) for i in range(3)] == [0, 1, 2]
    floats = write_cifar(tmp_path / "floats", labels=np.full(N_PER_FILE, 0.5))  # type: ignore[arg-type]
    with pytest.raises(ArchspecError, match="label 0.5 of image 0 is not a class number"):
        open_source(f"cifar10:{floats}", Data(), (3, 32, 32), 10)


def test_cifar10_refuses_code_in_pickles(tmp_path: Path) -> None:
    root = write_cifar(tmp_path / "cifar")

    class Evil:
        def __reduce__(self) -> tuple:
            return (print, ("pwned",))

    with (root / "data_batch_1").open("wb") as f:
        pickle.dump({b"data": Evil(), b"labels": []}, f, protocol=2)
    with pytest.raises(ArchspecError, match="data_batch_1 .*refusing to load (__builtin__|builtins).print"):
        open_source(f"cifar10:{root}", Data(), (3, 32, 32), 10)


def test_cifar10_wrong_channels_and_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(ArchspecError, match="3 channels but the network's input has 1"):
        open_source(f"cifar10:{tmp_path}", Data(), (1, 32, 32), 10)
    with pytest.raises(ArchspecError, match="CIFAR-10 directory not found"):
        open_source(f"cifar10:{tmp_path / 'nope'}", Data(), (3, 32, 32), 10)


def test_imagefolder_split_and_decoding(tmp_path: Path) -> None:
    root = write_images(tmp_path / "imgs", classes=3, per_class=4)
    s = open_source(f"imagefolder:{root}", Data(val_fraction=0.25), (3, 8, 6), 3)
    assert len(s.train) == 9 and len(s.val) == 3
    image, label = s.train[0]
    assert image.shape == (3, 8, 6) and image.dtype == torch.uint8 and int(label) == 0
    again = open_source(f"imagefolder:{root}", Data(val_fraction=0.25), (3, 8, 6), 3)
    assert again.val.files == s.val.files
    assert s.names == ("class_0", "class_1", "class_2")  # what `predict` prints


def test_imagefolder_train_val_layout(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs" / "train", classes=2, per_class=3)
    write_images(tmp_path / "imgs" / "val", classes=2, per_class=1)
    s = open_source(f"imagefolder:{tmp_path / 'imgs'}", Data(), (1, 8, 8), 2)
    assert (len(s.train), len(s.val)) == (6, 2) and s.train[0][0].shape == (1, 8, 8)


def test_imagefolder_truncated_image_named(tmp_path: Path) -> None:
    root = write_images(tmp_path / "imgs")
    bad = root / "class_1" / "2.jpg"
    bad.write_bytes(bad.read_bytes()[:200])
    s = open_source(f"imagefolder:{root}", Data(val_fraction=0.25), (3, 8, 8), 3)
    dataset = s.train if bad in s.train.files else s.val
    _, label = dataset[dataset.files.index(bad)]
    assert int(label) < 0
    with pytest.raises(ArchspecError, match=f"cannot read image {bad}"):
        dataset.check_batch(torch.stack([dataset[0][1], label]))


def test_imagefolder_mislabelled_and_empty_folders(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs" / "train", classes=2)
    write_images(tmp_path / "imgs" / "val", classes=3)
    with pytest.raises(ArchspecError, match="class_2 is not one of the training classes"):
        open_source(f"imagefolder:{tmp_path / 'imgs'}", Data(), (3, 8, 8), 2)
    root = write_images(tmp_path / "flat", classes=2)
    (root / "class_9").mkdir()
    with pytest.raises(ArchspecError, match="class_9 holds no images"):
        open_source(f"imagefolder:{root}", Data(), (3, 8, 8), 3)
    (root / "class_9").rmdir()
    with pytest.raises(ArchspecError, match="has 2 classes but the network outputs 5"):
        open_source(f"imagefolder:{root}", Data(), (3, 8, 8), 5)


def test_source_syntax_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchspecError, match="unknown data source 'imagenet:x'"):
        open_source("imagenet:x", Data(), (3, 8, 8), 10)
    with pytest.raises(ArchspecError, match="needs a path"):
        open_source("cifar10:", Data(), (3, 8, 8), 10)
    with pytest.raises(ArchspecError, match="image folder not found"):
        open_source(f"imagefolder:{tmp_path / 'none'}", Data(), (3, 8, 8), 10)
    with pytest.raises(ArchspecError, match="mean has 2 values"):
        open_source("synthetic", Data(mean=[0.1, 0.2]), (3, 8, 8), 10)


def test_crop_flip_matches_a_per_image_reference() -> None:
    images = torch.randint(0, 256, (6, 3, 16, 12), dtype=torch.uint8)
    out = BatchTransform._crop_flip(images, torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(3)
    dy = torch.randint(0, 5, (6,), generator=g)
    dx = torch.randint(0, 3, (6,), generator=g)
    flip = torch.rand(6, generator=g) < 0.5
    padded = F.pad(images, (1, 1, 2, 2))
    for i in range(6):
        crop = padded[i, :, dy[i]:dy[i] + 16, dx[i]:dx[i] + 12]
        assert torch.equal(out[i], crop.flip(2) if flip[i] else crop)


def test_batch_transform_resizes_normalises_and_formats() -> None:
    t = BatchTransform((20, 24), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), augment=True, channels_last=True,
                       device=torch.device("cpu"))
    images = torch.full((2, 3, 10, 12), 255, dtype=torch.uint8)
    x = t.eval(images)
    assert x.shape == (2, 3, 20, 24) and x.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(x, torch.full_like(x, 2.0))
    y = t.train(images, torch.Generator().manual_seed(0))
    assert y.shape == (2, 3, 20, 24)


def test_training_order_depends_on_seed_and_epoch_only() -> None:
    data = torch.utils.data.TensorDataset(torch.arange(40))
    loader, sampler = train_loader(data, 8, seed=1, world=World(), workers=0, pin=False)
    sampler.set_epoch(3)
    first = [b[0].tolist() for b in loader]
    loader2, sampler2 = train_loader(data, 8, seed=1, world=World(), workers=0, pin=False)
    sampler2.set_epoch(3)
    assert [b[0].tolist() for b in loader2] == first
    sampler2.set_epoch(4)
    assert [b[0].tolist() for b in loader2] != first
    with pytest.raises(ArchspecError, match="fewer than one batch"):
        train_loader(data, 64, seed=1, world=World(), workers=0, pin=False)


def test_validation_shards_cover_each_image_once() -> None:
    seen = sorted(i for r in range(3) for i in Shard(10, World(rank=r, size=3)))
    assert seen == list(range(10))


def test_a_run_records_its_data_path_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`eval` of a checkpoint from another directory read `imagefolder:if` relative to there."""
    from archspec.train.sources import recorded

    monkeypatch.chdir(tmp_path)
    assert recorded("imagefolder:if") == f"imagefolder:{tmp_path.resolve() / 'if'}"
    assert recorded("cifar10:~/c10") == f"cifar10:{Path('~/c10').expanduser().resolve()}"
    assert [recorded(s) for s in ("synthetic", "cifar10", "cifar100")] == ["synthetic", "cifar10", "cifar100"]
