"""Engine speed: steps/s pinned and as a user runs it, with and without a busy neighbour,
the per-step split, its GEMM bound and (when torch is installed) a PyTorch eager loop on
one thread.

Run: python benchmarks/bench_engine.py [--seconds S] [--load] [--blas-threads N] [--no-torch]

Columns (see benchmarks/modes.py): ``pinned`` (BLAS pinned to 1 thread by environment
variables, as benchmarks usually run) and ``as run`` (no variables, as a user runs it; the
engine limits its own products to ``TrainConfig.blas_threads``, default 1); ``--load`` adds
both again with a second process spinning on a core. ``--blas-threads 2`` measures the
opt-in for big networks.

Side by side (pinned): the engine, PyTorch and the GEMM bound (the step's NumPy matrix
products alone: each layer's x @ W forward, x.T @ dz and, above the first layer, dz @ W.T
backward, on preallocated arrays of the step's shapes) are measured in turns, a short
window each, ``ROUNDS`` times, and each keeps its best window: on a shared machine a
neighbour's burst then costs all three alike, and the ratios ``x torch`` and ``of GEMM``
compare like with like.

The split (pinned, float64): forward with batch gathering and the loss, backward,
optimizer, and statistics = full step minus those (norms, update ratios, finiteness
checks, flags, the dead/saturated probe every ``probe_every`` steps).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from modes import column_name, columns, machine_line, print_table, run_child

CASES = [
    # label, n_in, hidden, n_classes, batch
    ("2-16-16-2 b32", 2, (16, 16), 2, 32),
    ("64-128-64-10 b64", 64, (128, 64), 10, 64),
    ("784-128-10 b128", 784, (128,), 10, 128),
    ("784-512-512-10 b512", 784, (512, 512), 10, 512),
]
DTYPES = ("float64", "float32")
ROUNDS = 3
"""Turns of engine, PyTorch and GEMM-bound windows in the side-by-side comparison."""


def data(n_in: int, n_classes: int):
    import numpy as np
    rng = np.random.default_rng(0)
    return rng.normal(size=(4096, n_in)), rng.integers(0, n_classes, 4096)


def make_trainer(n_in: int, hidden: tuple[int, ...], n_classes: int, batch: int, dtype: str, threads: int):
    from gradtui.engine import TrainConfig, Trainer
    cfg = TrainConfig(hidden=hidden, batch_size=batch, optimizer="adam", lr=1e-3, dtype=dtype,
                      blas_threads=threads)
    return Trainer.from_arrays(*data(n_in, n_classes), cfg)


def rate(run_steps, seconds: float, warmup: int = 20) -> float:
    """Steps/s of ``run_steps(k)`` over about ``seconds`` (after ``warmup`` steps)."""
    run_steps(warmup)
    batch, done = 10, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        run_steps(batch)
        done += batch
        batch = min(batch * 2, 500)
    return done / (time.perf_counter() - start)


def bare_split(trainer, steps: int) -> dict[str, float]:
    """Microseconds per step by phase without statistics: forward (+batch, loss), backward, optimizer."""
    model, loss, opt, sampler = trainer.model, trainer.loss, trainer.optimizer, trainer.sampler
    X = trainer.data.X_train.astype(model.dtype)
    T = loss.targets(trainer.data.y_train, trainer.data.n_classes).astype(model.dtype)
    times = dict(forward=0.0, backward=0.0, optimizer=0.0)
    clock = time.perf_counter
    with trainer.blas_limit:
        for _ in range(steps):
            t0 = clock()
            idx = sampler.next()
            out = model.forward(X.take(idx, axis=0), train=True)
            _, dout = loss.value_and_grad(out, T.take(idx, axis=0))
            t1 = clock()
            model.backward(dout, need_input_grad=False)
            t2 = clock()
            opt.step()
            t3 = clock()
            times["forward"] += t1 - t0
            times["backward"] += t2 - t1
            times["optimizer"] += t3 - t2
    return {k: 1e6 * v / steps for k, v in times.items()}


def torch_stepper(n_in: int, hidden: tuple[int, ...], n_classes: int, batch: int, dtype: str):
    """``run_steps(k)`` of a PyTorch eager loop (Linear+ReLU, cross-entropy, Adam lr 1e-3) on
    one thread, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(0)
    kind = getattr(torch, dtype)
    sizes = [n_in, *hidden, n_classes]
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X, y = data(n_in, n_classes)
    X, y = torch.tensor(X, dtype=kind), torch.tensor(y)
    generator = torch.Generator().manual_seed(0)

    def run_steps(k: int) -> None:
        for _ in range(k):
            idx = torch.randint(0, len(X), (batch,), generator=generator)
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()

    return run_steps


def gemm_stepper(trainer):
    """``run_steps(k)``: only the matrix products of ``trainer``'s step, as NumPy runs them
    there (its weights, its batch size and dtype, preallocated outputs): the bound the
    step's other work (batch gathering, activations, loss, optimizer, statistics) eats into."""
    import numpy as np
    model, batch = trainer.model, trainer.config.batch_size
    rng = np.random.default_rng(0)
    weights = [layer.W.value for layer in model.layers]
    inputs = [rng.normal(size=(batch, layer.fan_in)).astype(model.dtype) for layer in model.layers]
    outputs = [np.empty((batch, layer.fan_out), model.dtype) for layer in model.layers]
    grads = [np.empty_like(W) for W in weights]
    back = [np.empty((batch, layer.fan_in), model.dtype) for layer in model.layers]
    last = len(weights) - 1

    def run_steps(k: int) -> None:
        for _ in range(k):
            for x, W, z in zip(inputs, weights, outputs):
                np.matmul(x, W, out=z)
            for i in range(last, -1, -1):
                np.matmul(inputs[i].T, outputs[i], out=grads[i])
                if i:
                    np.matmul(outputs[i], weights[i].T, out=back[i])

    return run_steps


def side_by_side(steppers: dict, seconds: float) -> dict[str, float]:
    """Best steps/s of each ``run_steps`` over ``ROUNDS`` turns of ``seconds / ROUNDS`` each."""
    best = dict.fromkeys(steppers, 0.0)
    for turn in range(ROUNDS):
        for name, run_steps in steppers.items():
            best[name] = max(best[name], rate(run_steps, seconds / ROUNDS, warmup=2 if turn else 20))
    return best


def child(args: argparse.Namespace) -> None:
    """Measure every case in this process's mode; print one JSON line."""
    rows = []
    for label, n_in, hidden, n_classes, batch in CASES:
        for dtype in DTYPES:
            trainer = make_trainer(n_in, hidden, n_classes, batch, dtype, args.blas_threads)
            row = {"label": label, "dtype": dtype}
            if args.side:
                steppers = {"rate": trainer.run, "gemm": gemm_stepper(trainer),
                            "torch": None if args.no_torch else torch_stepper(n_in, hidden, n_classes, batch, dtype)}
                with trainer.blas_limit:
                    row |= side_by_side({k: v for k, v in steppers.items() if v is not None}, args.seconds)
            else:
                row["rate"] = rate(trainer.run, args.seconds)
            if args.split and dtype == "float64":
                row["split"] = bare_split(trainer, 300 if n_in < 784 else 60)
                row["step_us"] = 1e6 / row["rate"]
            rows.append(row)
    print(json.dumps(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="timed seconds per case and column (and for each side by side)")
    parser.add_argument("--load", action="store_true", help="also measure with a second busy process")
    parser.add_argument("--blas-threads", type=int, default=1, help="TrainConfig.blas_threads for the engine")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--split", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    print(f"engine steps/s, Adam, all statistics on, blas_threads={args.blas_threads}; {machine_line()}")
    common = ["--seconds", str(args.seconds), "--blas-threads", str(args.blas_threads)]
    results = {}
    for mode, load in columns(args.load):
        extra = []
        if (mode, load) == ("pinned", False):
            extra += ["--split", "--side"] + (["--no-torch"] if args.no_torch else [])
        results[(mode, load)] = run_child(__file__, mode, load, common + extra)
    cols = list(results)
    header = ["network", "dtype"] + [column_name(*c) for c in cols]
    if args.load:
        header.append("as run/pinned under load")
    torch_rows = results[("pinned", False)]
    has_torch = any(r.get("torch") for r in torch_rows)
    header += ["GEMM bound", "of GEMM"]
    if has_torch:
        header += ["torch 1 thread", "x torch"]
    rows = []
    for i, base in enumerate(results[("pinned", False)]):
        row = [base["label"], base["dtype"]] + [f"{results[c][i]['rate']:,.0f}" for c in cols]
        if args.load:
            row.append(f"{results[('as run', True)][i]['rate'] / results[('pinned', True)][i]['rate']:.0%}")
        row += [f"{base['gemm']:,.0f}", f"{base['rate'] / base['gemm']:.2f}"]
        if has_torch:
            row += [f"{base['torch']:,.0f}", f"{base['rate'] / base['torch']:.2f}"] if base.get("torch") else ["-", "-"]
        rows.append(row)
    print_table(header, rows)
    print()
    print("per-step split, pinned, float64 (microseconds):")
    split_rows = []
    for row in torch_rows:
        if "split" in row:
            parts, step = row["split"], row["step_us"]
            stats = max(step - sum(parts.values()), 0.0)
            split_rows.append([row["label"], f"{step:.1f}", f"{parts['forward']:.1f}", f"{parts['backward']:.1f}",
                               f"{parts['optimizer']:.1f}", f"{stats:.1f}", f"{stats / step:.0%}"])
    print_table(["network", "step", "fwd", "bwd", "optim", "stats", "stats %"], split_rows)
    if not has_torch and not args.no_torch:
        print("(PyTorch not installed: no comparison; it is never a dependency of gradtui)")


if __name__ == "__main__":
    sys.exit(main())
