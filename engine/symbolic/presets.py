"""The seeds' worked examples and "Step 2" exercises, with answers computed and checked here.

Each preset holds what the learner types, the point to look at and the answer in textbook
form, written by hand (tests/engine/test_symbolic_presets.py holds the engine to them).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """``kind`` says which view answers it: "derivative", "gradient", "critical", "total"
    (``path`` gives x(t), y(t)) or "riemann" (``interval`` and pieces)."""

    name: str
    text: str
    point: tuple[float, ...]
    kind: str
    answer: str
    path: tuple[str, str] | None = None
    interval: tuple[float, float] = (0.0, 1.0)
    expected: dict[str, object] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("chain", "(2x+3)^2", (1.0,), "derivative", "d/dx (2x+3)^2 = 4(2x + 3); at x = 1: 20",
           expected={"derivative": "4(2x + 3)", "value": 25.0, "slope": 20.0}),
    Preset("polynomial", "4x^4 - 2x^3 + x^2 - 5x", (1.0,), "derivative",
           "16x^3 - 6x^2 + 2x - 5; at x = 1: 7",
           expected={"derivative": "16x^3 - 6x^2 + 2x - 5", "slope": 7.0}),
    Preset("product", "e^x sin x", (0.0,), "derivative", "e^x sin(x) + e^x cos(x) = e^x (sin x + cos x); at x = 0: 1",
           expected={"derivative": "e^x sin(x) + e^x cos(x)", "slope": 1.0}),
    Preset("log", "ln(x^2 + 1)", (1.0,), "derivative", "2x/(x^2 + 1); at x = 1: 1",
           expected={"derivative": "2x/(x^2 + 1)", "slope": 1.0}),
    Preset("linear-y", "3x^2 + 2y", (1.0, 2.0), "gradient", "gradient (6x, 2); at (1, 2): (6, 2)",
           expected={"gradient": ("6x", "2"), "at": (6.0, 2.0)}),
    Preset("partials", "x^2 y + 3xy^2", (1.0, -1.0), "gradient",
           "df/dx = 2xy + 3y^2, df/dy = x^2 + 6xy; at (1, -1): (1, -5)",
           expected={"gradient": ("2xy + 3y^2", "x^2 + 6xy"), "at": (1.0, -5.0)}),
    Preset("square", "x^2 + 2xy + y^2", (1.0, 2.0), "gradient", "gradient (2x + 2y, 2x + 2y); at (1, 2): (6, 6)",
           expected={"gradient": ("2x + 2y", "2x + 2y"), "at": (6.0, 6.0)}),
    Preset("ripple", "sin(x^2 + y^2)", (1.0, 1.0), "gradient",
           "gradient (2x cos(x^2 + y^2), 2y cos(x^2 + y^2)); at (1, 1): 2cos 2 = -0.832294 each",
           expected={"gradient": ("2x cos(x^2 + y^2)", "2y cos(x^2 + y^2)"),
                     "at": (-0.8322936730942848, -0.8322936730942848)}),
    Preset("critical", "x^3 - 3xy + y^3", (1.0, 1.0), "critical",
           "critical points (0, 0): saddle, (1, 1): minimum",
           expected={"points": {(0.0, 0.0): "saddle", (1.0, 1.0): "minimum"}}),
    Preset("total", "x^2 y", (1.0,), "total", "x = t^2, y = t^3: dz/dt = 4t^6 + 3t^6 = 7t^6; at t = 1: 7",
           path=("t^2", "t^3"), expected={"derivative": "7t^6", "terms": ("4t^6", "3t^6"), "slope": 7.0}),
    Preset("riemann", "x^2", (0.5,), "riemann", "integral of x^2 on [0, 1] = 1/3; midpoint error ~ 1/(12 n^2)",
           interval=(0.0, 1.0), expected={"integral": 1 / 3}),
)}
