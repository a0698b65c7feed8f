"""Checkpoints through the command line, in real processes: a --data checkpoint finds its
file from any folder and refuses changed data; damaged checkpoints are one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
CSV = "a,b,label\n" + "\n".join(f"{i % 5},{(i * 7) % 3},{i % 2}" for i in range(30)) + "\n"


def gradtui(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradtui", *args], capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=120)


@pytest.fixture
def data_run(tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "project" / "mine.csv").write_text(CSV)
    saved = gradtui("run", "--data", "mine.csv", "--steps", "4", "--save", "ck.npz", cwd=tmp_path / "project")
    assert saved.returncode == 0, saved.stderr
    return tmp_path


def test_a_data_checkpoint_loads_from_another_folder(data_run):
    result = gradtui("run", "--load", "../project/ck.npz", "--steps", "2", cwd=data_run / "elsewhere")
    assert result.returncode == 0, result.stderr
    assert "from step 4" in result.stdout.splitlines()[0]


def test_a_data_checkpoint_refuses_changed_data(data_run, one_error_line):
    csv = data_run / "project" / "mine.csv"
    csv.write_text(csv.read_text().replace("\n1,", "\n2,", 1))
    result = gradtui("run", "--load", "ck.npz", "--steps", "2", cwd=data_run / "project")
    one_error_line(result, 2, "ck.npz: the data", "mine.csv has changed since this checkpoint was saved")


def rewrite(source, target, edit) -> None:
    with np.load(source) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    edit(meta, arrays)
    arrays["meta"] = np.array(json.dumps(meta))
    with open(target, "wb") as fh:
        np.savez(fh, **arrays)


DAMAGE = {
    "short optimizer array": (lambda m, a: a.update({"optim/0.exp_avg": a["optim/0.exp_avg"][:-3]}), "exp_avg"),
    "no optimizer array": (lambda m, a: a.pop("optim/0.exp_avg_sq"), "exp_avg_sq"),
    "sampler order out of range": (lambda m, a: a.update({"sampler_perm": a["sampler_perm"] + 1}), "permutation"),
    "negative sampler position": (lambda m, a: m["sampler"].update(pos=-1), "sampler.pos"),
    "bad random state": (lambda m, a: m["sampler"].update(rng={"bit_generator": "PCG64"}), "random-generator"),
    "NaN weights": (lambda m, a: a.update({"weights": a["weights"] * np.nan}), "NaN"),
    "step -5": (lambda m, a: m.update(step=-5), "step must be a whole number of 0 or more"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_checkpoints_are_one_line_at_load(tmp_path, damage, one_error_line):
    saved = gradtui("run", "--steps", "5", "--save", "good.npz", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    edit, fragment = DAMAGE[damage]
    rewrite(tmp_path / "good.npz", tmp_path / "bad.npz", edit)
    one_error_line(gradtui("run", "--load", "bad.npz", "--steps", "2", cwd=tmp_path), 2,
                   "bad.npz: damaged gradtui checkpoint", fragment)
