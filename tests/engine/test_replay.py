"""Replaying runs: planned changes land at their steps, and any run written back as a config
(``recipe``) trains to the same bits; its TOML form holds every number exactly."""

import tomllib

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.train.changes import Change
from gradtui.engine.train.replay import recipe, to_toml


def same_state(a: Trainer, b: Trainer) -> bool:
    return (a.step_count == b.step_count and a.config == b.config
            and np.array_equal(a.model.flat_value, b.model.flat_value)
            and all(np.array_equal(x, y) for x, y in zip(a.model.buffers().values(),
                                                          b.model.buffers().values()))
            and a.sampler.state()["pos"] == b.sampler.state()["pos"])


def replayed(trainer: Trainer) -> Trainer:
    """A fresh trainer on ``recipe(trainer)``, trained as many steps."""
    fresh = Trainer(recipe(trainer))
    fresh.run(trainer.step_count)
    return fresh


# --- planned changes -------------------------------------------------------------------------

def test_a_planned_change_lands_where_a_live_change_between_steps_does(fingerprint):
    live = Trainer(TrainConfig())
    by_hand = live.run(7)
    live.update(lr=0.05, optimizer="momentum")
    by_hand += live.run(6)
    planned = Trainer(TrainConfig(changes=({"step": 7, "lr": 0.05, "optimizer": "momentum"},)))
    assert fingerprint(planned.run(13)) == fingerprint(by_hand)
    assert same_state(planned, live) is False  # the configs differ: one has a plan
    assert np.array_equal(planned.model.flat_value, live.model.flat_value)
    assert [(c.step, c.settings) for c in planned.changes] == [(7, {"lr": 0.05, "optimizer": "momentum"})]


def test_planned_changes_apply_through_step_run_and_run_until():
    plan = ({"step": 0, "lr": 0.02}, {"step": 3, "batch_size": None}, {"step": 3, "clip_mode": "norm"})
    for drive in (lambda t: [t.step() for _ in range(5)], lambda t: t.run(5),
                  lambda t: t.run_until("step>=5", max_steps=100)):
        trainer = Trainer(TrainConfig(changes=plan))
        drive(trainer)
        assert trainer.step_count == 5
        assert (trainer.config.lr, trainer.config.batch_size, trainer.config.clip_mode) == (0.02, None, "norm")
        assert [c.step for c in trainer.changes] == [0, 3, 3]


def test_a_rewound_run_applies_its_plan_again():
    trainer = Trainer(TrainConfig(changes=({"step": 4, "lr": 0.1},)))
    start = trainer.snapshot()
    trainer.run(6)
    trainer.restore(start)
    assert trainer.config.lr == 0.01 and trainer.changes == []
    trainer.run(6)
    assert trainer.config.lr == 0.1 and [c.step for c in trainer.changes] == [4]


@pytest.mark.parametrize("plan,message", [
    (({"lr": 0.1},), "needs a step"),
    (({"step": -1, "lr": 0.1},), "zero or more"),
    (({"step": 2.5, "lr": 0.1},), "whole number"),
    (({"step": 3},), "no setting to change"),
    (({"step": 3, "seed": 4},), "'seed' cannot be changed mid-run"),
    (({"step": 3, "colour": "red"},), "'colour' cannot be changed mid-run"),
    (({"step": 3, "lr": -1.0},), "changes at step 3: lr must be greater than zero"),
    (({"step": 3, "optimizer": "sgd"}, {"step": 1, "momentum": 1.5}), "changes at step 1: momentum"),
    ((5,), "needs a step"),
])
def test_bad_plans_are_refused_in_one_line(plan, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(changes=plan)


def test_plans_are_kept_in_step_order_and_survive_checkpoints(tmp_path):
    config = TrainConfig(changes=({"step": 9, "hidden": [16, 32]}, {"step": 2, "lr": 0.05}))
    assert [e["step"] for e in config.changes] == [2, 9] and config.changes[1]["hidden"] == (16, 32)
    trainer = Trainer(config)
    trainer.run(4)
    trainer.save(str(tmp_path / "run.npz"))
    loaded = Trainer.load(str(tmp_path / "run.npz"))
    assert loaded.config == trainer.config and loaded.changes == trainer.changes
    loaded.run(8)
    trainer.run(8)
    assert same_state(loaded, trainer) and trainer.model.sizes[1:-1] == [16, 32]


# --- recipe: any run back as a config ---------------------------------------------------------

def eventful(trainer: Trainer) -> Trainer:
    """Live changes of every kind, a rewind (abandoning a reshape) and a reset-like restore."""
    trainer.run(5)
    trainer.update(lr=0.03)
    trainer.run(3)
    mark = trainer.snapshot()
    trainer.update(optimizer="sgd", hidden=(16, 20))
    trainer.run(4)
    trainer.restore(mark)  # the abandoned future's changes are dropped with it
    trainer.update(activation="tanh", schedule="cosine:100:0.0001")
    trainer.run(6)
    trainer.update(batch_size=None, clip_mode="norm", hidden=(16, 24, 24))
    trainer.run(2)
    trainer.update(dataset="xor", noise=0.1, loss="mse")
    trainer.run(3)
    return trainer


@pytest.mark.parametrize("batchnorm", [False, True])
def test_recipe_replays_bit_for_bit(batchnorm, fingerprint):
    trainer = eventful(Trainer(TrainConfig(batchnorm=batchnorm, n_samples=200)))
    config = recipe(trainer)
    assert config.lr == 0.01 and config.hidden == (16, 16) and config.dataset == "spiral"
    assert [e["step"] for e in config.changes] == [5, 8, 14, 16]
    fresh = replayed(trainer)
    assert np.array_equal(fresh.model.flat_value, trainer.model.flat_value)
    assert fresh.config == trainer.config.replace(changes=config.changes)
    assert fingerprint(fresh.run(10)) == fingerprint(trainer.run(10))
    assert recipe(fresh) == config  # a replayed run writes the same recipe


def test_recipe_of_a_reset_run_starts_from_the_first_weights():
    trainer = Trainer(TrainConfig())
    start = trainer.snapshot()
    trainer.run(10)
    trainer.update(lr=0.1, activation="elu")
    trainer.run(5)
    controls = {"lr": trainer.config.lr, "activation": trainer.config.activation}
    trainer.restore(start)  # what the app's reset does: first weights, controls kept
    trainer.update(**controls)
    trainer.run(7)
    config = recipe(trainer)
    assert config.lr == 0.01 and config.changes == ({"step": 0, "lr": 0.1, "activation": "elu"},)
    assert np.array_equal(replayed(trainer).model.flat_value, trainer.model.flat_value)


def test_recipe_keeps_planned_changes_still_ahead():
    trainer = Trainer(TrainConfig(changes=({"step": 3, "lr": 0.02}, {"step": 50, "lr": 0.005})))
    trainer.run(10)
    trainer.update(optimizer="rmsprop")
    config = recipe(trainer)
    assert config.changes == ({"step": 3, "lr": 0.02}, {"step": 10, "optimizer": "rmsprop"},
                              {"step": 50, "lr": 0.005})


def test_recipe_of_a_loaded_checkpoint_reaches_back_to_step_0(tmp_path):
    trainer = eventful(Trainer(TrainConfig()))
    trainer.save(str(tmp_path / "run.npz"))
    loaded = Trainer.load(str(tmp_path / "run.npz"))
    loaded.update(lr=0.2)
    loaded.run(4)
    trainer.update(lr=0.2)
    trainer.run(4)
    assert recipe(loaded) == recipe(trainer)
    assert np.array_equal(replayed(loaded).model.flat_value, loaded.model.flat_value)


def test_runs_a_config_cannot_describe_are_refused():
    rng = np.random.default_rng(0)
    arrays = Trainer.from_arrays(rng.normal(size=(40, 2)), rng.integers(0, 2, 40))
    with pytest.raises(ValueError, match="data held in memory"):
        recipe(arrays)
    drawn = Trainer(TrainConfig())
    drawn.use_data(arrays.data, "points drawn by hand")
    with pytest.raises(ValueError, match="data held in memory"):
        recipe(drawn)
    old = Trainer(TrainConfig())
    old.changes.append(Change(0, "lr 0.01 -> 0.1"))  # as read from an older checkpoint
    with pytest.raises(ValueError, match="older gradtui"):
        recipe(old)


# --- TOML -------------------------------------------------------------------------------------

def read_back(text: str) -> TrainConfig:
    """The TOML read as ``gradtui --config`` reads it: "none", "full" and "off" mean None."""
    def value(key, v):
        return None if v == "none" or (key == "batch_size" and v == "full") else v
    data = tomllib.loads(text)
    data["changes"] = [{k: value(k, v) for k, v in e.items()} for e in data["changes"]]
    return TrainConfig(**{k: value(k, v) for k, v in data.items()})


def test_toml_holds_every_setting_exactly():
    config = TrainConfig(lr=0.1 + 0.2, momentum=1 / 3, hidden=(), activation="linear", batch_size=None,
                         clip_mode="value", clip=1e-05, explode_norm=1e300, loss="mae", bias_init=-0.0,
                         dataset="sine", blas_threads=None, changes=({"step": 4, "hidden": [3, 3],
                                                                      "activation": "tanh",
                                                                      "batch_size": None},))
    text = to_toml(config, ["shared from gradtui", "second line"])
    assert text.startswith("# shared from gradtui\n# second line\n")
    assert "lr = 0.30000000000000004" in text and 'batch_size = "full"' in text
    assert 'blas_threads = "none"' in text and "explode_norm = 1e+300" in text
    assert '{step = 4, hidden = [3, 3], activation = "tanh", batch_size = "full"},' in text
    assert read_back(text) == config
    assert read_back(to_toml(TrainConfig())) == TrainConfig()
    on_file = TrainConfig(dataset=None, data="points.csv")
    text = to_toml(on_file)
    assert 'data = "points.csv"' in text and "dataset" not in text
    assert read_back(text).replace(dataset=None) == on_file
