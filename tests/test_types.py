"""The code type-checks: mypy, configured in pyproject.toml ([tool.mypy]), finds nothing in
the engine nor in the tui.

mypy cannot follow the package-dir mapping (engine/ installed as gradtui.engine), so
.ci/typecheck/gradtui lays the sources out as they are imported, by symlinks; the
configuration points mypy there. Run the same check by hand: ``python -m mypy``.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_engine_and_the_tui_pass_mypy():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"python -m mypy (in {ROOT}) found:\n{done.stdout}{done.stderr}"
    assert "no issues found" in done.stdout and "gradtui" not in done.stderr
