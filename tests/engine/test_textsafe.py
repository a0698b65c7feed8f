"""Each escaping function of ``gradtui.engine.textsafe``, read back by its target's own parser
over a few hundred hostile names (issue 27)."""

from __future__ import annotations

import ast
import io
import sys
import tokenize

import pytest
from hostile_names import NOT_UTF8, hostile_names

from gradtui.engine import TrainConfig
from gradtui.engine.textsafe import comment_line, python_string, toml_string, visible
from gradtui.engine.train.replay import to_toml

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

NAMES = hostile_names(300)


def token_kinds(source: str) -> list[int]:
    skip = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    return [t.type for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]


@pytest.mark.parametrize("name", NAMES + [NOT_UTF8])
def test_python_string_is_one_literal_that_reads_back(name):
    literal = python_string(name)
    assert "\n" not in literal and "\r" not in literal
    assert token_kinds(literal) == [tokenize.STRING]
    assert ast.literal_eval(literal) == name


@pytest.mark.parametrize("name", NAMES + [NOT_UTF8])
def test_comment_line_stays_one_comment_in_python_and_toml(name):
    line = comment_line(name)
    assert token_kinds(line + "\nx = 1\n") == [tokenize.COMMENT, tokenize.NAME, tokenize.OP, tokenize.NUMBER]
    assert tomllib.loads(line + "\nx = 1\n") == {"x": 1}
    assert visible(name).isprintable() and (visible(name) is name) == name.isprintable()


@pytest.mark.parametrize("name", NAMES)
def test_toml_string_reads_back(name):
    assert tomllib.loads(f"a = {toml_string(name)}\n") == {"a": name}
    assert all(c.isprintable() for c in toml_string(name))


def test_toml_refuses_a_name_that_is_not_unicode():
    with pytest.raises(ValueError, match="not valid Unicode"):
        toml_string(NOT_UTF8)


def test_share_toml_holds_every_name_as_data():
    """``to_toml`` (the app's ``S``): a data path, a planned change's path and the comments."""
    for i, name in enumerate(NAMES):
        other = NAMES[-1 - i]
        config = TrainConfig(dataset=None, data=name, changes=({"step": 3, "data": other},))
        read = tomllib.loads(to_toml(config, [f"gradtui run {name}", other]))
        assert read["data"] == name and read["changes"] == [{"step": 3, "data": other}]
        assert "dataset" not in read and len(read) == len(TrainConfig.__dataclass_fields__) - 1
