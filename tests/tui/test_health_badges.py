"""Layer health never contradicts itself: a badge whose flag no longer holds is drawn
faded with the step it last held, the header is never cut mid-word, and a layer with more
units than cells says it is squeezed."""

from __future__ import annotations

import numpy as np

from gradtui.engine import Flag, TrainConfig, Trainer
from gradtui.engine.run.frame import LayerView, layer_views
from gradtui.tui.train.health_view import FADED, NEURON_LEGENDS, header, layer_row
from gradtui.tui.widgets.strips import plain
from gradtui.engine.run.timeline import Timeline


def view(width: int = 16, badges=(), held=()) -> LayerView:
    return LayerView("layers.0", width, 1e-3, 1e-4, 0, 0, np.zeros(width, dtype=np.int8),
                     np.full(width, 1e-3), tuple(badges), tuple(held))


def test_a_flag_that_no_longer_holds_is_drawn_faded_with_its_last_step():
    flag = Flag("vanishing", "layers.0", "")
    current = layer_row(view(badges=[flag], held=[None]), 116, False)
    fading = layer_row(view(badges=[flag], held=[2260]), 116, False)
    assert " VANISHING " in plain(current) and "@" not in plain(current)
    assert " VANISHING @2,260 " in plain(fading)
    assert (" VANISHING @2,260 ", FADED) in fading


def test_frames_mark_a_flag_fading_on_the_first_step_without_it():
    # dying-relu's layers.0 gets no gradient once layers.1 is dead, then gets some again
    trainer = Trainer(TrainConfig(hidden=(16,) * 6, activation="sigmoid", init="xavier",
                                  optimizer="sgd", lr=0.1))
    timeline = Timeline(trainer)
    timeline.record_step(trainer.step())
    (first, *_), held = layer_views(trainer, timeline)[0].badges, layer_views(trainer, timeline)[0].held
    assert first.kind == "vanishing" and held == (None,)
    trainer.update(activation="relu")
    timeline.record_step(trainer.step())
    layer = layer_views(trainer, timeline)[0]
    assert [f.kind for f in layer.badges] == ["vanishing"] and layer.held == (1,)


def test_the_header_is_never_cut_mid_word():
    for width in range(60, 200):
        text = plain(header(width))
        assert len(text) <= width
        words = text.split()
        legend_words = {w for legend in NEURON_LEGENDS for w in legend.split()}
        assert words[-1] in legend_words | {"sat"}, (width, text)
    assert plain(header(116)).endswith(NEURON_LEGENDS[1])  # the health pane at 120x40


def test_a_squeezed_layer_says_how_many_units_share_its_cells():
    row = plain(layer_row(view(width=64), 116, False))
    assert "(64→" in row and len(row) <= 116
    assert "→" not in plain(layer_row(view(width=16), 116, False))


def test_badges_take_short_words_where_the_long_ones_would_be_cut():
    # dying-relu at 80x24: layers.1 DEAD 16/16 and VANISHING (it printed "DEAD 16/16   V")
    flags = [Flag("dead", "layers.0", ""), Flag("vanishing", "layers.0", "")]
    narrow = plain(layer_row(view(badges=flags, held=[None, None]), 80, False))
    assert len(narrow) <= 80 and narrow.endswith(" DEAD   VANISH "), narrow
    fading = layer_row(view(badges=flags, held=[None, 1432]), 80, False)
    assert len(plain(fading)) <= 80 and fading[-1] == (" VANISH ", FADED), fading  # faded, step left out
    assert plain(layer_row(view(badges=flags, held=[None, 1432]), 88, False)).endswith(" VANISH @1,432 ")
    wide = plain(layer_row(view(badges=flags, held=[None, None]), 116, False))
    assert wide.endswith(" DEAD 0/16   VANISHING ")  # long words where they fit
