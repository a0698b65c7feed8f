"""Names a hostile classmate could give a file or a data set, built deterministically from a
seed, and the check that exported modules holding them import as data.

``hostile_names()`` may hold anything a str holds (NUL too): for names that travel inside
files (a checkpoint's metadata, a data set's name). ``file_names()`` keeps those a file
system accepts as one file name (no NUL, no ``/``, at most 255 bytes with room for a suffix).
``import_exports()`` imports generated files in a fresh process.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

CANARY = "CANARY"
"""The file a name's payload tries to create; a test asserts it never appears."""

ISSUE_NAME = 'x""" + __import__("os").system("touch CANARY") + """.npz'
"""The name from issue 27, verbatim."""

NOT_UTF8 = "data-\udcff\udc80.csv"
"""How Python spells a file name whose bytes are not UTF-8 (os.fsdecode's surrogateescape):
a name a file can have on Linux, but no TOML string can hold, so it is kept out of the lists."""

PAYLOADS = [
    ISSUE_NAME,
    '""" + __import__("os").system("touch CANARY") + """',
    "''' + __import__('os').system('touch CANARY') + '''",
    '"; __import__("os").system("touch CANARY"); "',
    "'; __import__('os').system('touch CANARY'); '",
    '\n__import__("os").system("touch CANARY")\n',
    '\r__import__("os").system("touch CANARY")\r',
    '{__import__("os").system("touch CANARY")}',
    '\\\n__import__("os").system("touch CANARY")',
    '$(touch CANARY)', '`touch CANARY`', '; touch CANARY', '| touch CANARY &&', "' ; touch CANARY #",
    '"\n[evil]\nexec = "touch CANARY', '"""\n[evil]\n', "a = 1\nb = ", "]\n[x]",
    '</text><script>alert(1)</script>', ']]><x>', '&amp;&lt;', '<!--', "../../etc/passwd", "/tmp/CANARY",
]
"""Names that try to leave the literal, the comment or the cell they are written into."""

FRAGMENTS = [
    '"', "'", '"""', "'''", '""""', "''''", '""', "''", '"\'', "`", "\\", "\\\\", "\\N{", "\\N{BULLET}",
    "\\x", "\\x4", "\\x41", "\\u", "\\u12", "\\U0001", "\\0", "\\n", "\n", "\r", "\r\n", "\t",
    "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029", "\x1c",
    "\u0430", "\uff02", "\u201c", "\u201d", "\u2018", "\u2019", "\u02ba", "\u2033",  # look-alikes
    "\u200f", "\u202e", "\u2066", "\u2069", "\u200b", "\ufeff", "\u00ad",  # bidi and invisible
    "\U0001f600", "\u00e9", "\u4e2d", "#", "{", "}", "{{", "%s", "$", "*", "?", "~", "!", "&", "|", ";",
    "<", ">", ",", "=", "[", "]", " ", "  ", ".", "..", "-", "x", "name", ".npz", "()",
]
"""Pieces that random names are built from."""


def hostile_names(count: int = 300, seed: int = 27) -> list[str]:
    """The payloads, each fragment alone, the fragments with NUL, two very long names, then
    random joins of fragments up to ``count`` names in all (the same for the same seed)."""
    names = PAYLOADS + FRAGMENTS + ["a\x00b", "\x00", ISSUE_NAME + "\x00"]
    names += ['"' * 300, "\\" + "\u202e" * 2000 + "\\", '"' * 100 + "'" * 100 + "\\" * 30]  # the last fits a file name
    rng = random.Random(seed)
    while len(names) < count:
        names.append("".join(rng.choice(FRAGMENTS + PAYLOADS[:3]) for _ in range(rng.randint(2, 7))))
    return list(dict.fromkeys(names))[:count]


def file_names(count: int = 300, seed: int = 27, room: int = 20) -> list[str]:
    """Those of ``hostile_names`` a file system takes as one name with ``room`` bytes to spare
    for a suffix: no NUL, no ``/``, not ``.`` or ``..``, short enough."""
    return [name for name in hostile_names(count, seed)
            if "\x00" not in name and "/" not in name and name.strip(".") != ""
            and len(name.encode()) <= 255 - room]


_IMPORT = """
import importlib.util, json, sys
import numpy as np
X = np.load("X.npy")
out = {}
for path in json.load(open("files.json")):
    spec = importlib.util.spec_from_file_location("net", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs = PREDICT
    out[path] = [module.SOURCE, module.TRAINED_ON, np.asarray(outputs).tolist()]
print(json.dumps(out))
"""
_PREDICT = {"numpy": "module.predict(X)",
            "torch": "module.build_model()(__import__('torch').tensor(X)).detach().numpy()"}
_ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Tiny networks: threads would only fight the other processes for the cores."""


def import_exports(folder: Path, fmt: str, paths: list[str]) -> dict[str, list]:
    """Import every exported ``numpy`` or ``torch`` file in one fresh process working in
    ``folder`` (where ``X.npy`` holds the inputs): per path its SOURCE, TRAINED_ON and outputs
    for X. Asserts the process succeeded and that no ``CANARY`` file appeared."""
    (folder / "files.json").write_text(json.dumps(paths))
    result = subprocess.run([sys.executable, "-c", _IMPORT.replace("PREDICT", _PREDICT[fmt])], cwd=folder,
                            capture_output=True, text=True, timeout=300, env={**os.environ, **_ONE_THREAD})
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (folder / CANARY).exists()
    return json.loads(result.stdout)
