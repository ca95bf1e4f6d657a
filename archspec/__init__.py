"""archspec: a declarative architecture compiler for deep learning.

    import archspec
    ir = archspec.check("specs/inception_v3.yaml")        # shapes, params, MACs; no torch
    model = archspec.build("specs/inception_v3.yaml#paper")  # a plain torch.nn.Module
"""

from archspec.api import analyze, build, check, load, load_reference_weights, optimize_for_inference, summary
from archspec.errors import ArchspecError
from archspec.ir.budget import Limits

__all__ = ["ArchspecError", "Limits", "analyze", "build", "check", "load", "load_reference_weights",
           "optimize_for_inference", "summary"]
__version__ = "0.1.0"
