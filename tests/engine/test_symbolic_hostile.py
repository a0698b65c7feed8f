"""Hostile text: a clear ParseError (message and column) or a function, quickly, never Python evaluated."""

import builtins
import time

import numpy as np
import pytest

from gradtui.engine.symbolic import MAX_DEPTH, MAX_LENGTH, ParseError, derive, evaluate, parse

ATTACKS = [
    "__import__('os').system('echo hacked')", "().__class__.__bases__[0].__subclasses__()", "x.real",
    "lambda: 1", "lambda x: x", "eval('1')", "exec('x=1')", "open('/etc/passwd')", "x if 1 else 2",
    "[x for x in y]", "x; y", "x, y", "{x}", "${x}", "`x`", "x = 1", "x == 1", "x @ y", "x % 2", "x // 2",
    "~x", "x & y", "'x'", '"x"', "x\\ny", "1e5", "0x10", "1_000", "", "   ", "(", ")", "()", "x+", "*x", "x^",
    "sin", "sin()", "sin(x", "((x)))", "2 3", "x2", "..", ".", "1.2.3", "sinh(x)", "import os",
    "9^9^9", "9^9^9^9", "x^(9^9^9)", "(x+1)^100000", "x^99999999999999999999", "2^-9^9^9", "1/0", "0^-1",
    "ln(0)", "sqrt(-1)", "exp(exp(exp(exp(x))))", "exp(1000)", "-" * 30 + "x", "x" * MAX_LENGTH,
    "(" * 10_000 + "x" + ")" * 10_000, "x+" * 500_000 + "x", "1" * MAX_LENGTH, "9" * 1_000_000,
    "x\x00", "\x00", "x\x00+1", "\x7f", "x\r\n", "x\t+\t1",
    "\u0445^2", "\uff58^2", "x\u00b2", "\U0001d465", "x\u200b", "\u202ex", "x\u2212y", "x\u00b7y", "\u03c0",
    "s\u0131n(x)", "e\u0301", "\ufeffx",
    "2^" * 60 + "x", "sin(" * 60 + "x" + ")" * 60, "abs(" * 49 + "x" + ")" * 49,
]
GRAMMAR_PIECES = list("xy0123456789.+-*/^() ") + ["sin", "cos", "tan", "exp", "log", "ln", "sqrt", "abs", "pi", "e", "**"]
JUNK = list("_'\"[]{}=;,:!@#$%&|~`\\?<>\x00\n") + ["\u0445", "\uff58", "\u00b2", "lambda", "import", "os", "."]


def _random_formula(rng: np.random.Generator, depth: int) -> str:
    """A random text inside the grammar (so that parsing, deriving and evaluating all run)."""
    if depth == 0 or rng.random() < 0.25:
        return str(rng.choice(["x", "y", "2", "0.5", "pi", "e", "3x", "xy", "9"]))
    a, b = _random_formula(rng, depth - 1), _random_formula(rng, depth - 1)
    return str(rng.choice([f"{a} + {b}", f"{a} - {b}", f"({a})({b})", f"({a})/({b})", f"({a})^({b})",
                           f"-({a})", f"sin({a})", f"cos({a})", f"tan({a})", f"exp({a})", f"ln({a})",
                           f"sqrt({a})", f"abs({a})", f"{a} {b}", f"({a})^2"]))


def _random_texts(n: int, seed: int = 24) -> list[str]:
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        pieces = GRAMMAR_PIECES + (JUNK if rng.random() < 0.3 else [])
        if rng.random() < 0.3:
            texts.append(_random_formula(rng, 5)[:MAX_LENGTH])
        else:
            texts.append("".join(pieces[i] for i in rng.integers(0, len(pieces), rng.integers(1, 60))))
    return texts


class _PythonEvaluationWatch:
    """Counts calls of eval, exec and compile while active (restored on exit)."""

    def __enter__(self):
        self.calls = []
        self.saved = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}
        for name in self.saved:
            setattr(builtins, name, lambda *a, _name=name, **k: self.calls.append(_name))
        return self

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            setattr(builtins, name, fn)


def _attempt(text: str) -> tuple[str, float, ParseError | None]:
    """Parse, and when it parses, derive and evaluate at a point: (outcome, seconds, the error)."""
    start = time.perf_counter()
    try:
        expr = parse(text)
    except ParseError as exc:
        return "refused", time.perf_counter() - start, exc
    for v in ("x", "y"):
        d = derive(expr, v).result
        evaluate(d, {"x": 0.7, "y": -0.3})
    evaluate(expr, {"x": 0.7, "y": -0.3})
    return "parsed", time.perf_counter() - start, None


def test_ten_thousand_random_strings_and_every_attack_get_an_answer_quickly(record_property):
    outcomes = {"refused": 0, "parsed": 0}
    slowest, worst = 0.0, ""
    texts = _random_texts(10_000) + ATTACKS
    with _PythonEvaluationWatch() as watch:
        results = [_attempt(text) for text in texts]
    assert watch.calls == []
    for text, (outcome, seconds, exc) in zip(texts, results):
        if exc is not None:
            assert exc.message and 1 <= exc.column <= min(len(text), MAX_LENGTH) + 1, (text[:40], exc)
            assert "\n" not in exc.message
            shown, caret = exc.pointer()
            assert caret.endswith("^") and len(caret) <= len(shown) + 1
        outcomes[outcome] += 1
        if seconds > slowest:
            slowest, worst = seconds, text
        assert seconds < 1.0, f"{text[:60]!r} took {seconds:.3f} s"
    record_property("slowest_seconds", slowest)
    print(f"\nslowest input {slowest * 1000:.1f} ms: {worst[:60]!r}; {outcomes}")
    assert outcomes["refused"] > 1000 and outcomes["parsed"] > 1000


@pytest.mark.parametrize("text,column,words", [
    ("__import__('os')", 1, "unexpected character '_'"), ("x.real", 2, "'.'"),
    ("lambda: 1", 1, "unknown name 'lambda'"), ("import os", 1, "unknown name 'import'"),
    ("x + q", 5, "unknown name 'q'"), ("(x + 1", 1, "never closed"), ("x + 1)", 6, "without its '('"),
    ("2 3", 3, "operator is missing"), ("x2", 2, "operator is missing"), ("x^", 3, "ends too soon"),
    ("sin", 4, "needs an argument"), ("x\x00", 2, "U+0000"), ("\u0445^2", 1, "U+0445"),
    ("x\u00b2", 2, "only ASCII"), ("", 1, "empty"),
    ("(" * 10_000 + "x" + ")" * 10_000, MAX_LENGTH + 1, "too long"),
    ("(" * 60 + "x" + ")" * 60, MAX_DEPTH + 1, "nested too deeply"),
    ("x+" * 500_000 + "x", MAX_LENGTH + 1, "too long"),
])
def test_each_refusal_says_what_and_where(text, column, words):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.column == column and words in caught.value.message


def test_huge_powers_evaluate_to_inf_without_hanging():
    assert evaluate(parse("9^9^9"), {}) == np.inf
    assert evaluate(parse("(x+1)^100000"), {"x": 1.0}) == np.inf
    assert np.isnan(evaluate(parse("sqrt(-1)"), {}))
