"""gradtui.engine: exact NumPy training of small MLPs with per-layer gradient health.

Imports NumPy only: no terminal, no plotting.
"""

from gradtui.engine.curvature.hvp import HessianOperator
from gradtui.engine.curvature.lanczos import Eigen
from gradtui.engine.curvature.lr_finder import RangeTest
from gradtui.engine.curvature.noise_scale import NoiseScale
from gradtui.engine.curvature.trace import TraceEstimate
from gradtui.engine.nn.activations import (ACTIVATION_CLASSES, ACTIVATIONS, get_activation, sigmoid, softmax,
                                           softmax_jvp)
from gradtui.engine.nn.init import INITS
from gradtui.engine.train.checkpoint import CheckpointError
from gradtui.engine.optim.clip import CLIP_MODES, clip_grad_norm, clip_grad_value
from gradtui.engine.train.config import TrainConfig
from gradtui.engine.data.catalog import DATASETS, make_dataset
from gradtui.engine.data.dataset import Dataset
from gradtui.engine.nn.gradcheck import gradcheck
from gradtui.engine.inspect.landscape import Landscape
from gradtui.engine.inspect.trace import LayerTrace, Trace
from gradtui.engine.train.health import FLAG_KINDS, UNIT_STATES, Flag, LayerStats, StepStats
from gradtui.engine.nn.losses import LOSS_CLASSES, LOSSES, fitting_losses, get_loss
from gradtui.engine.nn.mlp import MLP, count_text, parameter_counts, total_count_text
from gradtui.engine.optim.optimizers import (OPTIMIZER_FACTORIES, OPTIMIZERS, SGD, Adam, Optimizer, RMSprop,
                                             check_optimizer, make_optimizer)
from gradtui.engine.calculus.objectives import REACH_TOL
from gradtui.engine.nn.parameter import Parameter
from gradtui.engine.train.runner import DescentSummary, FlagRecord, TrainSummary, run_descent, trainer_row
from gradtui.engine.scenarios.catalog import SCENARIOS, Scenario, get_scenario
from gradtui.engine.train.snapshot import Snapshot
from gradtui.engine.train.trainer import Evaluation, Trainer
from gradtui.engine.train.twin import SideSummary, Twin, TwinSummary
from gradtui.engine.calculus.secant import (DIVERGENCE_LIMIT, OBJECTIVES, RULES, Descent, Objective, Race, RaceResult,
                       SecantRow, TrajectoryRow, central_secant, get_objective, secant,
                       secant_slopes)

__all__ = [
    "Eigen", "HessianOperator", "NoiseScale", "RangeTest", "TraceEstimate",
    "ACTIVATIONS", "CLIP_MODES", "INITS", "LOSSES", "OPTIMIZERS", "OPTIMIZER_FACTORIES", "REACH_TOL",
    "check_optimizer",
    "ACTIVATION_CLASSES", "Adam", "CheckpointError", "DATASETS", "Dataset", "Evaluation",
    "FLAG_KINDS", "Flag", "LOSS_CLASSES", "Landscape", "LayerTrace", "Trace", "LayerStats", "MLP", "Optimizer", "Parameter",
    "RMSprop", "SGD", "Snapshot", "StepStats", "TrainConfig", "Trainer", "UNIT_STATES",
    "clip_grad_norm", "clip_grad_value", "fitting_losses", "get_activation", "get_loss", "gradcheck",
    "make_dataset", "make_optimizer", "count_text", "parameter_counts", "total_count_text", "sigmoid", "softmax", "softmax_jvp",
    "SCENARIOS", "Scenario", "get_scenario",
    "SideSummary", "Twin", "TwinSummary",
    "DescentSummary", "FlagRecord", "TrainSummary", "run_descent", "trainer_row",
    "DIVERGENCE_LIMIT", "OBJECTIVES", "RULES", "Descent", "Objective", "Race", "RaceResult",
    "SecantRow", "TrajectoryRow", "central_secant", "get_objective", "secant", "secant_slopes",
]
