"""gradtui.engine: exact NumPy training of small MLPs with per-layer gradient health.

Imports NumPy only: no terminal, no plotting.
"""

from .activations import ACTIVATION_CLASSES, get_activation, sigmoid, softmax, softmax_jvp
from .checkpoint import CheckpointError
from .clip import clip_grad_norm, clip_grad_value
from .config import TrainConfig
from .datasets import DATASETS, Dataset, make_dataset
from .gradcheck import gradcheck
from .health import FLAG_KINDS, UNIT_STATES, Flag, LayerStats, StepStats
from .losses import LOSS_CLASSES, get_loss
from .mlp import MLP
from .optim import SGD, Adam, Optimizer, RMSprop, make_optimizer
from .parameter import Parameter
from .runner import DescentSummary, FlagRecord, TrainSummary, run_descent, run_trainer, trainer_row
from .scenarios import SCENARIOS, Scenario, get_scenario
from .trainer import Evaluation, Snapshot, Trainer
from .calculus import (DIVERGENCE_LIMIT, OBJECTIVES, RULES, Descent, Objective, Race, RaceResult,
                       SecantRow, TrajectoryRow, central_secant, get_objective, secant,
                       secant_slopes)

__all__ = [
    "ACTIVATION_CLASSES", "Adam", "CheckpointError", "DATASETS", "Dataset", "Evaluation",
    "FLAG_KINDS", "Flag", "LOSS_CLASSES", "LayerStats", "MLP", "Optimizer", "Parameter",
    "RMSprop", "SGD", "Snapshot", "StepStats", "TrainConfig", "Trainer", "UNIT_STATES",
    "clip_grad_norm", "clip_grad_value", "get_activation", "get_loss", "gradcheck",
    "make_dataset", "make_optimizer", "sigmoid", "softmax", "softmax_jvp",
    "SCENARIOS", "Scenario", "get_scenario",
    "DescentSummary", "FlagRecord", "TrainSummary", "run_descent", "run_trainer", "trainer_row",
    "DIVERGENCE_LIMIT", "OBJECTIVES", "RULES", "Descent", "Objective", "Race", "RaceResult",
    "SecantRow", "TrajectoryRow", "central_secant", "get_objective", "secant", "secant_slopes",
]
