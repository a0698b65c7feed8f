"""gradtui.engine: exact NumPy training of small MLPs with per-layer gradient health.

Imports NumPy only: no terminal, no plotting.
"""

from .clip import clip_grad_norm, clip_grad_value
from .config import TrainConfig
from .optim import SGD, Adam, Optimizer, RMSprop, make_optimizer
from .parameter import Parameter

__all__ = [
    "Adam", "Optimizer", "Parameter", "RMSprop", "SGD", "TrainConfig",
    "clip_grad_norm", "clip_grad_value", "make_optimizer",
]
