"""Under torch.distributed (gloo, two CPU processes): rank 0 records, a control given to rank 0
is applied by every rank at the same step boundary, and the ranks end with the same weights."""

from __future__ import annotations

import os
import socket
import time

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402

TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank: int, port: int, folder: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        from gradtui.torch import watch
        from nets import batches, mlp

        model = torch.nn.parallel.DistributedDataParallel(mlp())
        opt = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9)
        data = batches(mlp(), 12, seed=10 + rank)  # each rank its own batches
        with watch(model, opt, log=os.path.join(folder, f"rank{rank}.jsonl"), listen=False) as w:
            for i, (X, y) in enumerate(data):
                if i == 5 and rank == 0:
                    w._control("lr_up")  # as a viewer of rank 0 would ask
                    w._control("clip_toggle")
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(X), y)
                loss.backward()
                w.step(loss)
                opt.step()
        torch.save({"weights": [p.detach() for p in model.parameters()],
                    "lrs": [g["lr"] for g in opt.param_groups], "clip": w.steering.clip},
                   os.path.join(folder, f"final{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_every_rank_applies_rank_0s_controls_at_the_same_step(tmp_path):
    context = mp.start_processes(worker, args=(free_port(), str(tmp_path)), nprocs=2, join=False,
                                 start_method="spawn")
    end = time.monotonic() + TIMEOUT
    while not context.join(timeout=1):
        if time.monotonic() > end:
            for p in context.processes:
                p.kill()
            pytest.fail(f"the two ranks did not finish in {TIMEOUT} s")
    finals = [torch.load(tmp_path / f"final{r}.pt") for r in (0, 1)]
    assert finals[0]["lrs"] == finals[1]["lrs"] == [0.3]
    assert finals[0]["clip"] == finals[1]["clip"] == 1.0
    assert all(torch.equal(a, b) for a, b in zip(finals[0]["weights"], finals[1]["weights"]))
    assert (tmp_path / "rank0.jsonl").exists() and not (tmp_path / "rank1.jsonl").exists()
    import json
    rows = [json.loads(line) for line in (tmp_path / "rank0.jsonl").read_text().splitlines()[1:]]
    assert rows[5]["changes"] == ["lr 0.1 -> 0.3", "clip norm 1 on (clip_grad_norm_)"]
    assert rows[5]["lrs"] == [0.3] and rows[4]["lrs"] == [0.1]
