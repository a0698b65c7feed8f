"""``gradtui export CKPT --format torch|numpy|json [-o FILE] [--force]``: a checkpoint's
trained network as a file another program can use (see ``gradtui.engine.train.model_export``).

An existing output file is kept unless ``--force`` is given (see ``outputs``), the
checkpoint itself never; every mistake is one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gradtui.engine import Trainer
from gradtui.engine.textsafe import visible
from gradtui.engine.train.model_export import FORMATS, export_model, file_suffix

from gradtui.engine.atomic import atomic_write

from gradtui.tui.cli.outputs import check_output, writing
from gradtui.tui.cli.settings import Parser, UsageError, as_usage_error

WHAT = {"torch": "a PyTorch module (build_model() returns it with the weights)",
        "numpy": "a standalone NumPy script (predict(X))",
        "json": "JSON: architecture, activations, weights, batch-norm statistics"}


def build_parser() -> Parser:
    parser = Parser(prog="gradtui export",
                    description="Write the network of a checkpoint as PyTorch code, a NumPy "
                                "script or JSON; the outputs equal gradtui's.")
    parser.add_argument("checkpoint", metavar="CKPT", help="a checkpoint saved by gradtui (w in the "
                        "app, or gradtui run --save)")
    parser.add_argument("--format", required=True, choices=FORMATS,
                        help="torch: a torch.nn.Module file; numpy: a script needing NumPy only; "
                             "json: the weights as data")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="where to write (default: CKPT's name with _torch.py, _numpy.py or .json)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    return parser


def default_output(checkpoint: str, fmt: str) -> str:
    """``runs/spiral.npz`` -> ``spiral_torch.py``, ``spiral_numpy.py`` or ``spiral.json``,
    in the working directory."""
    return Path(checkpoint).stem + file_suffix(fmt)


def command(args: argparse.Namespace) -> int:
    output = args.output or default_output(args.checkpoint, args.format)
    check_output(output, "--output", args.force)
    if os.path.realpath(output) == os.path.realpath(args.checkpoint):
        raise UsageError(f"--output {output}: is the checkpoint being exported; gradtui never "
                         "writes onto it, even with --force")
    with as_usage_error():
        trainer = Trainer.load(args.checkpoint)
    with as_usage_error(f"{args.checkpoint}: "):
        text = export_model(trainer, args.format, source=Path(args.checkpoint).name)
    with writing("--output", output), atomic_write(output, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {visible(output)}: {WHAT[args.format]} of the {trainer.model.architecture} network "
          f"at step {trainer.step_count}")
    return 0
