"""Functional activations (F.relu, torch.tanh, x.sigmoid()) are seen on probe steps, against
the activations themselves; the torch function mode that sees them is on only from the
update before a probe step to that step's w.step."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
from torch import nn  # noqa: E402

from gradtui.torch import watch  # noqa: E402
from nets import batches, functional_net, mlp, train, weights  # noqa: E402


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def digits(mask, state):
    return "".join(state if m else "0" for m in mask.tolist())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_functional_activations_mark_the_units_of_the_layer_before_them(dtype, tmp_path):
    net = functional_net(dtype)
    opt = torch.optim.SGD(net.parameters(), 0.05)
    seen = {}

    def keep(i, loss):
        seen[i + 1] = {**net.seen, **net.block.seen}
    with watch(net, opt, log=tmp_path / "run.jsonl", listen=False, probe_every=2) as w:
        train(net, opt, batches(net, 7, dtype), w, each=keep)
    probed = [r for r in rows(tmp_path / "run.jsonl") if "units" in r]
    assert [r["step"] for r in probed] == [1, 2, 4, 6]
    assert probed[0]["units"] == {}  # the first forward runs before the watcher's first step
    for row in probed[1:]:
        out = seen[row["step"]]
        dead = (out["relu"] > 0).sum(dim=0) == 0
        tanh_saturated = ~((1 - out["tanh"] ** 2) >= 0.05 * 1.0).any(dim=0)
        sigmoid_saturated = ~((out["sigmoid"] * (1 - out["sigmoid"])) >= 0.05 * 0.25).any(dim=0)
        assert int(dead.sum()) >= 20 and int(tanh_saturated.sum()) >= 5 and int(sigmoid_saturated.sum()) >= 3
        assert row["units"] == {"fc1": digits(dead, "1"), "block.fc2": digits(tanh_saturated, "2"),
                                "fc3": digits(sigmoid_saturated, "2")}
        assert row["activations"] == {"fc1": "functionalnet.relu", "block.fc2": "block.tanh",
                                      "fc3": "functionalnet.sigmoid"}
        by_name = {layer["name"]: layer for layer in row["layers"]}
        assert by_name["fc1"]["dead"] == int(dead.sum())
        assert by_name["block.fc2"]["saturated"] == int(tanh_saturated.sum())
        assert ("dead", "fc1") in [(f["kind"], f["layer"]) for f in row["flags"]]


def test_functional_activations_change_no_bit(tmp_path):
    bare = functional_net()
    data = batches(bare, 12)
    o = torch.optim.Adam(bare.parameters(), 1e-2)
    train(bare, o, data)
    watched = functional_net()
    o2 = torch.optim.Adam(watched.parameters(), 1e-2)
    with watch(watched, o2, listen=False, probe_every=1) as w:
        train(watched, o2, data, w)
    assert all(torch.equal(a, b) for a, b in zip(weights(bare), weights(watched)))


def test_the_function_mode_is_on_only_for_a_probe_steps_forward():
    net = functional_net()
    opt = torch.optim.SGD(net.parameters(), 0.05)
    depth = torch._C._len_torch_function_stack
    on = []
    with watch(net, opt, listen=False, probe_every=3) as w:
        for k, (X, y) in enumerate(batches(net, 10), 1):
            on.append((k, depth()))
            opt.zero_grad()
            nn.functional.cross_entropy(net(X), y).backward()
            w.step(torch.zeros(()))
            assert depth() == 0  # never during the optimizer's step
            opt.step()
    assert depth() == 0
    assert [k for k, d in on if d] == [3, 6, 9]  # the probes after the first (steps 1, 3, 6, 9)


def test_activation_modules_are_not_counted_twice_and_the_option_turns_it_off(tmp_path):
    model = mlp()  # nn.ReLU and nn.Tanh modules: their hooks mark the units
    opt = torch.optim.SGD(model.parameters(), 0.1)
    with watch(model, opt, log=tmp_path / "a.jsonl", listen=False, probe_every=2) as w:
        train(model, opt, batches(model, 3), w)
    assert rows(tmp_path / "a.jsonl")[1]["activations"] == {"0": "1", "2": "3"}
    net = functional_net()
    opt = torch.optim.SGD(net.parameters(), 0.1)
    with watch(net, opt, log=tmp_path / "b.jsonl", listen=False, probe_every=2, functional=False) as w:
        train(net, opt, batches(net, 3), w)
        assert torch._C._len_torch_function_stack() == 0
    assert [r.get("units") for r in rows(tmp_path / "b.jsonl")] == [{}, {}, None]


def test_a_mode_the_user_left_on_is_not_popped(tmp_path, caplog):
    from torch.overrides import TorchFunctionMode

    class Users(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))
    net = functional_net()
    opt = torch.optim.SGD(net.parameters(), 0.1)
    data = batches(net, 4)
    users = Users()
    with watch(net, opt, listen=False, probe_every=1) as w:
        train(net, opt, data[:1], w)  # armed after this update
        users.__enter__()
        train(net, opt, data[1:2], w)  # w.step cannot leave its mode: the user's is on top
        assert torch._C._get_function_stack_at(torch._C._len_torch_function_stack() - 1) is users
        users.__exit__(None, None, None)
        train(net, opt, data[2:], w)
    assert torch._C._len_torch_function_stack() == 0
    assert "functional activations are not seen" in caplog.text


def test_a_functional_relu_after_a_convolution_marks_its_channels(tmp_path):
    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 6, 3)
            self.out = nn.Linear(6 * 8 * 8, 5)

        def forward(self, x):
            h = self.conv(x).relu()
            self.seen = h.detach().clone()
            return self.out(h.flatten(1).relu())  # 384 wide after the linear's input: not the conv's 6
    torch.manual_seed(0)
    net = ConvNet()
    with torch.no_grad():
        net.conv.bias[:4] = -100.0
    opt = torch.optim.SGD(net.parameters(), 0.01)
    seen = {}
    with watch(net, opt, log=tmp_path / "run.jsonl", listen=False, probe_every=1) as w:
        train(net, opt, batches(net, 3), w, each=lambda i, loss: seen.setdefault(i + 1, net.seen))
    row = rows(tmp_path / "run.jsonl")[2]
    dead = (seen[3] > 0).sum(dim=(0, 2, 3)) == 0
    assert row["units"] == {"conv": digits(dead, "1")} and dead.tolist()[:4] == [True] * 4
    assert row["activations"] == {"conv": "convnet.relu"}


def test_a_compiled_model_is_not_made_to_recompile(caplog):
    """A function mode on probe steps only would change dynamo's guards at every probe: it
    recompiles until its limit, then runs the model uncompiled. The watcher leaves it off."""
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    counters.clear()
    net = functional_net()
    compiled_net = torch.compile(net, backend="eager")
    opt = torch.optim.SGD(net.parameters(), 0.05)
    with watch(compiled_net, opt, listen=False, probe_every=1) as w:
        train(compiled_net, opt, batches(net, 12), w)
        assert w._functional is None and torch._C._len_torch_function_stack() == 0
    assert counters["stats"]["unique_graphs"] <= 2  # the hooks' armed/unarmed states: cached
    assert "torch.compile'd" in caplog.text
