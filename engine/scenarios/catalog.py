"""Named scenarios: small stories that each reproduce one training pathology, with a fix to try.

Every network scenario shows its phenomenon with its own seed (tests/test_scenarios.py
checks each one headless); every calculus objective is a scenario too.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradtui.engine.train.config import TrainConfig
from gradtui.engine.calculus.objectives import OBJECTIVES


@dataclass(frozen=True)
class Scenario:
    """A named starting point: a network config, or (for calculus mode) an objective name."""

    name: str
    story: str
    hint: str
    config: TrainConfig | None = None
    objective: str | None = None

    @property
    def is_calculus(self) -> bool:
        return self.objective is not None


_SINE_SGD = TrainConfig(dataset="sine", hidden=(16, 16), activation="tanh", optimizer="sgd",
                        batch_size=None)
"""lr-too-high and lr-too-low share this net (full-batch SGD on a sine fit) and differ only in lr."""

_NETWORKS = (
    Scenario("default", "A healthy 2-16-16-2 ReLU network learns the two-arm spiral.",
             "Press ] a few times to raise the learning rate and watch it break.",
             TrainConfig()),
    Scenario("exploding",
             "Five leaky-ReLU layers with weights drawn too large (std 0.5) under SGD at lr 0.1: "
             "every update makes the next gradient bigger, until the loss is NaN.",
             "Reset with norm clipping on (clip mode norm, clip 1): the same network then trains.",
             TrainConfig(hidden=(32,) * 5, activation="leaky_relu", init="normal:0.5",
                         optimizer="sgd", lr=0.1)),
    Scenario("vanishing",
             "Six sigmoid layers: each passes back at most a quarter of the gradient it gets, "
             "so the first layer receives a ten-thousandth of the output layer's and barely moves.",
             "Switch to a ReLU-family activation (best with He init), or turn on batch norm.",
             TrainConfig(hidden=(16,) * 6, activation="sigmoid", init="xavier",
                         optimizer="sgd", lr=0.1)),
    Scenario("dying-relu",
             "Adam at lr 0.1, ten times the default, knocks ReLU units below zero for every input; "
             "most of the second layer dies and never comes back.",
             "Use leaky_relu (a unit with a slope below zero cannot die) or a lower lr such as 0.01.",
             TrainConfig(hidden=(16, 16), activation="relu", optimizer="adam", lr=0.1)),
    Scenario("saturation",
             "Every tanh unit starts with a bias of 5, pinned near +1 where tanh is flat: "
             "almost no gradient gets through, and plain SGD leaves them stuck at chance.",
             "Switch the optimizer to adam (per-weight step sizes pull units out of the tails), "
             "or compare with the same tanh net with zero biases: gradtui --activation tanh.",
             TrainConfig(hidden=(16, 16), activation="tanh", init="xavier", bias_init=5.0,
                         optimizer="sgd", lr=0.1)),
    Scenario("lr-too-high",
             "Full-batch SGD at lr 0.3 on a sine fit: each step overshoots the valley, the loss "
             "bounces up and down, then grows without bound.",
             "Lower the lr ten times, to 0.03. lr-too-low is the same net at 0.0003.",
             _SINE_SGD.replace(lr=0.3)),
    Scenario("lr-too-low",
             "The same sine fit at lr 0.0003, a thousand times smaller: every step is safe and "
             "tiny, and after a thousand of them the loss has barely moved.",
             "Raise the lr a hundred times, to 0.03, and watch it converge.",
             _SINE_SGD.replace(lr=0.0003)),
    Scenario("line-fit",
             "One linear neuron, y = m x + b, learning the line y = 2x + 1: "
             "watch m and b walk to 2 and 1.",
             "Raise the lr to 1 or more and the same walk overshoots and diverges.",
             TrainConfig(dataset="linear", hidden=(), activation="linear", optimizer="sgd",
                         lr=0.1, batch_size=None)),
    Scenario("xor-linear",
             "XOR with linear activations: layers of linear maps stay one linear map, and no "
             "line separates XOR, so accuracy stays near chance.",
             "Switch the activation to tanh: the same weights start to bend and XOR is solved.",
             TrainConfig(dataset="xor", hidden=(8, 8), activation="linear")),
)

_CALCULUS_HINTS = {
    "quadratic": "Try lr 1.0 (x bounces between 10 and -10 forever), 1.1 (it diverges) and 0.01 "
                 "(it crawls).",
    "bowl": "Race momentum and adam against sgd: they damp the zig-zag across the steep walls.",
    "rosenbrock": "Race adam against sgd: plain SGD needs thousands of steps along the valley floor.",
    "himmelblau": "Move the start point and see which of the four minima each optimizer finds.",
    "saddle": "Watch sgd slow down near (0, 0) before it escapes; momentum escapes sooner.",
    "beale": "Compare adam and sgd: one step size rarely suits both the plateaus and the ridges.",
}

_CALCULUS = tuple(
    Scenario(name, cls.story, _CALCULUS_HINTS[name], None, name) for name, cls in OBJECTIVES.items()
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (*_NETWORKS, *_CALCULUS)}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; raises ValueError naming the valid ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}") from None
