"""gradtui.torch: watch and steer your own PyTorch training loop with gradtui's rules.

    from gradtui.torch import watch
    with watch(model, optimizer, log="run.jsonl") as w:
        for X, y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            w.step(loss)          # after backward, before optimizer.step
            optimizer.step()

Then ``gradtui attach`` in another terminal. Needs PyTorch (an optional extra).
"""

try:
    import torch  # noqa: F401  (the one place that says what to install)
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("gradtui.torch needs PyTorch: pip install 'gradtui[torch]' (or install torch "
                      "first from pytorch.org, picking the CPU or CUDA wheel)") from None

from gradtui.torch.watcher import Watcher, watch

__all__ = ["Watcher", "watch"]
