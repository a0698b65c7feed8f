"""Outside text written into files as data, never as code: one escaping function per target.

A file name, a data set's name or a change's description comes from outside gradtui (a
classmate's checkpoint, a shared settings file, a path typed on the command line). Every
writer passes such text through the function for its target, never through string
concatenation, so that whatever the text holds it reads back as the same text and does
nothing else:

- Python: ``python_string`` (a one-line ``repr`` literal; never text inside a triple-quoted
  string, which a ``\"\"\"`` in the name would end).
"""

from __future__ import annotations


def python_string(text: str) -> str:
    """A Python string literal on one line that evaluates to ``text`` exactly: ``repr``, which
    escapes quotes, backslashes, line breaks and every unprintable character (right-to-left
    marks and NUL included)."""
    if not isinstance(text, str):
        raise TypeError(f"python_string takes a str, got {type(text).__name__}")
    return str.__repr__(text)
