"""Model export: the generated PyTorch, NumPy and JSON files compute what the trainer computes."""

import ast
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.train.config import ACTIVATIONS
from gradtui.engine.train.model_export import FORMATS, describe, export_model

RUNS = [(act, bn) for act in ACTIVATIONS for bn in (False, True)]


def trained(steps: int = 40, **settings) -> Trainer:
    """A trained network whose weights, and batch-norm statistics if any, have moved from init."""
    config = dict(hidden=(6, 5), lr=0.03, batch_size=16, n_samples=120, seed=4)
    config.update(settings)
    trainer = Trainer(TrainConfig(**config))
    trainer.run(steps)
    return trainer


def regression_trainer() -> Trainer:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = X @ [0.5, -1.0, 2.0] + np.sin(X[:, 0])
    trainer = Trainer.from_arrays(X, y, TrainConfig(hidden=(7,), activation="tanh", batchnorm=True,
                                                    batch_size=10, lr=0.02))
    trainer.run(30)
    return trainer


def probe_inputs(trainer: Trainer) -> np.ndarray:
    """The test set plus inputs far outside it (large activations, saturated units)."""
    rng = np.random.default_rng(7)
    wide = rng.normal(scale=4.0, size=(50, trainer.data.n_features))
    return np.concatenate([trainer.data.X_test, wide])


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300))


def load_module(path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(trainer: Trainer, fmt: str, folder) -> "pathlib.Path":
    path = folder / ("model.json" if fmt == "json" else f"model_{fmt}.py")
    path.write_text(export_model(trainer, fmt, source="run.npz"))
    return path


# --- PyTorch ---------------------------------------------------------------------------------

@pytest.mark.parametrize("activation,batchnorm", RUNS)
def test_torch_module_matches_predict(activation, batchnorm, tmp_path, tool):
    torch = tool("torch", "the PyTorch export test runs the generated module")
    trainer = trained(activation=activation, batchnorm=batchnorm)
    module = load_module(write(trainer, "torch", tmp_path), f"export_{activation}_{batchnorm}")
    model = module.build_model()
    assert not model.training
    X = probe_inputs(trainer)
    with torch.no_grad():
        got = model(torch.tensor(X, dtype=torch.float64)).numpy()
    want = trainer.predict(X, raw=True)
    assert got.dtype == np.float64
    assert relative_error(got, want) < 1e-10
    np.testing.assert_array_equal(module.classify(torch.tensor(got)).numpy(), trainer.predict(X))
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds.count("Linear") == 3 and kinds.count("BatchNorm1d") == (2 if batchnorm else 0)
    if batchnorm:  # the statistics really moved away from their start, so the test can fail
        assert not np.allclose(trainer.model.layers[0].running_var, 1.0)


@pytest.mark.parametrize("case", ["bce", "hinge", "regression", "no-hidden"])
def test_torch_module_for_other_outputs(case, tmp_path, tool):
    torch = tool("torch", "the PyTorch export test runs the generated module")
    trainer = {"bce": lambda: trained(loss="bce", dataset="circle", batchnorm=True),
               "hinge": lambda: trained(loss="hinge", dataset="xor", activation="elu"),
               "regression": regression_trainer,
               "no-hidden": lambda: trained(hidden=(), dataset="gauss")}[case]()
    module = load_module(write(trainer, "torch", tmp_path), f"export_{case}")
    X = probe_inputs(trainer)
    with torch.no_grad():
        got = module.build_model()(torch.tensor(X, dtype=torch.float64)).numpy()
    assert relative_error(got, trainer.predict(X, raw=True)) < 1e-10
    if trainer.is_classification:
        np.testing.assert_array_equal(module.classify(torch.tensor(got)).numpy(), trainer.predict(X))
    else:
        assert not hasattr(module, "classify")


def test_torch_module_in_float32(tmp_path, tool):
    torch = tool("torch", "the PyTorch export test runs the generated module")
    trainer = trained(dtype="float32", batchnorm=True)
    model = load_module(write(trainer, "torch", tmp_path), "export_f32").build_model()
    assert model.layers.linear0.weight.dtype == torch.float32
    X = trainer.data.X_test
    with torch.no_grad():
        got = model(torch.tensor(X, dtype=torch.float32)).numpy()
    assert relative_error(got, trainer.predict(X, raw=True)) < 1e-5


def test_torch_file_holds_the_weights_exactly(tmp_path):
    """Parsed without running PyTorch: every number in WEIGHTS is the trainer's, bit for bit."""
    trainer = trained(batchnorm=True)
    tree = ast.parse(write(trainer, "torch", tmp_path).read_text())
    weights = next(ast.literal_eval(node.value) for node in tree.body
                   if isinstance(node, ast.Assign) and node.targets[0].id == "WEIGHTS")
    layer = trainer.model.layers[1]
    np.testing.assert_array_equal(np.array(weights["layers.linear1.weight"]), layer.W.value.T)
    np.testing.assert_array_equal(np.array(weights["layers.bn1.running_var"]), layer.running_var)
    np.testing.assert_array_equal(np.array(weights["layers.bn1.weight"]), layer.gamma.value)
    assert "import torch" in ast.unparse(tree) and "gradtui" not in _imports(tree)


# --- NumPy -----------------------------------------------------------------------------------

def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("activation,batchnorm", RUNS)
def test_numpy_script_matches_predict_bit_for_bit(activation, batchnorm, tmp_path):
    trainer = trained(activation=activation, batchnorm=batchnorm)
    path = write(trainer, "numpy", tmp_path)
    assert _imports(ast.parse(path.read_text())) == {"csv", "sys", "numpy"}
    module = load_module(path, f"numpy_{activation}_{batchnorm}")
    X = probe_inputs(trainer)
    np.testing.assert_array_equal(module.predict(X), trainer.predict(X, raw=True))
    np.testing.assert_array_equal(module.classify(module.predict(X)), trainer.predict(X))


def test_numpy_script_runs_on_a_csv_file(tmp_path):
    trainer = trained(loss="bce", dataset="circle")
    path = write(trainer, "numpy", tmp_path)
    X = probe_inputs(trainer)[:20]
    features = tmp_path / "features.csv"
    features.write_text("".join(",".join(map(repr, row)) + "\n" for row in X.tolist()))
    out = subprocess.run([sys.executable, str(path), str(features)], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    printed = np.array([[float(v) for v in line.split(",")] for line in out.stdout.splitlines()])
    np.testing.assert_array_equal(printed, trainer.predict(X, raw=True))
    usage = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert usage.returncode == 1 and usage.stderr.startswith("usage: python")


# --- JSON ------------------------------------------------------------------------------------

def forward_from_json(model: dict, X: np.ndarray) -> np.ndarray:
    """An independent reading of the documented JSON: dense, batch norm, activation, per layer."""
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "linear": lambda z: z,
           "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
           "leaky_relu": lambda z: np.where(z > 0, z, model["leaky_slope"] * z)}
    out = X
    for layer in model["layers"]:
        z = out @ np.array(layer["W"]) + np.array(layer["b"])
        bn = layer["batchnorm"]
        if bn:
            z = ((z - np.array(bn["running_mean"])) / np.sqrt(np.array(bn["running_var"])
                                                              + model["batchnorm_eps"])
                 * np.array(bn["gamma"]) + np.array(bn["beta"]))
        out = act[layer["activation"]](z)
    return out


@pytest.mark.parametrize("activation,batchnorm", RUNS)
def test_json_describes_the_network(activation, batchnorm, tmp_path):
    trainer = trained(activation=activation, batchnorm=batchnorm)
    model = json.loads(write(trainer, "json", tmp_path).read_text())
    assert model["format"] == "gradtui-model" and model["version"] == 1
    assert model["sizes"] == [2, 6, 5, 2] and model["architecture"] == "2-6-5-2"
    assert [layer["activation"] for layer in model["layers"]] == [activation, activation, "linear"]
    assert model["decision"] == "argmax" and model["step"] == 40 and model["source"] == "run.npz"
    for layer, ours in zip(model["layers"], trainer.model.layers):
        np.testing.assert_array_equal(np.array(layer["W"]), ours.W.value)  # exact round trip
        assert (layer["batchnorm"] is not None) == ours.batchnorm
    X = probe_inputs(trainer)
    assert relative_error(forward_from_json(model, X), trainer.predict(X, raw=True)) < 1e-10


def test_json_matches_describe():
    trainer = regression_trainer()
    assert json.loads(export_model(trainer, "json")) == json.loads(json.dumps(describe(trainer)))
    assert describe(trainer)["decision"] is None and describe(trainer)["task"] == "regression"


# --- refusals --------------------------------------------------------------------------------

def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="valid: torch, numpy, json"):
        export_model(trained(steps=1), "onnx")
    assert FORMATS == ("torch", "numpy", "json")


@pytest.mark.parametrize("where", ["weights", "running_var"])
def test_non_finite_network_is_refused(where):
    trainer = trained(steps=3, batchnorm=True)
    if where == "weights":
        trainer.model.flat_value[0] = np.nan
    else:
        trainer.model.layers[0].running_var[0] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        export_model(trainer, "json")
