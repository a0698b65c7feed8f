"""Hostile names in exported models are data: the generated Python differs from a plain name's
only in the string literals SOURCE and TRAINED_ON, imports without running anything else, and
holds the names exactly (issue 27)."""

from __future__ import annotations

import io
import json
import tokenize

import numpy as np
import pytest
from hostile_names import ISSUE_NAME, NOT_UTF8, hostile_names, import_exports

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.train.model_export import describe, render_json, render_numpy, render_torch

NAMES = hostile_names(300) + [NOT_UTF8]
RENDER = {"numpy": render_numpy, "torch": render_torch}
PLAIN = ("plain source", "plain data")


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    trainer = Trainer(TrainConfig(hidden=(5,), batchnorm=True, batch_size=16, n_samples=80, seed=3))
    trainer.run(20)
    return trainer


def generated(trainer: Trainer, fmt: str, source: str, data: str) -> str:
    model = describe(trainer, source)
    model["data"] = data
    return RENDER[fmt](model)


def tokens(text: str) -> list[tuple[int, str]]:
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(text).readline)]


def names_as_given(text: str) -> tuple[str, ...]:
    """The generated file's tokens with SOURCE's and TRAINED_ON's literals replaced by the plain
    names' literals: equal to the plain file's tokens exactly when the names went nowhere else."""
    found = tokens(text)
    for i, (kind, value) in enumerate(found):
        if kind == tokenize.NAME and value in ("SOURCE", "TRAINED_ON") and found[i + 1][1] == "=":
            found[i + 2] = (tokenize.STRING, repr(PLAIN[value == "TRAINED_ON"]))
    return tuple(found)


@pytest.mark.parametrize("fmt", RENDER)
def test_the_issues_name_was_code_and_is_now_a_literal(fmt, trainer):
    text = generated(trainer, fmt, ISSUE_NAME, ISSUE_NAME)
    module = compile(text, "net.py", "exec")
    assert "system" not in module.co_names and "__import__" not in module.co_names
    assert tokens(text).count((tokenize.STRING, repr(ISSUE_NAME))) == 2


@pytest.mark.parametrize("fmt", RENDER)
def test_a_name_changes_nothing_but_its_own_literal(fmt, trainer):
    """Fails for any writer that puts an outside string anywhere else: the docstring, a
    comment, code (the names in a test of the bug put back are concatenated into the docstring)."""
    plain = tokens(generated(trainer, fmt, *PLAIN))
    for i, name in enumerate(NAMES):
        text = generated(trainer, fmt, name, NAMES[-1 - i])
        assert names_as_given(text) == tuple(plain), name


@pytest.mark.parametrize("fmt", RENDER)
def test_importing_runs_nothing_and_reads_back_every_name(fmt, trainer, tmp_path, tool):
    if fmt == "torch":
        tool("torch", "the PyTorch export is imported to check the names it holds")
    X = trainer.data.X_test
    np.save(tmp_path / "X.npy", X)
    files = []
    for i, name in enumerate(NAMES):
        files.append(f"net{i}.py")
        (tmp_path / files[-1]).write_text(generated(trainer, fmt, name, NAMES[-1 - i]), encoding="utf-8")
    read = import_exports(tmp_path, fmt, files)
    want = trainer.predict(X, raw=True)
    for i, name in enumerate(NAMES):
        source, data, outputs = read[files[i]]
        assert (source, data) == (name, NAMES[-1 - i])
        np.testing.assert_allclose(outputs, want, rtol=1e-12, atol=0)


def test_json_export_reads_back_every_name(trainer):
    for i, name in enumerate(NAMES):
        model = describe(trainer, name)
        model["data"] = NAMES[-1 - i]
        read = json.loads(render_json(model))
        assert (read["source"], read["data"]) == (name, NAMES[-1 - i])
