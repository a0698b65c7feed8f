"""Named scenarios: small stories that each reproduce one training pathology, with a fix to try
and a question to answer before the first step.

Every network scenario shows its phenomenon with its own seed, and its hint names only keys
the app has and promises only what doing exactly that produces, measured headless
(tests/engine/test_scenarios.py) and in the app (tests/tui/test_app_stories.py). Every
calculus objective is a scenario too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from gradtui.engine.train.config import TrainConfig
from gradtui.engine.calculus.objectives import OBJECTIVES, REACH_TOL
from gradtui.engine.predictions import NONE_OF_THEM, Evidence, Prediction, pick

@dataclass(frozen=True)
class Scenario:
    """A named starting point: a network config, or (for calculus mode) an objective name."""

    name: str
    story: str
    hint: str
    config: TrainConfig | None = None
    objective: str | None = None
    prediction: Prediction | None = None
    fix: dict[str, Any] | None = None
    """The change the hint makes, as TrainConfig settings that ``Trainer.update`` applies
    mid-run: twin mode's "compare with the fix" trains it as run B beside the run as it is."""

    @property
    def is_calculus(self) -> bool:
        return self.objective is not None


# --- how each prediction's answer is read off the run ------------------------------------

def _accuracy_judge(bounds: tuple[float, ...], order: tuple[int, ...]):
    """Judge by test accuracy: the band it falls in (``bounds``, ascending) mapped to an
    answer index by ``order``."""
    def judge(trainer, stats, first) -> tuple[int, str]:
        accuracy = trainer.evaluate().test_accuracy
        return order[pick(accuracy, bounds)], f"step {stats.step}: test accuracy {accuracy:.1%}"
    return judge


def _nonfinite(stats) -> bool:
    return bool(stats.flagged("nonfinite"))


def _blew_up(trainer, stats) -> bool:
    """An ``Evidence.early``: the step went NaN/Inf, so the answer shows now."""
    return _nonfinite(stats)


def _loss_path(trainer, stats, first) -> tuple[int, str]:
    """0 fell, 1 blew up (NaN/Inf or a thousand times its start), 2 stayed."""
    start = f"{first.loss:.3g} at step {first.step}"
    if not math.isfinite(stats.loss) or stats.loss > 1e3 * first.loss or _nonfinite(stats):
        return 1, (f"step {stats.step}: the loss is {stats.loss:.3g} (from {start}); "
                   f"the update is skipped")
    if stats.loss < 0.5 * first.loss:
        return 0, f"step {stats.step}: the loss fell to {stats.loss:.3g} from {start}"
    return 2, f"step {stats.step}: the loss is {stats.loss:.3g}, from {start}"


def _slowest_layer(trainer, stats, first) -> tuple[int, str]:
    """0 the first layer, 1 a middle one, 2 the output layer: the smallest update/w."""
    ratios = [ls.update_ratio for ls in stats.layers]
    slowest = min(range(len(ratios)), key=ratios.__getitem__)
    answer = 0 if slowest == 0 else 2 if slowest == len(ratios) - 1 else 1
    first_layer, out = stats.layers[0], stats.layers[-1]
    return answer, (f"step {stats.step}: update/w is {ratios[0]:.2g} in {first_layer.name} and "
                    f"{ratios[-1]:.2g} in {out.name}; {first_layer.name}'s gradient norm is "
                    f"{first_layer.grad_norm / out.grad_norm:.2g} times the output layer's")


def _dead_share(trainer, stats, first) -> tuple[int, str]:
    layer = stats.layers[1]
    share = layer.dead / layer.width
    answer = 0 if share == 0 else 1 if share < 0.5 else 2
    return answer, (f"step {stats.step}: {layer.dead} of {layer.width} units of {layer.name} output "
                    f"zero for every probe input")


def _saturated_accuracy(trainer, stats, first) -> tuple[int, str]:
    answer, text = _accuracy_judge((0.6, 0.9), (2, 1, 0))(trainer, stats, first)
    layer = stats.layers[1]
    return answer, f"{text}; {layer.saturated} of {layer.width} units of {layer.name} saturated"


def _loss_share(trainer, stats, first) -> tuple[int, str]:
    share = stats.loss / first.loss
    return pick(share, (0.1, 0.7)), (f"step {stats.step}: the loss is {stats.loss:.3g}, "
                                     f"{share:.0%} of step {first.step}'s {first.loss:.3g}")


def _sharpness_at_limit(trainer, stats, first) -> tuple[int, str]:
    """0 still near its start, 1 hovering at 2/lr (within 20%), 2 far past it."""
    sharpness, limit = trainer.sharpness(), 2 / stats.lr
    share = sharpness / limit
    answer = 1 if 0.8 <= share <= 1.2 else 2 if share > 1.2 else 0
    return answer, (f"step {stats.step}: the sharpness is {sharpness:.1f}, {share:.0%} of 2/lr = {limit:.1f}; "
                    f"the loss is {stats.loss:.3g}, from {first.loss:.3g} at step {first.step}")


LINE_CLOSE = 0.01
"""line-fit's question: which of m and b first gets within this share of its target."""


def _line_offsets(trainer) -> tuple[float, float, float, float]:
    """m, b and how far each is from its target (slope 2, intercept 1), as shares of it."""
    layer = trainer.model.layers[0]
    m, b = float(layer.W.value[0, 0]), float(layer.b.value[0])
    return m, b, abs(m - 2) / 2, abs(b - 1)


def _line_close(trainer, stats) -> bool:
    """Either of m and b within ``LINE_CLOSE`` of its target: the question is answered."""
    _, _, m_off, b_off = _line_offsets(trainer)
    return min(m_off, b_off) <= LINE_CLOSE


def _line_first(trainer, stats, first) -> tuple[int, str]:
    """0 m, 1 b: the one within 1% of its target (the closer, if both got there on this step);
    ``NONE_OF_THEM`` at step ``by`` if neither did, saying whether the run diverged."""
    m, b, m_off, b_off = _line_offsets(trainer)
    numbers = f"step {stats.step}: b = {b:.4f} ({b_off:.1%} from 1), m = {m:.4f} ({m_off:.1%} from 2)"
    if min(m_off, b_off) <= LINE_CLOSE:
        return (1 if b_off < m_off else 0), numbers
    started = min(abs(float(first.loss)), 1e300) if first is not None else math.inf
    how = "the run diverged" if not math.isfinite(stats.loss) or stats.loss > 10 * started else "not yet"
    return NONE_OF_THEM, f"{numbers}: neither is within 1% of its target ({how})"


def _first_layer_share(trainer, stats, first) -> tuple[int, str]:
    """0 under a hundredth, 1 a hundredth to a third, 2 more: layers.0's gradient norm over
    the output layer's."""
    first_layer, out = stats.layers[0], stats.layers[-1]
    share = first_layer.grad_norm / out.grad_norm
    return pick(share, (0.01, 0.3)), (f"step {stats.step}: {first_layer.name}'s gradient norm is "
                                      f"{share:.2g} times {out.name}'s")


def _test_loss_left(trainer, stats, first) -> tuple[int, str]:
    """0 under 0.05, 1 0.05 to 0.2, 2 above: the test loss once the train loss is near zero."""
    ev = trainer.evaluate()
    return pick(ev.test_loss, (0.05, 0.2)), (f"step {stats.step}: train loss {ev.train_loss:.2g}, "
                                             f"test loss {ev.test_loss:.3g}")


def _intercept_drag(trainer, stats, first) -> tuple[int, str]:
    """0 within 0.2 of the line's intercept 1, 1 more than 0.2 above it, 2 more than 0.2 below."""
    layer = trainer.model.layers[0]
    m, b = float(layer.W.value[0, 0]), float(layer.b.value[0])
    answer = 0 if abs(b - 1) <= 0.2 else 1 if b > 1 else 2
    return answer, f"step {stats.step}: m = {m:.3f}, b = {b:.3f} (the line without outliers: m = 2, b = 1)"


def _loss_floor(trainer, stats, first) -> tuple[int, str]:
    """0 exactly 0, 1 above 0 but under a tenth of its start, 2 not below a tenth."""
    answer = 0 if stats.loss == 0 else 1 if stats.loss < 0.1 * first.loss else 2
    return answer, f"step {stats.step}: the loss is {stats.loss:.3g} (from {first.loss:.3g} at step {first.step})"


_SINE_SGD = TrainConfig(dataset="sine", hidden=(16, 16), activation="tanh", optimizer="sgd",
                        batch_size=None)
"""lr-too-high and lr-too-low share this net (full-batch SGD on a sine fit) and differ only in lr."""

_CHANCE_TO_HIGH = ("near chance, below 65%", "between 65% and 95%", "above 95%")

_NETWORKS = (
    Scenario("default", "A healthy 2-16-16-2 ReLU network learns the two-arm spiral with Adam at lr 0.01.",
             "Press ] twice (lr 0.1) and watch it break: within 100 steps ReLU units start dying "
             "(a DEAD badge) and test accuracy falls below 80%.",
             TrainConfig(),
             fix={"lr": 0.1},
             prediction=Prediction("Adam at lr 0.01 on the two-arm spiral: where will test accuracy be at step 2,000?",
                        _CHANCE_TO_HIGH, 2, Evidence(2000, _accuracy_judge((0.65, 0.95), (0, 1, 2))))),
    Scenario("exploding",
             "Five leaky-ReLU layers with weights drawn too large (std 0.5) under SGD at lr 0.1: "
             "every update makes the next gradient bigger, until the loss is NaN.",
             "When it pauses at NaN, press x (clip the gradient norm at 1) or [ (lr 0.03), then "
             "space: the change applies from step 0, before the blow-up, the loss stays finite and "
             "test accuracy passes 90% within 1,000 steps.",
             TrainConfig(hidden=(32,) * 5, activation="leaky_relu", init="normal:0.5",
                         optimizer="sgd", lr=0.1),
             fix={"clip_mode": "norm", "clip": 1.0},
             prediction=Prediction("Five leaky-ReLU layers, weights std 0.5, SGD at lr 0.1: what will the loss do "
                        "in the first 100 steps?",
                        ("fall steadily", "blow up to NaN", "barely move"), 1,
                        Evidence(100, _loss_path, _blew_up))),
    Scenario("vanishing",
             "Six sigmoid layers: each passes back at most a quarter of the gradient it gets, "
             "so the first layer receives a ten-thousandth of the output layer's and barely moves.",
             "Press a three times (tanh, linear, then relu, whose slope is 1 wherever a unit is "
             "active): VANISHING clears and test accuracy passes 90% within 1,500 steps and stays there.",
             TrainConfig(hidden=(16,) * 6, activation="sigmoid", init="xavier",
                         optimizer="sgd", lr=0.1),
             fix={"activation": "relu"},
             prediction=Prediction("The learning rate is 0.1 and the network is 6 sigmoid layers deep. "
                        "Which layer will learn slowest?",
                        ("layers.0, nearest the input", "a middle layer", "layers.6, the output layer"),
                        0, Evidence(100, _slowest_layer))),
    Scenario("dying-relu",
             "Adam at lr 0.1, ten times the default, knocks ReLU units below zero for every input: "
             "within a dozen steps half of the second layer is dead, soon nearly all of it, and test "
             "accuracy sinks toward chance (54% at step 3,000).",
             "When the DEAD badge shows, press a (leaky_relu: a unit with a slope below zero cannot "
             "die) and [ [ (lr 0.01): test accuracy passes 90% within 2,000 steps and stays above 80%.",
             TrainConfig(hidden=(16, 16), activation="relu", optimizer="adam", lr=0.1, seed=2),
             fix={"activation": "leaky_relu", "lr": 0.01},
             prediction=Prediction("Adam at lr 0.1 trains a 2-16-16-2 ReLU network. How much of the second "
                        "hidden layer will be dead at step 100?",
                        ("none of it", "a few units", "half of it or more"), 2,
                        Evidence(100, _dead_share))),
    Scenario("saturation",
             "Every tanh unit starts with a bias of 5, pinned near +1 where tanh is flat: "
             "almost no gradient gets through, and plain SGD leaves them stuck at chance.",
             "Press o four times (to adam), then [ twice (lr 0.01): Adam's per-weight steps pull the "
             "units out of the tails; SATURATED clears within 200 steps and test accuracy passes "
             "90% within 4,000 steps and stays there.",
             TrainConfig(hidden=(16, 16), activation="tanh", init="xavier", bias_init=5.0,
                         optimizer="sgd", lr=0.1),
             fix={"optimizer": "adam", "lr": 0.01},
             prediction=Prediction("Every tanh unit starts with a bias of 5 and SGD runs at lr 0.1. "
                        "Where will test accuracy be at step 1,000?",
                        ("above 90%", "between 60% and 90%", "near chance, below 60%"), 2,
                        Evidence(1000, _saturated_accuracy))),
    Scenario("lr-too-high",
             "Full-batch SGD at lr 0.3 on a sine fit. The sharpness (the Hessian's top eigenvalue) "
             "is 25.8 at the start: stable only below lr 2/25.8 = 0.078, and 0.3 is 3.9 times that. "
             "The loss rises from step 2 and overflows at step 239.",
             "When it pauses at NaN, press [ three times (lr 0.01), then space: the change applies "
             "from step 0, before the blow-up, and the loss falls below 0.01 within 2,500 steps "
             "and stays there.",
             _SINE_SGD.replace(lr=0.3),
             fix={"lr": 0.01},
             prediction=Prediction("Full-batch SGD at lr 0.3 fits a sine: what will the loss do?",
                        ("fall smoothly", "grow without bound, to NaN", "stay about where it starts"),
                        1, Evidence(300, _loss_path, _blew_up))),
    Scenario("lr-too-low",
             "The same sine fit at lr 0.0003, a thousand times smaller: every step is safe and "
             "tiny, and after a thousand of them the loss has barely moved.",
             "Press ] three times (lr 0.01): the loss falls below 0.01 within 2,500 steps and "
             "stays there.",
             _SINE_SGD.replace(lr=0.0003),
             fix={"lr": 0.01},
             prediction=Prediction("The same sine fit at lr 0.0003: at step 1,000, how much of its first "
                        "loss will be left?",
                        ("under 10%", "between 10% and 70%", "over 70%: it barely moves"), 2,
                        Evidence(1000, _loss_share))),
    Scenario("edge-of-stability",
             "Full-batch descent at lr 0.03 on a sine fit (1-32-32-1 tanh): the sharpness starts at "
             "43.7, climbs to 90% of 2/lr = 66.7 at step 448, then hovers (60 to 73 until step 2,000) "
             "while the loss falls in fits and starts.",
             "Press [ before the first step (lr 0.01, 2/lr = 200, far above the sharpness): the loss "
             "falls at every step without a single rise, but slower: above 0.005 at step 2,000, where "
             "lr 0.03 is below 0.002.",
             TrainConfig(dataset="sine", hidden=(32, 32), activation="tanh", optimizer="sgd", lr=0.03,
                         batch_size=None),
             fix={"lr": 0.01},
             prediction=Prediction("Stable while the sharpness is below 2/lr = 66.7; it starts at 43.7. "
                        "Where will it be at step 1,500?",
                        ("still near 44", "at 2/lr, hovering", "far past 2/lr"), 1,
                        Evidence(1500, _sharpness_at_limit))),
    Scenario("line-fit",
             "One linear neuron, y = m x + b, learning the line y = 2x + 1: "
             "watch m and b walk to 2 and 1.",
             "Press ] twice (lr 1): every step overshoots further, and the loss grows from step 3 on.",
             TrainConfig(dataset="linear", hidden=(), activation="linear", optimizer="sgd",
                         lr=0.1, batch_size=None),
             fix={"lr": 1.0},
             prediction=Prediction("y = m x + b learns y = 2x + 1 at lr 0.1, from m and b near 0. "
                        "Which gets within 1% of its target first?",
                        ("m, the slope", "b, the intercept"), 1, Evidence(60, _line_first, _line_close))),
    Scenario("xor-linear",
             "XOR with linear activations: layers of linear maps stay one linear map, and no "
             "line separates XOR, so accuracy stays near chance.",
             "Press a (relu): the same weights start to bend, and test accuracy passes 95% within "
             "200 steps.",
             TrainConfig(dataset="xor", hidden=(8, 8), activation="linear"),
             fix={"activation": "relu"},
             prediction=Prediction("Two hidden layers of 8 linear units learn XOR. Where will test accuracy "
                        "be at step 500?",
                        ("above 95%", "between 65% and 95%", "near chance, below 65%"), 2,
                        Evidence(500, _accuracy_judge((0.65, 0.95), (2, 1, 0))))),
    Scenario("batchnorm-dying",
             "The dying-relu run again (Adam at lr 0.1 on a 2-16-16-2 ReLU network): within a "
             "dozen steps half of the second layer outputs zero for every input. Batch norm is "
             "the other fix: it re-centres each unit's z on every batch.",
             "When the DEAD badge shows, press N (batch norm on, weights kept): a unit below zero "
             "for every input is pulled back to a mean of zero, and test accuracy passes 85% "
             "within 1,500 steps.",
             TrainConfig(hidden=(16, 16), activation="relu", optimizer="adam", lr=0.1, seed=2),
             fix={"batchnorm": True},
             prediction=Prediction("Adam at lr 0.1 on a ReLU network, left alone: where will test accuracy "
                        "be at step 1,500?",
                        ("above 90%", "between 65% and 90%", "near chance, below 65%"), 2,
                        Evidence(1500, _accuracy_judge((0.65, 0.9), (2, 1, 0))))),
    Scenario("batchnorm-vanishing",
             "The vanishing run again (six sigmoid layers, SGD at lr 0.1): each layer's z drifts "
             "where sigmoid is flat, and layers.0 gets a ten-thousandth of the output layer's "
             "gradient. Batch norm keeps every layer's z at mean 0 and spread 1, where sigmoid is steepest.",
             "Press N (batch norm on, weights kept): VANISHING clears within 100 steps, from step 50 "
             "on layers.0's gradient norm stays above a fiftieth of the output layer's (it was a "
             "ten-thousandth), and test accuracy passes 60% within 3,000 steps (without it, it "
             "stays near 50%).",
             TrainConfig(hidden=(16,) * 6, activation="sigmoid", init="xavier",
                         optimizer="sgd", lr=0.1),
             fix={"batchnorm": True},
             prediction=Prediction("Six sigmoid layers, SGD at lr 0.1. At step 100, how much of the output "
                        "layer's gradient norm reaches layers.0?",
                        ("under a hundredth", "a hundredth to a third", "more than a third"), 0,
                        Evidence(100, _first_layer_share))),
    Scenario("overfitting",
             "A 2-64-64-2 network and 50 noisy training points from the circle: Adam drives the train "
             "loss to zero by memorising them, noise and all, while the test loss, lowest near "
             "step 100, climbs for the rest of the run.",
             "Press r, then U, type plateau:100 and press enter (early stopping: stop once the test "
             "loss has had no new best for 100 steps): the run stops before step 300, with a lower "
             "test loss than the run reaches by step 2,000.",
             TrainConfig(dataset="circle", n_samples=100, noise=0.25, hidden=(64, 64), optimizer="adam",
                         lr=0.003, batch_size=None, seed=1),
             prediction=Prediction("The train loss goes to nearly zero. Where will the test loss be at step 2,000?",
                        ("near zero too, under 0.05", "between 0.05 and 0.2",
                         "above 0.2: it learned the noise"), 2, Evidence(2000, _test_loss_left))),
    Scenario("batch-size",
             "The default spiral network, but every step sees one sample (batch size 1): each "
             "gradient is one point's opinion, the loss jumps from step to step, and after 1,000 "
             "steps (4 epochs) the network is still far from done.",
             "Press r, then b twice (batch 32, from the same first weights): within 1,000 steps the "
             "loss curve's jitter falls to under a third of batch 1's and test accuracy passes 75%; "
             "b twice more (full batch): every step is a whole epoch of 250 samples, and smooth.",
             TrainConfig(batch_size=1),
             fix={"batch_size": 32},
             prediction=Prediction("Adam at lr 0.01, one sample per step. Where will test accuracy be at "
                        "step 1,000?",
                        ("below 70%", "between 70% and 90%", "above 90%"), 0,
                        Evidence(1000, _accuracy_judge((0.7, 0.9), (0, 1, 2))))),
    Scenario("outlier",
             "y = m x + b fits the line y = 2x + 1, but every twentieth point lies 15 above it. "
             "Squared error weighs a point 15 off as much as 225 points 1 off, so the outliers drag "
             "the line up.",
             "Press m (loss mae: absolute error counts an outlier only 15 times): within 1,000 "
             "steps m and b are within 3% of 2 and 1.",
             TrainConfig(dataset="outlier", noise=0.1, hidden=(), activation="linear", optimizer="sgd",
                         lr=0.1, batch_size=None),
             fix={"loss": "mae"},
             prediction=Prediction("Every twentieth point is 15 above y = 2x + 1. Where will MSE's intercept "
                        "b be at step 1,000?",
                        ("within 0.2 of 1", "more than 0.2 above 1", "more than 0.2 below 1"), 1,
                        Evidence(1000, _intercept_drag))),
    Scenario("hinge",
             "One linear neuron separates two blobs with binary cross-entropy: the loss falls "
             "forever and never reaches 0, and the weights keep growing to push every score further "
             "from the boundary.",
             "Press m (hinge loss): within 1,000 steps the loss is exactly 0: every point is past "
             "the margin (score times label at least 1), its gradient is zero and the weights stop moving.",
             TrainConfig(dataset="gauss", hidden=(), activation="linear", loss="bce", optimizer="sgd",
                         lr=0.3, batch_size=None),
             fix={"loss": "hinge"},
             prediction=Prediction("Binary cross-entropy on two blobs a line separates: what will the loss "
                        "be at step 500?",
                        ("exactly 0", "above 0, under a tenth of where it started", "no lower than a tenth"),
                        1, Evidence(500, _loss_floor))),
    Scenario("digits",
             "The seeds' two-layer digit classifier, 64-32-10 with ReLU and Adam, on scikit-learn's "
             "8x8 handwritten digits (1,797 images) in place of MNIST; gradtui --data DIR trains "
             "it on MNIST's IDX files. The output view shows the confusion matrix and the digits it "
             "gets wrong.",
             "Press space: test accuracy passes 90% within 300 steps; the confusion matrix shows "
             "which digits it still mixes up.",
             TrainConfig(dataset="digits", hidden=(32,)),
             prediction=Prediction("A 64-32-10 network learns 8x8 digits. Where will test accuracy be at "
                        "step 500?",
                        ("below 50%", "between 50% and 90%", "above 90%"), 2,
                        Evidence(500, _accuracy_judge((0.5, 0.9), (0, 1, 2))))),
)


def _quadratic_path(descent, row, first) -> tuple[int, str]:
    """0 one side, shrinking; 1 overshooting back and forth; 2 not closing in."""
    xs = [float(r.x[0]) - float(descent.objective.minima[0][0]) for r in descent.trajectory[: row.step + 1]]
    crossings = sum(a * b < 0 for a, b in zip(xs, xs[1:]))
    shown = " -> ".join(f"{x:.3g}" for x in xs[:4])
    if abs(xs[-1]) >= abs(xs[0]):
        return 2, f"step {row.step}: x = {xs[-1]:.3g}, no closer than at the start"
    if crossings:
        return 1, f"x = {shown} ...: it crossed the vertex {crossings} times in {row.step} steps"
    return 0, (f"x = {shown} ... {xs[-1]:.3g} at step {row.step}: always on the same side, "
               f"keeping {xs[1] / xs[0]:.3g} of the distance each step")


def _rosenbrock_arrival(descent, row, first) -> tuple[int, str]:
    step = descent.steps_to_minimum()
    if step is None:
        x, y = row.x
        return 2, (f"step {row.step}: (x, y) = ({x:.3g}, {y:.3g}), f = {row.f:.3g}: still crawling "
                   f"along the valley floor toward (1, 1)")
    return pick(step, (501, 3001)), f"it reached the minimum (within {REACH_TOL:g}) at step {step}"


def _saddle_escape(descent, row, first) -> tuple[int, str]:
    """0 stays at the saddle, 1 slides in along x then leaves along y, 2 anything else."""
    x, y = (float(v) for v in row.x)
    if abs(y) > 1 and abs(x) < 0.1:
        x0, y0 = (float(v) for v in descent.start)
        return 1, (f"step {row.step}: x = {x:.2g} (from {x0:g}) and y = {y:.3g} (from {y0:g}): "
                   f"in along x, out along y")
    if math.hypot(x, y) < 0.01:
        return 0, f"step {row.step}: (x, y) = ({x:.2g}, {y:.2g}), at the saddle"
    return 2, f"step {row.step}: (x, y) = ({x:.3g}, {y:.3g})"


def _himmelblau_minimum(descent, row, first) -> tuple[int, str]:
    minima = descent.objective.minima
    x = row.x
    nearest = min(range(len(minima)), key=lambda i: math.dist(x, minima[i]))
    return nearest, f"step {row.step}: (x, y) = ({x[0]:.4g}, {x[1]:.4g}), f = {row.f:.3g}"


def _reaches(objective: str) -> Callable[[Any, Any], bool]:
    """Whether a row of a descent on ``objective`` (default constants) is at a minimum."""
    surface = OBJECTIVES[objective]()
    return lambda descent, row: surface.reached(row.x)


def _well(descent, row, first) -> tuple[int, str]:
    """0 the deep well, 1 the shallow one, 2 neither (diverged or between)."""
    surface = descent.objective
    x = float(row.x[0])
    if abs(x - surface.minima[0][0]) < 0.1:
        answer = 0
    elif abs(x - surface.shallow) < 0.1:
        answer = 1
    else:
        answer = 2
    return answer, f"step {row.step}: x = {x:.4g}, f = {row.f:.4g}"


_CALCULUS_PREDICTIONS = {
    "quadratic": Prediction(
        "SGD at lr 0.1 on f = x^2, from x = 10. How will x approach the minimum at 0?",
        ("from one side, a fixed share closer each step", "overshooting back and forth across 0",
         "it never gets closer"), 0, Evidence(30, _quadratic_path)),
    "rosenbrock": Prediction(
        "SGD at lr 0.001 from (-1.2, 1) in the banana valley: when will it reach the minimum at (1, 1)?",
        ("within 500 steps", "between 500 and 3,000 steps", "not within 3,000 steps"), 2,
        Evidence(3000, _rosenbrock_arrival, _reaches("rosenbrock"))),
    "saddle": Prediction(
        "SGD at lr 0.1 starts at (1.5, 0.001), almost on the line straight into the saddle point "
        "(0, 0). Where will it go?",
        ("it stops at the saddle point", "in along x, then away along y", "away along x"), 1,
        Evidence(300, _saddle_escape, lambda descent, row: abs(float(row.x[1])) > 1)),
    "himmelblau": Prediction(
        "SGD at lr 0.01 starts at (0, 0) among four equal minima. Which one will it find?",
        ("(3, 2)", "(-2.81, 3.13)", "(-3.78, -3.28)", "(3.58, -1.85)"), 0,
        Evidence(1000, _himmelblau_minimum, _reaches("himmelblau"))),
    "double-well": Prediction(
        "SGD at lr 0.01 starts at x = 2, right of a shallow well (x = 0.96) and a deeper one "
        "beyond a bump (x = -1.04). Where will it settle?",
        ("in the deep well", "in the shallow well", "nowhere: it diverges"), 1,
        Evidence(300, _well)),
}


_CALCULUS_HINTS = {
    "quadratic": "] three times (lr 0.8): x overshoots 0 every step yet closes in; once more (lr 1, "
                 "the limit 2/λmax that c shows): it jumps between 10 and -10 for ever; once more "
                 "(lr 1.2): it diverges; [ twice from lr 0.1 (lr 0.01): it crawls.",
    "bowl": "R races all five from the same start: sgd zig-zags across the steep y walls and "
            "arrives at step 126, nesterov first at step 109.",
    "rosenbrock": "R races all five: adam reaches (1, 1) first (step 1,220), momentum and nesterov "
                  "by step 1,620; sgd is not there in 10,000 steps.",
    "himmelblau": "Move the start with the arrows, then R: which of the four minima does each "
                  "optimizer find?",
    "saddle": "R races all five: adam leaves the saddle first (|y| past 1 at step 11), sgd at "
              "step 38, momentum last (step 46).",
    "beale": "R races all five: sgd at lr 0.01 needs 1,955 steps to the minimum; adam (227) and "
             "nesterov (229) under an eighth of that.",
    "double-well": "SGD at lr 0.01 settles in the shallow well at x = 0.96; ] twice (lr 0.11), then r: "
                   "the first step jumps the bump and it settles in the deep well at x = -1.04. "
                   "Or o (momentum at lr 0.01, a fresh descent from x = 2): it rolls over the bump into the deep well.",
}
"""Shown in calculus mode under the surface's story; every number is the race's
(tests/engine/test_scenario_hints.py checks them against Race)."""

_CALCULUS = tuple(
    Scenario(name, cls.story, _CALCULUS_HINTS[name], None, name, _CALCULUS_PREDICTIONS.get(name))
    for name, cls in OBJECTIVES.items()
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (*_NETWORKS, *_CALCULUS)}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; raises ValueError naming the valid ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}") from None
