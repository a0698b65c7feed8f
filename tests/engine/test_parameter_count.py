"""Counting parameters: 2 inputs x 3 neurons = 6 weights + 3 biases = 9, and for every
scenario the count on screen equals what the engine actually allocates."""

from __future__ import annotations

import pytest

from gradtui.engine import MLP, SCENARIOS, Trainer, count_text, parameter_counts, total_count_text


def test_two_inputs_three_neurons_is_6_weights_3_biases_9():
    assert parameter_counts([2, 3], False) == [(6, 3, 0)]
    assert count_text(6, 3) == "6 W + 3 b = 9"
    model = MLP([2, 3], "linear")
    assert sum(p.value.size for p in model.parameters()) == 9 == model.flat_value.size


@pytest.mark.parametrize("name", [n for n, s in SCENARIOS.items() if not s.is_calculus])
def test_every_scenario_s_count_is_the_engine_s(name):
    for batchnorm in (False, True):
        config = SCENARIOS[name].config
        if batchnorm and not config.hidden:
            continue
        model = Trainer(config.replace(batchnorm=batchnorm, batch_size=32 if batchnorm else config.batch_size)).model
        counts = parameter_counts(model.sizes, model.batchnorm)
        for layer, (w, b, norm) in zip(model.layers, counts):
            sizes = {p.name.rsplit(".", 1)[1]: p.value.size for p in layer.params}
            assert (sizes["W"], sizes["b"], sizes.get("gamma", 0) + sizes.get("beta", 0)) == (w, b, norm)
        total = sum(p.value.size for p in model.parameters())
        assert total_count_text(model.sizes, model.batchnorm).endswith(f"= {total:,}")
