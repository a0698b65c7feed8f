"""The learner's progress through the course, kept per user in the platform's state
directory ($XDG_STATE_HOME/gradtui, else ~/.local/state/gradtui; never the working
directory), as JSON written atomically. A damaged file is set aside with one clear line,
and the course starts again; nothing else is touched."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from gradtui.engine.atomic import atomic_write

FILE = "progress.json"


def state_dir() -> str:
    """Where gradtui keeps per-user state."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "gradtui")


@dataclass
class Progress:
    """The lessons passed, in order, with the line the learner keeps from each."""

    passed: dict[str, str] = field(default_factory=dict)
    path: str = ""
    problem: str | None = None
    """Why the saved progress could not be read (None when it could, or there was none)."""

    def done(self, name: str) -> bool:
        return name in self.passed

    def pass_lesson(self, name: str, summary: str) -> None:
        """Record ``name`` as passed and save (an unwritable state directory: said, not raised)."""
        self.passed[name] = summary
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with atomic_write(self.path, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "passed": self.passed}, fh, indent=1)
        except OSError as exc:
            self.problem = f"progress not saved to {self.path}: {exc.strerror or exc}"


def load(path: str | None = None) -> Progress:
    """The saved progress (empty when there is none). A file that is not the progress JSON is
    renamed to ``progress.json.damaged`` and the course starts again, saying so in ``problem``."""
    path = path or os.path.join(state_dir(), FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        passed = data["passed"]
        if not isinstance(passed, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in passed.items()):
            raise ValueError("'passed' is not a table of lesson names to summaries")
        return Progress(dict(passed), path)
    except FileNotFoundError:
        return Progress(path=path)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        aside = path + ".damaged"
        try:
            os.replace(path, aside)
            kept = f"; it is kept as {aside}"
        except OSError:
            kept = ""
        reason = exc.__class__.__name__ if not str(exc) else str(exc).splitlines()[0]
        return Progress(path=path, problem=f"the saved progress {path} could not be read ({reason}){kept}: "
                                           "the course starts again")
