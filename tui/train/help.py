"""What the training screen's ``?`` help shows: its keys (from ``keys.KEYS`` and
``keys.HELP``, so the list cannot drift) and what each number and mark means; each note
is also the tooltip of its pane."""

from __future__ import annotations

from gradtui.tui.train.keys import HELP, KEYS
from gradtui.tui.widgets.help_screen import KeyRow

HEALTH_NOTES = (
    "[b]Layer health[/b], one row per layer:\n"
    "  units: the layer's width.  |grad| 1e-8…1e4: a bar of the layer's gradient norm on a log "
    "scale, empty at 1e-8, full at 1e4 (red while EXPLODING, blue while VANISHING).  norm: that "
    "gradient norm; healthy between the vanish line (1e-3 times the output layer's) and the "
    "explode line (1e3).  update/w: the size of the step just taken divided by the size of the "
    "layer's weights; around 1e-3 is healthy (1e-4 to 1e-2), far above means the lr is too "
    "high, far below that the layer barely learns.  dead / sat: units dead or saturated at the "
    "last probe; healthy is 0, or a few.\n"
    "  Neuron strip: one cell per unit, green and brighter for a larger mean |dL/dz|, dark grey "
    "when dead, orange when saturated; (64→45) means 64 units share 45 cells, each showing "
    "the worst of its group."
)
BADGE_NOTES = (
    "[b]Badges[/b]: EXPLODING (gradient norm above explode_norm, 1e3, or more than 1e3 times the "
    "output layer's), VANISHING (below 1e-3 times the output layer's), DEAD n/m (at least half "
    "of a ReLU layer outputs zero on every probe input), SATURATED n/m (at least half of the "
    "units have a slope below 5% of its maximum on every probe input), NaN (a non-finite loss, "
    "gradient or update: the update was skipped and training paused). A badge on grey with "
    "@step (VANISHING @2,260) no longer holds: it held last at that step and clears after "
    "25 clean steps."
)
LOSS_NOTES = (
    "[b]Loss plot[/b]: the minibatch loss drawn as a band from the lowest to the highest loss "
    "in each bucket (its thickness is the batch-to-batch noise), the train and test loss over "
    "the whole sets, and a vertical mark at each control change. N steps/bucket: once the run "
    "is longer than the plot is wide, each column sums up N steps. Healthy: the band narrows "
    "and falls, and test stays close to train."
)
GRADIENT_NOTES = (
    "[b]Gradient plot[/b]: each layer's gradient norm per step (the largest in each bucket), "
    "with the explode line (1e3) and the vanish line (1e-3 times the output layer's norm); "
    "healthy lines run between the two. Beyond the axis's ends (1e-13, 1e7) a line runs along "
    "the edge, labelled ≤ or ≥."
)
SHARPNESS_NOTES = (
    "[b]Sharpness pane[/b] (h, in place of the gradient plot): λmax, the largest eigenvalue of the "
    "Hessian of the training loss (whole training set, weight decay included), measured every "
    "so often in the background (at most a tenth of training time, each measurement warm-started "
    "from the last), against the stability line 2/lr (2(1+β)/lr with momentum β, 2(1+β)/((1+2β)lr) "
    "with nesterov). On a quadratic, gradient descent diverges along any direction curved more "
    "than that; networks trained with full batches push λmax up to the line and hover there "
    "while the loss still falls, unevenly (the edge of stability). Above the line the pane and "
    "the event log say: lr is above 2/λmax: expect the loss to oscillate or diverge. For rmsprop "
    "and adam the line does not apply as such: they divide each step by a running RMS of the "
    "gradient, so their stable sharpness is that of the rescaled Hessian, not 2/lr; the pane "
    "shows λmax alone. Clipping also changes the step, so with it the line is a guide only. "
    "Under the pane, the gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al., 2018; "
    "exact per-sample gradients over the training set) beside the batch size: with a batch well "
    "below it, doubling the batch roughly halves the steps to a given loss; well above it, "
    "the steps hardly change and the extra samples are wasted."
)
OUTPUT_NOTES = (
    "[b]Output[/b]: decision regions, each point of the plane in the colour of the class the "
    "network predicts there (orange class 0, blue class 1, then green, purple, red, cyan, ...: "
    "entries of the 256-colour palette, so a 256-colour terminal such as tmux shows them too), "
    "darker where it is less sure; the dots are the test points in their true class's colour, so "
    "the dots say which colour is which class, and a dot on another colour is a mistake. The title's test accuracy is the share of test "
    "points classified right (chance is 1 in the number of classes). For a 1-D fit: the data "
    "and the fitted curve."
)
PREDICTION_NOTES = (
    "[b]Predict, then watch[/b]: a scenario asks a question before the first step; 1-4 answer, "
    "0 or escape skips (not asked again this session), v shows the answer; the run's own "
    "numbers reveal it when they show it."
)
GLOSSARY = "\n".join((HEALTH_NOTES, BADGE_NOTES, LOSS_NOTES, GRADIENT_NOTES, SHARPNESS_NOTES, OUTPUT_NOTES,
                      PREDICTION_NOTES))
"""What every number and mark on the training screen means; each part is also the tooltip
of its pane."""


def training_rows() -> list[KeyRow]:
    """The training screen's keys, then the app-wide ones."""
    rows = [(b.key_display or b.key, b.description, HELP[b.action]) for b in KEYS]
    return rows + [("ctrl+p", "Commands", "command palette: every action, scenario and calculus objective"),
                   ("q", "Quit", "leave (ctrl+c too); the terminal is restored")]
