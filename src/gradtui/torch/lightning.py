"""A PyTorch Lightning callback that watches the fit with gradtui: ``GradtuiCallback(log="run.jsonl")``.

    trainer = lightning.Trainer(callbacks=[GradtuiCallback(name="mnist")])

Lightning calls ``on_before_backward`` with the loss and ``on_before_optimizer_step`` once the
gradients are ready and before the update: exactly where ``w.step(loss)`` belongs. The
watcher is made at ``on_fit_start`` (on the module and its first optimizer) and closed at the
end of the fit or on an exception. Needs ``lightning`` (or ``pytorch_lightning``); it is not a
dependency of gradtui. Options are those of ``gradtui.torch.watch``.
"""

from __future__ import annotations

from typing import Any

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:
    try:
        from pytorch_lightning.callbacks import Callback
    except ImportError:
        raise ImportError("gradtui.torch.lightning needs PyTorch Lightning: pip install lightning") from None

from gradtui.torch.watcher import Watcher, watch


class GradtuiCallback(Callback):
    """Watches a Lightning fit; ``gradtui attach`` shows and steers it."""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options
        self.watcher: Watcher | None = None
        self._loss: Any = None

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        self.watcher = watch(pl_module, optimizer, **self.options)

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: Any) -> None:
        self._loss = loss

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        if self.watcher is not None and self._loss is not None:
            self.watcher.step(self._loss)
            self._loss = None

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._close()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._close()

    def _close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None
