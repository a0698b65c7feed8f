"""Values that would give non-finite weights or allocate without bound are refused before
anything is built: through the command line (one stderr line, exit 2, no traceback, in a
real process) for each way a user can give them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from gradtui.engine import Trainer

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}

TOML = {
    "bias_nan.toml": "bias_init = nan\n",
    "bias_inf.toml": "bias_init = -inf\n",
    "float32_init.toml": 'dtype = "float32"\ninit = "normal:1e150"\n',
    "float32_big.toml": 'dtype = "float32"\ndata = "big.csv"\n',
    "many_samples.toml": "n_samples = 1e14\n",
    "deep.toml": 'hidden = "' + ",".join(["1"] * 200_000) + '"\n',
    "wide.toml": "hidden = [10000000000]\n",
    "dead.toml": "dead_fraction = 5\n",
    "saturated.toml": "saturated_fraction = 0\n",
    "both.toml": 'dataset = "moons"\ndata = "big.csv"\n',
}

CASES = [
    (["--init", "normal:1e308"], "init 'normal:1e308': the std must be at most 1.8e+305 for float64"),
    (["--config", "bias_nan.toml"], "bias_init must be finite", "got nan"),
    (["--config", "bias_inf.toml"], "bias_init must be finite", "got -inf"),
    (["--config", "float32_init.toml"], "the std must be at most 3.4e+35 for float32"),
    (["--config", "float32_big.toml"], "features reach 1e+39, beyond the range of float32"),
    (["--hidden", "10000000000"], "50,000,000,002 parameters; gradtui trains up to 20,000,000"),
    (["--config", "wide.toml"], "gradtui trains up to 20,000,000"),
    (["--config", "many_samples.toml"], "n_samples must be from 4 to 1,000,000"),
    (["--config", "deep.toml"], "200,000 hidden layers; gradtui trains up to 1000"),
    (["--config", "dead.toml"], "dead_fraction is a fraction: it must be above 0 and at most 1, got 5"),
    (["--config", "saturated.toml"], "saturated_fraction must be greater than zero"),
    (["--config", "both.toml"], "both.toml: give dataset or data, not both"),
    (["--data", "claims.npz"], "x_train.npy claims shape (100000000000, 2)", "but holds 64 bytes"),
    (["--data", "pickled.npz"], "x_train.npy holds object values"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("values")
    for name, text in TOML.items():
        (folder / name).write_text(text)
    rows = [f"{i},{1e39 if i == 3 else i},{i % 2}" for i in range(12)]
    (folder / "big.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    write_npz(folder / "claims.npz", shape="(100000000000, 2)")
    write_npz(folder / "pickled.npz", pickled=True)
    return folder


def write_npz(path, shape: str | None = None, pickled: bool = False) -> None:
    """A Keras-style .npz whose x_train header claims ``shape``, or holds pickled objects."""
    def npy(array, allow_pickle=False) -> bytes:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=allow_pickle)
        return buffer.getvalue()

    plain = npy(np.zeros((4, 2)))
    x_train = npy(np.array([{}] * 4, dtype=object), allow_pickle=True) if pickled else plain
    if shape:
        begin, end = x_train.index(b"{"), x_train.index(b"\n")
        header = x_train[begin:end].decode().replace("(4, 2)", shape).rstrip().encode()
        x_train = x_train[:begin] + header.ljust(end - begin) + x_train[end:]
    with zipfile.ZipFile(path, "w") as archive:
        for name, member in (("x_train", x_train), ("y_train", npy(np.arange(4))),
                             ("x_test", plain), ("y_test", npy(np.arange(4)))):
            archive.writestr(f"{name}.npy", member)


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(c[0]))
def test_refused_in_one_line_before_anything_is_built(folder, case, one_error_line):
    argv, *fragments = case
    result = subprocess.run([sys.executable, "-m", "gradtui", "run", "--steps", "2", *argv],
                            capture_output=True, text=True, cwd=folder, env=ENV, timeout=60)
    one_error_line(result, 2, "gradtui: error: ", *fragments)
    assert "Warning" not in result.stderr and result.stdout == ""


def test_a_float32_run_on_huge_features_refuses_its_steps_and_stays_finite(folder):
    """Features around 1e30 in float32 with MAE and Adam: every step is refused and says so;
    the saved optimizer state is finite, so the checkpoint loads."""
    rows = [f"{i * 1e29},{-i * 1e29},{i / 7}" for i in range(1, 21)]
    (folder / "huge.csv").write_text("\n".join(rows) + "\n")
    (folder / "huge.toml").write_text('data = "huge.csv"\ndtype = "float32"\nloss = "mae"\n')
    result = subprocess.run([sys.executable, "-m", "gradtui", "run", "--config", "huge.toml", "--steps", "5",
                             "--out", "huge.jsonl", "--save", "huge.npz", "--force"],
                            capture_output=True, text=True, cwd=folder, env=ENV, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    rows = [json.loads(line) for line in (folder / "huge.jsonl").read_text().splitlines()]
    assert all({"kind": "nonfinite", "layer": "model"} in row["flags"] for row in rows)
    trainer = Trainer.load(str(folder / "huge.npz"))
    assert trainer.optimizer.t == 0 and np.isfinite(trainer.model.flat_value).all()


@pytest.mark.parametrize("n_labels, task", [(100, "(100 classes)"), (101, "(regression)")])
def test_the_first_line_says_whether_integer_labels_became_classes(folder, n_labels, task):
    """Up to 100 distinct whole-number labels are classes; more (ages, counts) are a regression
    target, and the run says which instead of deciding silently."""
    rows = [f"{i / 10},{i % 7},{i % n_labels}" for i in range(2 * n_labels)]
    (folder / f"labels{n_labels}.csv").write_text("\n".join(rows) + "\n")
    result = subprocess.run([sys.executable, "-m", "gradtui", "run", "--data", f"labels{n_labels}.csv",
                             "--steps", "1"], capture_output=True, text=True, cwd=folder, env=ENV, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(f"default-modified: labels{n_labels} {task},")
