"""Each network scenario's fix, as data: the change its hint makes, which twin mode's
"compare with the fix" trains as run B beside the scenario as it is."""

from __future__ import annotations

import pytest

from gradtui.engine import SCENARIOS, Trainer, Twin
from gradtui.engine.train.trainer import UPDATABLE

NETWORKS = [name for name, s in SCENARIOS.items() if not s.is_calculus]
WORDS = {"clip_mode": {"norm": "clip the gradient norm"}, "batchnorm": {True: "batch norm on"}}
"""How a hint says a value that it does not spell as the setting does."""


NO_FIX = {"overfitting": "its remedy, early stopping, is a stop condition (U), not a setting",
          "digits": "a healthy run whose hint only starts it"}
"""Network scenarios whose hint changes no setting, and why."""


@pytest.mark.parametrize("name", NETWORKS)
def test_every_network_scenario_has_a_fix_its_hint_names(name):
    scenario = SCENARIOS[name]
    if name in NO_FIX:
        assert scenario.fix is None
        return
    assert scenario.fix
    for key, value in scenario.fix.items():
        assert key in UPDATABLE  # applied mid-run, as the keys would
        said = WORDS.get(key, {}).get(value, f"{value:g}" if isinstance(value, float) else str(value))
        assert said in scenario.hint, (name, key, value)
    trainer = Trainer(scenario.config)
    trainer.update(**scenario.fix)
    assert all(getattr(trainer.config, k) == v for k, v in scenario.fix.items())


def test_calculus_scenarios_have_no_network_fix():
    assert all(s.fix is None for s in SCENARIOS.values() if s.is_calculus)


@pytest.mark.parametrize("name, steps, better", [
    ("exploding", 300, "B"), ("vanishing", 1500, "B"), ("dying-relu", 1000, "B"),
    ("saturation", 1000, "B"), ("lr-too-high", 300, "B"), ("lr-too-low", 1000, "B"),
    ("xor-linear", 200, "B"), ("default", 2000, "A"), ("line-fit", 50, "A"),
    ("edge-of-stability", 2000, "A"),
])
def test_the_fix_as_run_b_ends_as_the_hint_says(name, steps, better):
    """B (the fix) ends ahead of A for a pathology; for the healthy scenarios the hint breaks
    the run on purpose, and A ends ahead."""
    scenario = SCENARIOS[name]
    summary = Twin(scenario.config, **scenario.fix).run(steps, every=max(steps // 10, 1))
    assert summary.verdict.startswith((f"{better} ended", f"{better} never went non-finite")), summary.verdict
