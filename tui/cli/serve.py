"""``gradtui serve [--host H] [--port P] [--public-url URL] [app settings]``: the app in web browsers.

textual-serve (the ``serve`` extra) answers each browser that opens the page with a
process of its own running ``python -m gradtui`` with the same settings, so every viewer
has their own run and costs one Python process. There is no authentication: the server
listens on 127.0.0.1 unless told otherwise; to reach it from other machines, put it
behind a proxy that authenticates and give that proxy's address as ``--public-url``.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import IO, Iterator

from gradtui.tui.cli.diff import typed_function
from gradtui.tui.cli.settings import SETTINGS, Parser, UsageError, add_settings, flag_name, prepare_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PLACES = ("scenario", "config", "load")
"""Flags that say where a run comes from, passed on to every viewer's app with the settings."""
ROOM_FLAGS = ("present", "lock", "learn")


def build_parser() -> Parser:
    parser = Parser(prog="gradtui serve",
                    description="Serve the app to web browsers (textual-serve): every browser that "
                                "opens the page gets its own app process with these settings.",
                    epilog="No authentication: keep the default host, or put an authenticating "
                           "proxy in front and pass its address as --public-url.")
    g = parser.add_argument_group("the server")
    g.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    g.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    g.add_argument("--public-url", metavar="URL",
                   help="the address browsers use, when it is not http://HOST:PORT (behind a proxy)")
    add_settings(parser)
    add_function_flag(parser)
    add_room_flags(parser)
    return parser


def add_function_flag(parser: argparse.ArgumentParser) -> None:
    """``--function EXPR``, for the app and for every app ``serve`` starts."""
    parser.add_argument("--function", metavar="EXPR", default=None,
                        help="open calculus mode on a typed f(x) or f(x, y), e.g. 'x^2 y + 3xy^2' "
                             "(grammar: gradtui diff --help)")


def add_room_flags(parser: argparse.ArgumentParser) -> None:
    """``--present``, ``--lock`` and ``--learn``, for the app and for every app ``serve`` starts."""
    g = parser.add_argument_group("in a classroom")
    g.add_argument("--present", action="store_true",
                   help="presenter mode: story, hint and plots large; controls and event log hidden")
    g.add_argument("--lock", action="store_true",
                   help="student mode: the controls are disabled; space runs and pauses, s steps")
    g.add_argument("--learn", action="store_true",
                   help="open the course first (as gradtui learn; progress kept per user)")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return port


def app_argv(args: argparse.Namespace) -> list[str]:
    """The app's flags among parsed ``serve`` arguments, written back as ``--flag=value``
    (so a value starting with '-' stays a value)."""
    argv = []
    for key in (*PLACES, *SETTINGS):
        if not hasattr(args, key):
            continue
        value, flag = getattr(args, key), flag_name(key)
        if isinstance(value, bool):
            argv.append(flag if value else f"--no-{flag[2:]}")
        elif key == "hidden":
            argv.append(f"{flag}={','.join(map(str, value))}")
        elif key == "batch_size" and value is None:
            argv.append(f"{flag}=full")
        else:
            argv.append(f"{flag}={value!r}" if isinstance(value, float) else f"{flag}={value}")
    if args.function is not None:
        argv.append(f"--function={args.function}")
    return argv + [flag_name(key) for key in ROOM_FLAGS if getattr(args, key)]


def app_command(args: argparse.Namespace) -> str:
    """The shell command each browser's app process runs."""
    return shlex.join([sys.executable, "-m", "gradtui", *app_argv(args)])


def exposure_warning(host: str) -> str | None:
    """What to say when ``host`` lets other machines in: there is no authentication."""
    if host in ("localhost", "::1") or host.startswith("127."):
        return None
    return (f"listening on {host} without authentication: anyone who can reach this machine "
            "gets an app; put an authenticating proxy in front (see --public-url)")


def check_free(host: str, port: int) -> None:
    """Raise UsageError unless ``host:port`` can be listened on."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except socket.gaierror:
        raise UsageError(f"--host {host}: not an address of this machine") from None
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         "pick another --port") from None


def command(args: argparse.Namespace) -> int:
    prepare_app(args)  # a mistake in the settings fails here, once, not in every browser
    if args.function is not None:
        typed_function(args.function, "--function")
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UsageError("gradtui serve needs textual-serve: pip install 'gradtui[serve]'") from None
    check_free(args.host, args.port)
    warning = exposure_warning(args.host)
    if warning:
        print(f"gradtui serve: warning: {warning}", file=sys.stderr)
    server = Server(app_command(args), host=args.host, port=args.port, title="gradtui",
                    public_url=args.public_url)
    server.serve()
    return 0


@contextmanager
def serving(*app_args: str, cwd: str | None = None, log: IO | int = subprocess.DEVNULL,
            timeout: float = 30.0) -> Iterator[str]:
    """``gradtui serve`` in a child process on a free localhost port, for scripts and tests
    that drive it from a browser: yields the page's URL once it answers, and stops the server
    (and with it every app it started) afterwards."""
    with socket.socket() as probe:
        probe.bind((DEFAULT_HOST, 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "gradtui", "serve", "--port", str(port), *app_args],
                               cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{DEFAULT_HOST}:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"gradtui serve stopped with exit code {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"gradtui serve did not answer at {url} within {timeout:g} s")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # textual-serve's graceful exit
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(url: str) -> bool:
    import urllib.request  # here: only scripts driving a server need it

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
