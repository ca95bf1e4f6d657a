"""specs/cifar10_cnn.yaml against the Keras summary printed in seed 001."""

from __future__ import annotations

import archspec
from conftest import SPECS

# (name, Keras output shape (H, W, C) or (F,), Keras param count) from the seed's model.summary()
KERAS = [
    ("conv2d", (32, 32, 32), 896), ("bn", (32, 32, 32), 128), ("relu", (32, 32, 32), 0),
    ("conv2d_1", (30, 30, 32), 9248), ("bn_1", (30, 30, 32), 128), ("relu_1", (30, 30, 32), 0),
    ("max_pooling2d", (15, 15, 32), 0), ("dropout", (15, 15, 32), 0),
    ("conv2d_2", (15, 15, 64), 18496), ("bn_2", (15, 15, 64), 256), ("relu_2", (15, 15, 64), 0),
    ("conv2d_3", (13, 13, 64), 36928), ("bn_3", (13, 13, 64), 256), ("relu_3", (13, 13, 64), 0),
    ("max_pooling2d_1", (6, 6, 64), 0), ("dropout_1", (6, 6, 64), 0),
    ("flatten", (2304,), 0), ("dense", (512,), 1180160), ("bn_4", (512,), 2048), ("relu_4", (512,), 0),
    ("dropout_2", (512,), 0), ("dense_1", (10,), 5130),
]


def test_every_layer_matches_the_keras_summary():
    ir = archspec.check(SPECS / "cifar10_cnn.yaml")
    nodes = list(ir.ops())
    assert [d.name for _, d in nodes] == [k[0] for k in KERAS]
    for (_, d), (name, keras_shape, keras_params) in zip(nodes, KERAS):
        chw = keras_shape if len(keras_shape) == 1 else (keras_shape[2], keras_shape[0], keras_shape[1])
        assert d.shape == chw, name
        # Keras counts BN running statistics as (non-trainable) params; we count them as buffers
        assert d.params + d.buffers == keras_params, name


def test_totals_split_like_keras():
    t = archspec.check(SPECS / "cifar10_cnn.yaml").totals()
    assert t["params"] == 1_252_266  # Keras "Trainable params"
    assert t["buffers"] == 1_408  # Keras "Non-trainable params": BN moving mean and variance
    assert t["params"] + t["buffers"] == 1_253_674  # Keras "Total params"
