"""``gradtui run --trace INDEX`` and ``--landscape FILE.npz``: what they print and save equals
the engine's own numbers for the same run, and every bad input is one line and exit code 2
before any training, with nothing overwritten."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.tui.cli.main import build_parsers, main, prepare

RUN = ["--steps", "20", "--seed", "3"]


def same_run(*flags: str):
    """The trainer ``gradtui run`` builds for ``flags``, trained as many steps."""
    trainer = prepare(build_parsers()["run"].parse_args([*RUN, *flags])).trainer
    trainer.run(20)
    return trainer


def test_trace_prints_every_layer_of_the_sample(capsys):
    assert main(["run", *RUN, "--trace", "7"]) == 0
    out = capsys.readouterr().out
    expected = same_run().trace(7)
    assert f"trace of training sample 7 at step 20 (eval mode): label {expected.label}, " \
           f"loss {expected.loss:.6g}" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("layers.")]
    assert [r[0] for r in rows] == ["layers.0"] * 12 + ["layers.1"] * 12 + ["layers.2"] * 2
    for row in rows:
        layer = expected.layers[int(row[0].split(".")[1])]
        j = int(row[1])
        assert row[2] == layer.activation
        shown = [float(v) for v in row[3:]]
        exact = [layer.z[j], layer.a[j], layer.fprime[j], layer.da[j], layer.dz[j], layer.db[j],
                 np.linalg.norm(layer.dW[:, j])]
        np.testing.assert_allclose(shown, exact, rtol=1e-3, atol=1e-300)
    assert out.count("4 more units (Trainer.trace has them all)") == 2


def test_landscape_saves_the_engines_surface(tmp_path, capsys):
    path = tmp_path / "surface.npz"
    assert main(["run", *RUN, "--landscape", str(path), "--landscape-steps", "5",
                 "--landscape-span", "0.5"]) == 0
    out = capsys.readouterr().out
    trainer = same_run()
    expected = trainer.loss_landscape(0.5, 5)
    with np.load(path) as saved:
        np.testing.assert_array_equal(saved["loss"], expected.loss)
        np.testing.assert_array_equal(saved["alphas"], expected.alphas)
        np.testing.assert_array_equal(saved["d1"], expected.directions[0])
        np.testing.assert_array_equal(saved["weights"], trainer.model.flat_value)
        assert int(saved["step"]) == 20 and int(saved["rows"]) == int(saved["of_rows"]) == 250
        assert saved["loss"][2, 2] == trainer.evaluate().train_loss
    assert f"saved loss surface {path}: 5 x 5 grid, span 0.5, on all 250 training samples" in out


def one_line_error(capsys, argv: list[str], *fragments: str) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradtui: error: "), captured.err
    assert "Traceback" not in captured.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert "step" not in captured.out  # refused before any training


@pytest.mark.parametrize("flags, fragments", [
    (["--trace", "250"], ["--trace: sample index 250 out of range", "250 samples (0..249)"]),
    (["--trace", "-1"], ["--trace: sample index -1 out of range"]),
    (["--trace", "two"], ["--trace", "invalid int value: 'two'"]),
    (["--landscape", "{tmp}/s.npz", "--landscape-span", "wide"], ["--landscape-span", "invalid float"]),
    (["--landscape", "{tmp}/surface.txt"], [".npz"]),
    (["--landscape", "{tmp}/missing/surface.npz"], ["does not exist"]),
    (["--landscape", "{tmp}/s.npz", "--landscape-steps", "2"], ["steps must be a whole number from 3"]),
    (["--landscape", "{tmp}/s.npz", "--landscape-span", "nan"], ["span must be a finite number > 0"]),
    (["--landscape", "{tmp}/s.npz", "--landscape-span", "inf"], ["span must be a finite number > 0"]),
    (["--landscape", "{tmp}/s.npz", "--landscape-span", "0"], ["span must be a finite number > 0"]),
    (["--landscape-steps", "5"], ["give --landscape too"]),
    (["--scenario", "quadratic", "--trace", "1"], ["calculus run has none"]),
    (["--scenario", "quadratic", "--landscape", "{tmp}/s.npz"], ["calculus run has none"]),
])
def test_bad_inspection_flags_are_one_line_before_training(tmp_path, capsys, flags, fragments):
    flags = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    steps = [] if "quadratic" in flags else ["--steps", "5"]
    one_line_error(capsys, ["run", *steps, *flags], *fragments)
    assert not (tmp_path / "s.npz").exists()


def test_a_refused_run_leaves_an_existing_file_alone(tmp_path, capsys):
    path = tmp_path / "s.npz"
    path.write_bytes(b"the user's own bytes")
    one_line_error(capsys, ["run", "--landscape", str(path), "--landscape-span", "-2"], "span")
    assert path.read_bytes() == b"the user's own bytes"
