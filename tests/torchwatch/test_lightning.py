"""The Lightning callback records a fit like the plain watcher (run only where Lightning is
installed: it is not a dependency of gradtui, nor installed in CI)."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
lightning = pytest.importorskip("lightning", reason="PyTorch Lightning is not installed (pip install lightning); "
                                                    "gradtui does not depend on it")

from gradtui.torch.lightning import GradtuiCallback  # noqa: E402
from nets import batches, mlp  # noqa: E402


class Module(lightning.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def training_step(self, batch, index):
        X, y = batch
        return torch.nn.functional.cross_entropy(self.net(X), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), 0.1)


def test_the_callback_records_every_optimizer_step(tmp_path):
    data = batches(mlp(), 6)
    trainer = lightning.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False,
                                enable_checkpointing=False, enable_progress_bar=False,
                                callbacks=[GradtuiCallback(log=str(tmp_path / "fit.jsonl"), listen=False)])
    trainer.fit(Module(), train_dataloaders=[(X, y) for X, y in data])
    rows = [json.loads(line) for line in (tmp_path / "fit.jsonl").read_text().splitlines()[1:]]
    assert [r["step"] for r in rows] == list(range(1, 7))
    assert all(r["grad_norm"] > 0 for r in rows)
    assert [layer["name"] for layer in rows[0]["layers"]] == ["net.0", "net.2", "net.4"]
