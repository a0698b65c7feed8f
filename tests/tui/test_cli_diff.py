"""``gradtui diff`` and ``gradtui --function``: the derivative by the rules on the command line,
JSON for scripts, and a bad function as one line with a caret under the column, exit 2."""

from __future__ import annotations

import json

import pytest

from gradtui.tui.cli.main import main


def test_diff_json_holds_value_gradient_in_order_and_the_steps(capsys):
    assert main(["diff", "x^2 y + 3xy^2", "--at", "x=1,y=-1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == 2.0 and out["gradient"] == [1.0, -5.0]
    assert out["central_difference"] == pytest.approx([1.0, -5.0], rel=1e-8)
    assert [d["result"] for d in out["derivatives"]] == ["2xy + 3y^2", "x^2 + 6xy"]
    assert out["steps"][0] == {"rule": "sum", "rules": ["sum"], "formula": "d/dx (u + v) = d/dx u + d/dx v",
                               "of": "x^2 y + 3xy^2", "applied": "2xy + 3y^2", "result": "2xy + 3y^2",
                               "depth": 0, "variable": "x"}
    assert out["hessian"] == [[-2.0, -4.0], [-4.0, 6.0]] and out["classification"] == "not critical"


def test_diff_text_of_the_chain_rule_example(capsys):
    assert main(["diff", "(2x+3)^2", "--at", "x=1"]) == 0
    out = capsys.readouterr().out
    assert "df/dx = 4(2x + 3) = 20    (central difference 20" in out
    assert "power + chain: d/dx [(2x + 3)^2]" in out


def test_diff_classifies_a_critical_point(capsys):
    assert main(["diff", "x^3 - 3xy + y^3", "--at", "x=1,y=1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["classification"] == "minimum" and out["eigenvalues"] == pytest.approx([3.0, 9.0])


@pytest.mark.parametrize("argv,first,caret", [
    (["diff", "x^2 + q"], "gradtui: error: EXPR: unknown name 'q'", "        ^"),
    (["diff", "__import__('os')"], "gradtui: error: EXPR: unexpected character '_'", "  ^"),
    (["diff", "(x+1"], "gradtui: error: EXPR: this '(' is never closed at column 1", "  ^"),
    (["--function", "sin(x"], "gradtui: error: --function: this '(' is never closed at column 4", "     ^"),
])
def test_a_bad_function_is_one_line_with_a_caret_and_exit_2(capsys, argv, first, caret):
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(first) and err[2] == caret and len(err) == 3


@pytest.mark.parametrize("at,words", [("x=1,z=2", "name=value pairs"), ("x=one", "x must be a number"),
                                      ("y=1", "function does not use it"), ("x=nan", "finite")])
def test_bad_points_are_one_line(capsys, at, words):
    assert main(["diff", "x^2", "--at", at]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.splitlines()) == 1


def test_at_needs_every_variable_the_function_uses(capsys):
    assert main(["diff", "x y", "--at", "x=1"]) == 2
    assert "--at needs y too" in capsys.readouterr().err


def test_a_vector_function_gets_its_jacobian_and_the_softmax_s_its_textbook_entries(capsys):
    import numpy as np

    from gradtui.engine.symbolic import softmax_jacobian

    assert main(["diff", "x^2 y, 5x + sin(y)", "--at", "x=1,y=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["jacobian_expressions"] == [["2xy", "x^2"], ["5", "cos(y)"]]
    assert np.allclose(out["jacobian"], [[4.0, 1.0], [5.0, np.cos(2.0)]], rtol=1e-15)
    assert np.allclose(out["central_difference"], out["jacobian"], rtol=1e-8)
    # the softmax of z = (x, y, 0), typed: its Jacobian's columns for x and y are s_i (δij - s_j)
    s = "exp(x)/(exp(x) + exp(y) + 1), exp(y)/(exp(x) + exp(y) + 1), 1/(exp(x) + exp(y) + 1)"
    assert main(["diff", s, "--at", "x=1,y=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.allclose(out["jacobian"], softmax_jacobian([1.0, 2.0, 0.0])[:, :2], rtol=1e-12)


def test_a_bad_component_points_at_its_column_in_the_whole_text(capsys):
    assert main(["diff", "x^2 y, 5x + q"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "column 13" in err[0] and err[2] == " " * 14 + "^"  # two spaces of indent, then column 13


def test_json_of_a_value_beyond_the_floats_is_standard_json(capsys):
    """9^9^9 evaluates to inf: the JSON says null there, never a bare word strict parsers refuse."""
    assert main(["diff", "9^9^9 + x", "--at", "x=1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out, parse_constant=lambda word: pytest.fail(f"bare {word}"))
    assert out["value"] is None and out["gradient"] == [1.0]
