"""Every key of the training screen, in one table read by the Footer, the help screen,
the controls panel and the command palette."""

from __future__ import annotations

from textual.binding import Binding

HELP: dict[str, str] = {
    "toggle_run": "start or pause training: on Linux in a process of its own, on macOS and Windows in "
                  "a thread of the app; the screen shows its numbers about 12 times a second",
    "step": "one training step: one minibatch, one update",
    "reset": "back to step 0 with the same seed: identical initial weights; controls kept",
    "lr_up": "learning rate one rung up the 1-3-10 ladder (1e-5 … 10)",
    "lr_down": "learning rate one rung down the ladder",
    "cycle_activation": "next hidden activation (weights kept)",
    "cycle_activation_back": "previous hidden activation (weights kept)",
    "cycle_optimizer": "next optimizer (fresh optimizer state, weights kept)",
    "cycle_optimizer_back": "previous optimizer (fresh optimizer state, weights kept)",
    "cycle_clip_mode": "gradient clipping: off, by global norm, by value",
    "cycle_clip_mode_back": "gradient clipping, the other way round",
    "clip_up": "clip threshold one rung up (0.001 … 1000)",
    "clip_down": "clip threshold one rung down",
    "cycle_batch": "batch size: 1, 8, 32, 128, full",
    "toggle_batchnorm": "batch norm on or off (weights kept): every hidden layer's z re-centred and "
                        "rescaled on each batch",
    "cycle_loss": "next loss that fits the data (mse, mae for regression; cross_entropy, mse, mae, bce, "
                  "hinge for two classes)",
    "run_until": "run until a condition holds: type it (plateau:100, test_accuracy>=0.9, flag:dead) "
                 "and press enter",
    "cycle_batch_back": "batch size, the other way round",
    "settings": "every setting as a direct choice: network shape, data, loss, init, optimizer, "
                "lr schedule, clipping, batch; and run until a condition",
    "rewind": "back to the newest snapshot before now, controls kept; snapshots are taken every "
              "100 steps and before each control change, older ones thinned out",
    "save": "save a checkpoint to a new file in the working directory",
    "share": "write the run as a settings file (every mid-run change with its step) and show the "
             "command that replays it from the start: gradtui --config FILE",
    "toggle_log": "loss plot: log or linear scale",
    "lr_range_test": "lr range test on a copy: loss against an lr growing 1e-6 to 10, steepest, lowest and "
                     "blow-up marked; enter applies its lr, escape cancels",
    "toggle_sharpness": "sharpness pane in place of the gradient plot: λmax of the Hessian over the "
                        "steps against the stability line 2/lr, measured in the background",
    "calculus": "calculus mode: gradient descent on an analytic function",
    "twin": "twin mode: B forks this run exactly, both train in lockstep; t again keeps A or B",
    "switch_side": "twin mode: the control keys (and r, u, w) act on the other run, A or B",
    "compare_fix": "from the first weights: A as it is, B with the fix the scenario's hint names",
    "draw_class": "decision regions: the class a click draws a point of (ctrl- or right-click "
                  "removes the nearest point)",
    "save_points": "save every point (your drawn ones too) as a CSV for gradtui run --data",
    "network": "the network view: what each neuron computes, the weights, dead neurons, one "
               "sample's chain rule in numbers, the loss surface",
    "gallery": "the activation gallery: f(z) and f'(z) of every activation, with a layer's z values on top",
    "losses": "the loss comparison: every loss and its gradient for one prediction against its target",
    "help": "this screen",
    **{f"answer_{n}": f"answer the scenario's question (asked before the first step) with answer {n}"
       for n in range(1, 5)},
    "skip_prediction": "skip the scenario's question; it is not asked again this session",
    "reveal_prediction": "show the answer to the scenario's question now; the evidence follows when "
                         "the run shows it",
}
"""A sentence per action for the help screen and the command palette."""

LOCK_ALLOWS = frozenset({"toggle_run", "step", "reset", "rewind", "save", "share", "toggle_log",
                         "toggle_sharpness", "help",
                         "network", "answer_1", "answer_2", "answer_3", "answer_4", "skip_prediction",
                         "reveal_prediction", "save_points"})
"""The actions a locked app (``gradtui --lock``) still runs: they move along the run as it is
set up, save or share it, answer the scenario's question, or change only the view. Every
other key, and the palette entries that change settings or leave the run, are disabled. A
new key that changes nothing but the view belongs here."""


KEYS: list[Binding] = [
    Binding("space", "toggle_run", "Run/pause", key_display="space"),
    Binding("s", "step", "Step"),
    Binding("r", "reset", "Reset"),
    Binding("right_square_bracket", "lr_up", "lr up", key_display="]"),
    Binding("left_square_bracket", "lr_down", "lr down", key_display="["),
    Binding("a", "cycle_activation", "Activation"),
    Binding("A", "cycle_activation_back", "Activation back", show=False, id="cycle_activation_back",
            tooltip=HELP["cycle_activation_back"]),
    Binding("o", "cycle_optimizer", "Optimizer"),
    Binding("O", "cycle_optimizer_back", "Optimizer back", show=False, id="cycle_optimizer_back",
            tooltip=HELP["cycle_optimizer_back"]),
    Binding("x", "cycle_clip_mode", "Clip mode"),
    Binding("X", "cycle_clip_mode_back", "Clip mode back", show=False, id="cycle_clip_mode_back",
            tooltip=HELP["cycle_clip_mode_back"]),
    Binding("right_curly_bracket", "clip_up", "Clip up", key_display="}", show=False),
    Binding("left_curly_bracket", "clip_down", "Clip down", key_display="{", show=False),
    Binding("b", "cycle_batch", "Batch", show=False),
    Binding("B", "cycle_batch_back", "Batch back", show=False, id="cycle_batch_back",
            tooltip=HELP["cycle_batch_back"]),
    Binding("N", "toggle_batchnorm", "Batch norm", show=False, id="toggle_batchnorm",
            tooltip=HELP["toggle_batchnorm"]),
    Binding("m", "cycle_loss", "Loss", show=False, id="cycle_loss", tooltip=HELP["cycle_loss"]),
    Binding("U", "run_until", "Run until", show=False, id="run_until", tooltip=HELP["run_until"]),
    Binding("e", "settings", "Settings", id="settings", tooltip=HELP["settings"]),
    Binding("u", "rewind", "Rewind"),
    Binding("w", "save", "Save"),
    Binding("S", "share", "Share", id="share", show=False,
            tooltip="write this run's settings and every change so far as a TOML file"),
    Binding("l", "toggle_log", "Log scale", show=False),
    Binding("F", "lr_range_test", "LR finder", show=False, id="lr_range_test",
            tooltip="find a learning rate: the range test on a copy of the run, then apply or cancel"),
    Binding("h", "toggle_sharpness", "Sharpness", show=False, id="toggle_sharpness",
            tooltip="λmax of the Hessian over the steps against 2/lr, in place of the gradient plot"),
    Binding("c", "calculus", "Calculus", show=False),
    Binding("t", "twin", "Twin", id="twin",
            tooltip="twin mode: fork this run into A and B, trained side by side; t again leaves"),
    Binding("y", "switch_side", "Switch A/B", id="switch_side",
            tooltip="twin mode: send the control keys to the other run"),
    Binding("f", "compare_fix", "Compare fix", id="compare_fix",
            tooltip="from the first weights: A as it is, B with the scenario's fix, side by side"),
    Binding("n", "network", "Network", id="network",
            tooltip="see inside the network: every neuron, the weights, one sample's chain rule"),
    Binding("k", "draw_class", "Draw class", show=False, id="draw_class", tooltip=HELP["draw_class"]),
    Binding("D", "save_points", "Save points", show=False, id="save_points", tooltip=HELP["save_points"]),
    Binding("g", "gallery", "Activations", show=False, id="gallery", tooltip=HELP["gallery"]),
    Binding("M", "losses", "Losses", show=False, id="losses", tooltip=HELP["losses"]),
    Binding("question_mark", "help", "Help", key_display="?"),
    *(Binding(str(n), f"answer_{n}", f"Answer {n}", show=False, id=f"prediction.answer_{n}",
              tooltip=f"answer the scenario's question with answer {n}") for n in range(1, 5)),
    Binding("0", "skip_prediction", "Skip question", show=False, id="prediction.skip",
            tooltip="skip the scenario's question (it is not asked again this session)"),
    Binding("escape", "skip_prediction", "Skip question", show=False, id="prediction.skip_escape",
            tooltip="skip the scenario's question while it is asked"),
    Binding("v", "reveal_prediction", "Reveal answer", show=False, id="prediction.reveal",
            tooltip="show the answer to the scenario's question now"),
]


FOOTER_RANK = ("toggle_run", "step", "help", "reset", "lr_up", "lr_down", "rewind", "cycle_activation",
               "cycle_optimizer", "cycle_clip_mode", "settings", "network", "switch_side", "twin",
               "compare_fix", "save", "quit")
"""The footer's keys in order of importance: a narrow footer keeps the first ones that fit
whole (at 80 columns: run, step, help, reset, the lr keys and rewind); the rest stay in
``?`` help, the controls panel and the command palette."""


def binding_for(action: str) -> Binding:
    """The binding that runs ``action``."""
    for binding in KEYS:
        if binding.action == action:
            return binding
    raise KeyError(action)


def key_for(action: str) -> str:
    """The key shown for ``action``."""
    binding = binding_for(action)
    return binding.key_display or binding.key
