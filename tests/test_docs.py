"""The README and docs/ say what is true: every command they show runs as written.

The commands come from the fenced ``bash`` blocks of README.md and docs/*.md, in page
order, run in one scratch folder per page (so a page may save a file and use it later).
Headless commands run as a user would type them and must exit 0; commands that open a
screen (the app, ``serve``, and any other command named in ``SCREENS``) are parsed and
prepared the way the CLI does before it opens the screen, so a flag or a name that the
CLI would refuse fails here too. The engine page's Python blocks run as one script.
What is not run, and why: the install lines and ``pytest``/``mypy`` (CI runs them), and
the benchmarks (timed runs of minutes: each must at least answer ``--help``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCREENS = {"app", "serve", "attach", "replay", "learn"}
"""Commands that open a screen: prepared, not opened (``learn --list`` only prints, so it runs)."""
NOT_RUN = ("python3 -m venv", "pytest", "python -m mypy")
"""Lines CI itself runs (the README's install and test lines, the type check)."""
USER_FILES = {"lesson.toml": 'lr = 0.01\noptimizer = "adam"\n'}
"""Files a page assumes the reader already has (a teacher's shared run)."""
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(page.read_text()) if lang == language]


def commands(page: Path) -> list[list[str]]:
    """Each shell command of the page's bash blocks, split as a shell would (comments dropped)."""
    found = []
    for body in blocks(page, "bash"):
        for line in body.splitlines():
            if line.strip() and not line.lstrip().startswith(NOT_RUN):
                found.append(shlex.split(line, comments=True))
    return found


def test_the_pages_exist_and_link_to_each_other() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 15_000, "README.md is the first screen: keep it under 15 KB"
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
    for doc in (ROOT / "docs").glob("*.md"):
        assert f"(docs/{doc.name})" in readme, f"README's table of contents lacks docs/{doc.name}"


def test_every_page_names_commands_that_the_check_knows() -> None:
    """A command this test would silently skip is a command nobody checks."""
    for page in PAGES:
        for argv in commands(page):
            assert argv[0] in ("gradtui", "python"), f"{page.name}: unchecked command {argv}"


def _prepare_screen(argv: list[str]) -> None:
    """What the CLI does with a screen command before it opens the screen."""
    from gradtui.tui.cli import main as cli
    from gradtui.tui.cli.settings import prepare_app

    command = argv[0] if argv and argv[0] in cli.COMMANDS and argv[0] != "app" else "app"
    parser = cli.build_parsers().get(command)
    assert parser is not None, f"gradtui {command} is documented but does not exist"
    args = parser.parse_args(argv if command == "app" else argv[1:])
    if command in ("app", "serve"):
        prepare_app(args)


def _is_screen(argv: list[str]) -> bool:
    command = argv[0] if argv and not argv[0].startswith("-") else "app"
    return command in SCREENS and not (command == "learn" and "--list" in argv)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_runs_as_written(page: Path, tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    for name, text in USER_FILES.items():
        (tmp_path / name).write_text(text)
    for argv in commands(page):
        if argv[0] == "gradtui" and _is_screen(argv[1:]):
            cwd = os.getcwd()
            os.chdir(tmp_path)
            try:
                _prepare_screen(argv[1:])
            except SystemExit as exc:  # argparse refused it
                pytest.fail(f"{page.name}: {shlex.join(argv)} is refused (exit {exc.code})")
            finally:
                os.chdir(cwd)
            continue
        if argv[0] == "python" and argv[1:2] and argv[1].startswith("benchmarks/"):
            argv = [sys.executable, str(ROOT / argv[1]), "--help"]
        elif argv[0] == "python":
            if "torch" in " ".join(argv) and _missing("torch"):
                continue
            script = argv[1:2] and ROOT / argv[1]  # a script of the checkout, named from its root
            argv = [sys.executable, *([str(script)] if script and script.is_file() else argv[1:2]), *argv[2:]]
        else:
            argv = [sys.executable, "-m", "gradtui", *argv[1:]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (f"{page.name}: {shlex.join(argv)} exited {done.returncode}:\n"
                                      f"{done.stderr[-2000:]}")


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def test_the_engine_page_runs_as_one_script(tmp_path: Path) -> None:
    script = "\n".join(blocks(ROOT / "docs" / "engine.md", "python"))
    assert script, "the engine page shows no Python"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
