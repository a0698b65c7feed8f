"""What the watcher asks of the device per step, counted op by op (never timed: the machine is
shared). A step it does not probe reads the gradients once and packs the norms with one
stack; a probe step copies the weights into buffers made once; nothing made on the host is
sent to the device; rows are made from readings whose copy has landed."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
from torch import nn  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

from gradtui.torch import watch  # noqa: E402
from gradtui.torch import reading as reading_module  # noqa: E402
from gradtui.torch import watcher as watcher_module  # noqa: E402
from nets import batches, mlp  # noqa: E402

VIEWS = ("aten.detach", "aten.view", "aten.alias", "aten.unsqueeze", "profiler.")


class Ops(TorchDispatchMode):
    """Every aten op run inside, with its outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[tuple[str, object, tuple]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.ops.append((str(func), out, args))
        return out

    def names(self) -> list[str]:
        return [name for name, _, _ in self.ops if not name.startswith(VIEWS)]


def tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from tensors(item)


def watched_steps(model, opt, w, data):
    """Per step: the ops of w.step and of the optimizer's step (with the watcher's hook)."""
    seen = []
    for X, y in data:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        with Ops() as in_step:
            w.step(loss)
        with Ops() as in_update:
            opt.step()
        seen.append((in_step, in_update))
    return seen


def test_a_step_without_a_probe_reads_the_gradients_once_and_stacks_once():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    bare = Ops()
    X, y = batches(model, 1)[0]
    nn.functional.cross_entropy(model(X), y).backward()
    with bare:
        opt.step()
    with watch(model, opt, listen=False, probe_every=10) as w:
        seen = watched_steps(model, opt, w, batches(model, 12))
    for k, (in_step, in_update) in enumerate(seen, 1):
        if k in (1, 10):
            continue  # probe steps
        extra = in_step.names() + in_update.names()
        for name in bare.names():
            extra.remove(name)
        assert sorted(extra) == ["aten._foreach_norm.Scalar", "aten.stack.default"], (k, extra)


def test_probe_steps_copy_the_weights_into_buffers_made_once():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), 0.1)  # updates in place: any new big tensor is the watcher's
    with watch(model, opt, listen=False, probe_every=2) as w:
        seen = watched_steps(model, opt, w, batches(model, 6))  # probes at steps 1, 2, 4, 6
    largest = max(p.numel() for p in model.parameters())  # a copy of the weights has a tensor this big
    for k in (2, 4, 6):
        in_step, in_update = seen[k - 1]
        assert "aten._foreach_copy_.default" in in_step.names()
        made = [name for ops in (in_step, in_update) for name, out, args in ops.ops for t in tensors(out)
                if t.numel() >= largest
                and t.untyped_storage().data_ptr() not in {a.untyped_storage().data_ptr() for a in tensors(args)}]
        assert made == [], (k, made)


def test_nothing_made_on_the_host_is_sent_to_the_device():
    """On a fake device (meta) every tensor the reading sees or makes stays there: a tensor
    made on the CPU and moved to a GPU would cost a host synchronisation per step."""
    model = mlp().to("meta")
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    loss = torch.zeros((), device="meta")
    with Ops() as ops:
        reading = reading_module.DeviceReading(3, loss, [0.1], [0, 0, 1, 1, 2, 2], 3, None)
        params = list(model.parameters())
        reading.measure_grads(params)
        reading.clip_total = torch.zeros((), device="meta")
        reading.finish_measuring(params, [torch.zeros_like(p) for p in params])
    off = [name for name, out, args in ops.ops for t in (*tensors(out), *tensors(args)) if t.device.type != "meta"]
    assert off == []
    assert reading._host is not None and reading._host.device.type == "meta"


def test_rows_wait_for_their_readings_and_the_wait_is_bounded(monkeypatch):
    """A reading becomes a row only once its copy reached the host (``ready``), unless more
    than ``ROWS_AT_ONCE + LATE`` wait: then the oldest is waited for."""
    behind = {"steps": 0}
    state = {"now": 0}
    read_early = []
    real_values = reading_module.DeviceReading.values

    def ready(self):
        return self.step <= state["now"] - behind["steps"]

    def values(self):
        if not ready(self):
            read_early.append((self.step, state["now"]))
        return real_values(self)
    monkeypatch.setattr(reading_module.DeviceReading, "ready", ready)
    monkeypatch.setattr(reading_module.DeviceReading, "values", values)
    monkeypatch.setattr(watcher_module, "ROWS_EVERY", 1e9)
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), 0.1)

    def most_waiting(w, behind_by):
        """Train 40 steps with the device ``behind_by`` steps behind; the most readings pending."""
        behind["steps"] = behind_by
        read_early.clear()
        most = 0
        for X, y in batches(model, 40):
            state["now"] = w.step_count
            opt.zero_grad()
            nn.functional.cross_entropy(model(X), y).backward()
            w.step(torch.zeros(()))
            opt.step()
            most = max(most, len(w._readings))
        return most
    with watch(model, opt, listen=False) as w:
        assert most_waiting(w, 10**9) == watcher_module.ROWS_AT_ONCE + watcher_module.LATE + 1
        assert len(read_early) > 20  # the device never caught up: the oldest was waited for
        assert most_waiting(w, 3) == watcher_module.ROWS_AT_ONCE
        assert read_early == []  # three steps behind: each row waited for its copy, none waited on


def test_a_change_is_recorded_with_the_step_it_came_before(tmp_path):
    """Rows are made a batch at a time; a change still lands in the row of the step it preceded."""
    import json
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    data = batches(model, 20)
    with watch(model, opt, log=tmp_path / "run.jsonl", listen=False) as w:
        for k, (X, y) in enumerate(data, 1):
            if k == 6:
                w._control("lr_up")
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X), y)
            loss.backward()
            w.step(loss)
            opt.step()
    rows = [json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()[1:]]
    assert {r["step"]: r["changes"] for r in rows if r["changes"]} == {6: ["lr 0.1 -> 0.3"]}
    assert [r["lr"] for r in rows] == [0.1] * 5 + [0.3] * 15
