"""Outside text written into files as data, never as code: one escaping function per target.

A file name, a data set's name or a change's description comes from outside gradtui (a
classmate's checkpoint, a shared settings file, a path typed on the command line). Every
writer passes such text through the function for its target, never through string
concatenation, so that whatever the text holds it reads back as the same text and does
nothing else:

- Python: ``python_string`` (a one-line ``repr`` literal; never text inside a triple-quoted
  string, which a ``\"\"\"`` in the name would end);
- a comment line in Python or TOML: ``comment_line``, and a line on a terminal: ``visible``
  (every unprintable character escaped, so the line cannot end early or send escape codes);
- TOML: ``toml_string`` (a basic string, escaped as the TOML 1.0 spec requires);
- CSV: ``csv_row`` (the csv module, quoting every cell of a record that holds a carriage
  return);
- JSON: the json module with its default ``ensure_ascii`` (every control and non-ASCII
  character escaped), as every gradtui writer calls it.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Sequence


def python_string(text: str) -> str:
    """A Python string literal on one line that evaluates to ``text`` exactly: ``repr``, which
    escapes quotes, backslashes, line breaks and every unprintable character (right-to-left
    marks and NUL included)."""
    if not isinstance(text, str):
        raise TypeError(f"python_string takes a str, got {type(text).__name__}")
    return str.__repr__(text)


def _escape(char: str) -> str:
    """``char`` as an escape that Python and TOML both read: ``\\uXXXX`` or ``\\UXXXXXXXX``."""
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _surrogate(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


def visible(text: str) -> str:
    """``text`` on one line with every unprintable character (line breaks, NUL, terminal escape
    sequences, right-to-left marks, lone surrogates) written as ``\\uXXXX``: for a comment, a
    message or a line on screen, where a name must neither end the line nor act on the terminal."""
    if text.isprintable():
        return text  # the same object: a pane that redraws only when its text changes stays still
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def comment_line(text: str) -> str:
    """A comment line, valid in Python and in TOML, showing ``text`` (see ``visible``)."""
    return f"# {visible(text)}"


_TOML_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
               "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string that ``tomllib`` reads back as ``text``: quotes, backslashes and
    control characters escaped as the spec requires, and every other unprintable character
    too, so the file shows no hidden text. ValueError for text with a lone surrogate (a file
    name that is not valid UTF-8), which no TOML string can hold."""
    if not isinstance(text, str):
        raise TypeError(f"toml_string takes a str, got {type(text).__name__}")
    if any(_surrogate(c) for c in text):
        raise ValueError(f"{visible(text)} is not valid Unicode (a name that is not UTF-8); "
                         "a settings file cannot hold it")
    return '"' + "".join(_TOML_SHORT.get(c) or (c if c.isprintable() else _escape(c)) for c in text) + '"'


def csv_row(cells: Sequence[Any]) -> str:
    """One CSV record ending in ``\\n`` that ``csv.reader`` reads back cell for cell. The csv
    module quotes a cell holding a quote, a comma or a ``\\n`` but not one holding a lone
    ``\\r`` when lines end in ``\\n``, so a record with a ``\\r`` has every cell quoted."""
    buffer = io.StringIO()
    if any("\r" in str(cell) for cell in cells):
        csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(cells)
    else:
        csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()
