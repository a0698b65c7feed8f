"""The training screen's keys that act on one run (in twin mode, the one the keys change):
``]``/``[`` the learning rate, ``}``/``{`` the clip threshold, ``a``/``o``/``x``/``b``
(shifted: the other way round) the activation, optimizer, clip mode and batch size, ``N``
batch norm, ``m`` the loss; and reset, rewind, save, share, the class drawn points take
and saving them."""

from __future__ import annotations

from gradtui.engine import ACTIVATIONS, OPTIMIZERS, fitting_losses
from gradtui.engine.train.ladders import BATCH_SIZES, CLIP_LADDER, CLIP_MODES, LR_LADDER, Climb, Cycle, NextLoss
from gradtui.tui.train.runs_on_show import RunsOnShow


class ControlKeys:
    """Each key sends one command to the run the control keys act on (``runs.target``).
    A mixin because Textual runs a key's ``action_*`` method on the screen."""

    runs: RunsOnShow

    def _change(self, move: Climb | Cycle | NextLoss) -> None:
        self.runs.target.change(move)

    def action_lr_up(self) -> None:
        self._change(Climb(LR_LADDER, "lr", up=True))

    def action_lr_down(self) -> None:
        self._change(Climb(LR_LADDER, "lr", up=False))

    def action_clip_up(self) -> None:
        self._change(Climb(CLIP_LADDER, "clip", up=True))

    def action_clip_down(self) -> None:
        self._change(Climb(CLIP_LADDER, "clip", up=False))

    def action_cycle_activation(self, step: int = 1) -> None:
        self._change(Cycle(tuple(ACTIVATIONS), "activation", step))

    def action_cycle_optimizer(self, step: int = 1) -> None:
        self._change(Cycle(tuple(OPTIMIZERS), "optimizer", step))

    def action_cycle_clip_mode(self, step: int = 1) -> None:
        self._change(Cycle(tuple(CLIP_MODES), "clip_mode", step))

    def action_cycle_batch(self, step: int = 1) -> None:
        self._change(Cycle(tuple(BATCH_SIZES), "batch_size", step))

    def action_toggle_batchnorm(self) -> None:
        self._change(Cycle((False, True), "batchnorm"))

    def action_cycle_loss(self) -> None:
        shape = self.runs.target.frame.shape
        self._change(NextLoss(fitting_losses(shape.task, shape.n_classes)))

    def action_cycle_activation_back(self) -> None:
        self.action_cycle_activation(-1)

    def action_cycle_optimizer_back(self) -> None:
        self.action_cycle_optimizer(-1)

    def action_cycle_clip_mode_back(self) -> None:
        self.action_cycle_clip_mode(-1)

    def action_cycle_batch_back(self) -> None:
        self.action_cycle_batch(-1)

    def action_reset(self) -> None:
        self.runs.target.reset()

    def action_rewind(self) -> None:
        self.runs.target.rewind()

    def action_save(self) -> None:
        self.runs.target.save_checkpoint(".")

    def action_share(self) -> None:
        self.runs.target.share(".")

    def action_draw_class(self) -> None:
        self.runs.target.next_draw_class()

    def action_save_points(self) -> None:
        self.runs.target.save_points(".")
