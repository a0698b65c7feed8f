"""The watcher in a real PyTorch loop: it changes no bit, and every number it reports matches
an independent computation over the same tensors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
from torch import nn  # noqa: E402

from gradtui.engine import TrainConfig  # noqa: E402
from gradtui.torch import watch  # noqa: E402
from nets import batches, convnet, mlp, train, weights  # noqa: E402


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("make,opt", [(mlp, "adam"), (mlp, "sgd"), (convnet, "adam")])
def test_the_watcher_changes_no_bit_of_the_weights(make, opt, dtype, tmp_path):
    def optimizer(model):
        return (torch.optim.Adam(model.parameters(), 1e-2) if opt == "adam"
                else torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4))
    bare = make(dtype)
    data = batches(bare, 30, dtype)
    train(bare, optimizer(bare), data)
    watched = make(dtype)
    o = optimizer(watched)
    with watch(watched, o, log=tmp_path / "run.jsonl", probe_every=3) as w:
        train(watched, o, data, w)
    assert all(torch.equal(a, b) for a, b in zip(weights(bare), weights(watched)))
    assert len((tmp_path / "run.jsonl").read_text().splitlines()) == 31  # header + 30 rows


def record(path):
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return lines[0], [r for r in lines[1:] if "loss" in r]


def test_each_number_matches_its_own_computation(tmp_path):
    model = mlp(torch.float64)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    data = batches(model, 12, torch.float64)
    seen = {}
    relu_out = []
    model[1].register_forward_hook(lambda m, i, out: relu_out.append(out.detach().clone()))
    tanh_out = []
    model[3].register_forward_hook(lambda m, i, out: tanh_out.append(out.detach().clone()))

    def each(i, loss):
        seen[i] = {"loss": loss.item(),
                   "grads": {name: math.sqrt(sum(torch.linalg.vector_norm(p.grad).item() ** 2
                                                 for p in model[int(name)].parameters()))
                             for name in ("0", "2", "4")},
                   "before": weights(model)}
    with watch(model, opt, log=tmp_path / "run.jsonl", probe_every=5) as w:
        train(model, opt, data, w, each=each)
    _, rows = record(tmp_path / "run.jsonl")
    assert [r["step"] for r in rows] == list(range(1, 13))
    for i, row in enumerate(rows):
        assert row["loss"] == pytest.approx(seen[i]["loss"], rel=1e-15)
        by_name = {layer["name"]: layer for layer in row["layers"]}
        for name, norm in seen[i]["grads"].items():
            assert by_name[name]["grad_norm"] == pytest.approx(norm, rel=1e-12)
        assert row["grad_norm"] == pytest.approx(math.sqrt(sum(n * n for n in seen[i]["grads"].values())), rel=1e-12)
        assert row["lrs"] == [1e-2]
    probed = [r for r in rows if "units" in r]
    assert [r["step"] for r in probed] == [1, 5, 10]
    after = {i: seen[i + 1]["before"] for i in range(11)}
    for row in probed:
        i = row["step"] - 1
        params = list(model.parameters())
        for layer_i, name in enumerate(("0", "2", "4")):
            w_before = seen[i]["before"][2 * layer_i: 2 * layer_i + 2]
            w_after = after[i][2 * layer_i: 2 * layer_i + 2] if i in after else [p.detach() for p in params[2 * layer_i: 2 * layer_i + 2]]
            wn = math.sqrt(sum(torch.linalg.vector_norm(t).item() ** 2 for t in w_after))
            un = math.sqrt(sum(torch.linalg.vector_norm(a - b).item() ** 2 for a, b in zip(w_after, w_before)))
            layer = next(l for l in row["layers"] if l["name"] == name)
            assert layer["weight_norm"] == pytest.approx(wn, rel=1e-12)
            assert layer["update_ratio"] == pytest.approx(un / wn, rel=1e-9)
        dead = (relu_out[i] > 0).sum(dim=0) == 0
        assert row["units"]["0"] == "".join("1" if d else "0" for d in dead.tolist())
        responsive = (1 - tanh_out[i] ** 2) >= 0.05 * 1.0
        saturated = ~responsive.any(dim=0)
        assert row["units"]["2"] == "".join("2" if s else "0" for s in saturated.tolist())


def test_dead_units_are_counted_and_flagged_by_the_engines_rule(tmp_path):
    model = mlp(torch.float64)
    with torch.no_grad():
        model[0].bias[:20] = -100.0  # 20 of 32 units never fire
    opt = torch.optim.SGD(model.parameters(), 0.0)
    with watch(model, opt, log=tmp_path / "run.jsonl") as w:
        train(model, opt, batches(model, 2, torch.float64), w)
    _, rows = record(tmp_path / "run.jsonl")
    first = rows[0]["layers"][0]
    assert first["dead"] == 20
    assert {"kind": "dead", "layer": "0", "detail": "20/32 units dead"} in rows[0]["flags"]
    assert rows[1]["layers"][0]["dead"] == 20  # kept between probes, as the engine does


def test_a_nonfinite_loss_and_an_exploding_layer_raise_the_engines_flags(tmp_path):
    model = mlp(torch.float64)
    opt = torch.optim.SGD(model.parameters(), 0.0)
    data = batches(model, 2, torch.float64)

    def spoil(i, loss):
        if i == 0:
            model[0].weight.grad.fill_(1e4)  # far above explode_norm (1e3)
        else:
            model[2].weight.grad[0, 0] = float("nan")
    with watch(model, opt, log=tmp_path / "run.jsonl", thresholds=TrainConfig(explode_norm=500.0)) as w:
        train(model, opt, data, w, each=spoil)
    _, rows = record(tmp_path / "run.jsonl")
    assert ("exploding", "0") in [(f["kind"], f["layer"]) for f in rows[0]["flags"]]
    assert "> 500" in next(f["detail"] for f in rows[0]["flags"] if f["kind"] == "exploding")
    assert rows[1]["grad_norm"] is None and rows[1]["layers"][1]["grad_norm"] is None
    assert ("nonfinite", "2") in [(f["kind"], f["layer"]) for f in rows[1]["flags"]]


@pytest.mark.parametrize("limit", [0.05, 1e6])
def test_clipping_by_the_watcher_is_clip_grad_norm_exactly(limit, tmp_path):
    bare = mlp()
    data = batches(bare, 15)
    o = torch.optim.SGD(bare.parameters(), 0.5)
    totals = []
    train(bare, o, data, clip=limit, each=None)
    watched = mlp()
    o2 = torch.optim.SGD(watched.parameters(), 0.5)
    with watch(watched, o2, log=tmp_path / "run.jsonl", clip=limit) as w:
        train(watched, o2, data, w, each=lambda i, loss: totals.append(
            torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in watched.parameters()])).item()))
    assert all(torch.equal(a, b) for a, b in zip(weights(bare), weights(watched)))
    _, rows = record(tmp_path / "run.jsonl")
    assert [r["clipped"] for r in rows] == [limit / (t + 1e-6) < 1 for t in totals]
    assert any(r["clipped"] for r in rows) == (limit < 1)


def test_every_records_one_step_in_n(tmp_path):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    with watch(model, opt, log=tmp_path / "run.jsonl", every=4) as w:
        train(model, opt, batches(model, 13), w)
    _, rows = record(tmp_path / "run.jsonl")
    assert [r["step"] for r in rows] == [1, 4, 8, 12]


def test_an_lr_move_reaches_every_param_group(tmp_path):
    model = mlp()
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.1},
                           {"params": model[2].parameters(), "lr": 0.01},
                           {"params": model[4].parameters()}], lr=0.003)
    with watch(model, opt, listen=False) as w:
        train(model, opt, batches(model, 1), w)
        w._control("lr_up")
        train(model, opt, batches(model, 1), w)
        assert [g["lr"] for g in opt.param_groups] == [0.3, 0.03, 0.01]
        w._control("lr_down")
        w._control("lr_down")
        train(model, opt, batches(model, 1), w)
    assert [g["lr"] for g in opt.param_groups] == [0.03, 0.003, 0.001]


def test_pause_blocks_the_loop_at_the_step_boundary_and_resume_lets_it_go(tmp_path):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    w = watch(model, opt, listen=False)
    done = threading.Event()
    data = batches(model, 50)

    def loop():
        train(model, opt, data, w)
        done.set()
    w.pause()
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    time.sleep(0.5)
    assert w.paused and w.step_count == 0 and not done.is_set()  # blocked in the first w.step
    before = weights(model)
    time.sleep(0.2)
    assert all(torch.equal(a, b) for a, b in zip(before, weights(model)))
    w.resume()
    assert done.wait(30)
    thread.join()
    assert w.step_count == 50
    w.close()


def test_skip_nonfinite_leaves_out_a_nan_step(tmp_path):
    model = mlp(torch.float64)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    data = batches(model, 6, torch.float64)
    kept = {}

    def spoil(i, loss):
        if i == 3:
            model[2].weight.grad[0, 0] = float("inf")
            kept["before"] = weights(model)
            kept["state"] = {k: v.clone() for k, v in opt.state[model[0].weight].items()}
    with watch(model, opt, log=tmp_path / "run.jsonl", skip_nonfinite=True) as w:
        train(model, opt, data[:4], w, each=spoil)
        assert all(torch.equal(a, b) for a, b in zip(kept["before"], weights(model)))
        assert torch.equal(opt.state[model[0].weight]["step"], kept["state"]["step"])
        train(model, opt, data[4:], w)
    _, rows = record(tmp_path / "run.jsonl")
    assert rows[3]["changes"] == ["step 4 skipped: loss or gradients not finite"]
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_snapshot_and_rollback_put_model_and_optimizer_back(tmp_path):
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    data = batches(model, 10)
    with watch(model, opt, listen=False, snapshot_bytes=2**20) as w:
        train(model, opt, data[:3], w)
        saved = weights(model)
        saved_steps = opt.state[model[0].weight]["step"].clone()
        w._control("snapshot")
        train(model, opt, data[3:4], w)  # the snapshot is taken at this boundary, before step 4
        assert not all(torch.equal(a, b) for a, b in zip(saved, weights(model)))
        train(model, opt, data[4:8], w)
        w._control("lr_down")
        w._control("rollback")
        train(model, opt, data[8:9], w)  # rolled back at the boundary; this step's update skipped
        assert all(torch.equal(a, b) for a, b in zip(saved, weights(model)))
        assert torch.equal(opt.state[model[0].weight]["step"], saved_steps)
        assert opt.param_groups[0]["lr"] == 3e-3  # the controls are kept, as the app's rewind keeps them


def test_a_snapshot_over_the_limit_is_refused_with_a_reason(tmp_path):
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    with watch(model, opt, log=tmp_path / "r.jsonl", snapshot_bytes=100) as w:
        w._control("snapshot")
        train(model, opt, batches(model, 1), w)
    _, rows = record(tmp_path / "r.jsonl")
    assert rows[0]["changes"][0].startswith("snapshot refused")


def test_bad_arguments_are_clear(tmp_path):
    with pytest.raises(ValueError, match="has no trainable parameters"):
        watch(nn.ReLU(), None)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        watch("model", None)
    (tmp_path / "mine.jsonl").write_text("precious\n")
    with pytest.raises(FileExistsError, match="already exists"):
        watch(mlp(), None, log=tmp_path / "mine.jsonl")
    assert (tmp_path / "mine.jsonl").read_text() == "precious\n"
    with pytest.raises(ValueError, match="every must be"):
        watch(mlp(), None, every=0)


def test_without_torch_the_import_says_what_to_install():
    code = "import sys; sys.modules['torch'] = None\ntry:\n    import gradtui.torch\nexcept ImportError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().startswith("gradtui.torch needs PyTorch: pip install 'gradtui[torch]'")
    assert len(out.strip().splitlines()) == 1


def test_gradtui_engine_still_loads_numpy_alone():
    code = "import sys, gradtui.engine, gradtui.live.record, gradtui.live.protocol; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_the_watcher_imports_nothing_of_the_tui():
    """gradtui.torch runs inside the user's training script: the engine's rules and ladders,
    never Textual or the screens (the ladders moved from tui/widgets to engine/train)."""
    code = ("import sys, gradtui.torch, gradtui.torch.steering, gradtui.torch.functional; "
            "print(sorted(m for m in sys.modules if m.startswith(('gradtui.tui', 'textual', 'rich', 'plotext'))))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
