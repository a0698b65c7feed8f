"""The files a run writes when asked (a checkpoint, a shared settings file, an exported
network, drawn points): always a new file, never one the user already has.

Each writer returns what the run then says, as ``(kind, text, path)``: the event's kind
(``error`` or ``limit`` when nothing was written), its line, and the file it names.
"""

from __future__ import annotations

import os
import shlex
from typing import Callable

from gradtui.engine import Trainer
from gradtui.engine.atomic import atomic_write
from gradtui.engine.run.drawing import DRAWN, drawable, write_points_csv
from gradtui.engine.train.model_export import export_model, file_suffix
from gradtui.engine.train.replay import recipe, to_toml

Said = tuple[str, str, "str | None"]
"""An event's kind, text and the path it names."""


def save_checkpoint(trainer: Trainer, run: str, directory: str) -> Said:
    """A checkpoint of ``trainer`` in a new ``gradtui-<run>-step<N>.npz``."""
    path, failure = new_file(trainer, run, "checkpoint", directory, ".npz", trainer.save)
    return failure or ("checkpoint", f"checkpoint saved: {path}", path)


def share(trainer: Trainer, run: str, directory: str) -> Said:
    """The run's settings at step 0 and every change since (``replay.recipe``) as TOML."""
    step = trainer.step_count
    try:
        config = recipe(trainer)
    except ValueError as exc:
        if trainer.data.name == DRAWN:  # say what the app offers instead, with its keys
            exc = ValueError("drawn points are data, not settings, and a settings file holds "
                             "settings only; w saves the run (a checkpoint), D the points (a CSV "
                             "that gradtui run --data reads)")
        return "error", f"run not shared: {exc}", None

    def write(path: str) -> None:
        name = os.path.basename(path)
        write_text(path, to_toml(config, [
            f"gradtui run {run!r}, shared at step {step}: its settings at step 0 and every "
            "change since, with its step.",
            f"Replay it in the app:        {share_command(name)}",
            f"The same numbers, headless:  gradtui run --config {shlex.quote(name)} --steps {step}"]))

    path, failure = new_file(trainer, run, "share", directory, ".toml", write)
    return failure or ("share", f"shared as {path}: {share_command(path)} replays this run from step 0 "
                                f"(the same numbers up to step {step})", path)


def export_network(trainer: Trainer, run: str, fmt: str, directory: str) -> Said:
    """The network as ``fmt`` (``model_export``) in a new file."""
    try:
        text = export_model(trainer, fmt, source=f"the app's run {run!r}")
    except ValueError as exc:
        return "error", f"network not exported: {exc}", None
    path, failure = new_file(trainer, run, "export", directory, file_suffix(fmt), lambda p: write_text(p, text))
    return failure or ("export", f"network exported ({fmt}): {path}", path)


def save_points(trainer: Trainer, run: str, directory: str) -> Said:
    """Every point (training and test) in a new CSV that ``gradtui run --data`` reads."""
    data = trainer.data
    if not drawable(data):
        return "limit", "only 2-D classification points can be saved as drawn data", None
    path, failure = new_file(trainer, run, "points", directory, ".csv", lambda p: write_points_csv(p, data))
    return failure or ("export", f"{len(data.X_train) + len(data.X_test)} points saved: {path} "
                                 f"(gradtui run --data {os.path.basename(path)})", path)


def new_file(trainer: Trainer, run: str, what: str, directory: str, suffix: str,
             write: Callable[[str], object]) -> tuple[str, Said | None]:
    """A new file ``gradtui-<run>-step<N><suffix>`` in ``directory`` (never an existing one),
    filled by ``write(path)``: its path and None, or an error to say (the system refused,
    or a name the file's format cannot hold, such as a path that is not UTF-8 in TOML)."""
    path = None
    try:
        path = reserve_path(os.path.abspath(directory), f"gradtui-{run}-step{trainer.step_count}", suffix)
        write(path)
    except (OSError, ValueError) as exc:
        if path is not None and os.path.exists(path):
            os.remove(path)
        return "", ("error", f"{what} not written: {exc}", None)
    return (os.path.relpath(path) if directory == "." else path), None


def reserve_path(directory: str, stem: str, suffix: str) -> str:
    """A new file name ``stem[-n]suffix`` in ``directory``, created empty so nothing else
    takes it; an existing file is never overwritten."""
    for n in range(10_000):
        path = os.path.join(directory, f"{stem}{'' if n == 0 else f'-{n}'}{suffix}")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise OSError(f"no free file name for {stem}{suffix} in {directory}")


def share_command(path: str) -> str:
    """The one line that replays a shared run: ``gradtui --config FILE``."""
    return f"gradtui --config {shlex.quote(path)}"


def write_text(path: str, text: str) -> None:
    """``text`` as the whole of ``path`` (UTF-8), written atomically."""
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)
