"""The messages between a watched run and a viewer: length-prefixed JSON with a version.

A message is a 4-byte big-endian length and that many bytes of UTF-8 JSON, an object with
``v`` (``VERSION``) and ``type``. ``decode`` checks everything a message carries before
anyone uses it; anything else (garbage, a wrong version, a field of the wrong type, more
than the size limit) is a ``BadMessage`` whose text is the one line the receiver logs.

Types, watcher to viewer: ``hello`` (the run: name, layers, thresholds, whether it can be
steered), ``rows`` (recorded steps), ``event`` (a change or a note). Viewer to watcher:
``control`` (an ``ACTIONS`` name and the run's ``token``).
"""

from __future__ import annotations

import json
import math
import socket
import struct
from typing import Any

VERSION = 1
HEADER = struct.Struct(">I")
MAX_TO_VIEWER = 8 * 2**20
"""Largest message a viewer accepts (a batch of rows for a big model)."""
MAX_TO_WATCHER = 4096
"""Largest message the watcher accepts: controls are a few words."""

ACTIONS = ("pause", "resume", "lr_up", "lr_down", "clip_toggle", "clip_up", "clip_down",
           "snapshot", "rollback", "skip_nonfinite")
"""What a viewer can ask of the run, at the next step boundary."""

TYPES: dict[str, dict[str, type]] = {"hello": {"run": str, "layers": list, "thresholds": dict, "steerable": bool},
         "rows": {"rows": list},
         "event": {"step": int, "text": str},
         "control": {"action": str, "token": str}}
"""Each message type's required fields and their JSON types."""


class BadMessage(ValueError):
    """A message that is not one of ours; the text says why in one line."""


def encode(kind: str, **fields: Any) -> bytes:
    """A message of type ``kind`` ready to send (NaN and Inf become null, as in ``--out`` files)."""
    body = json.dumps({"v": VERSION, "type": kind, **_json_safe(fields)}, allow_nan=False).encode()
    return HEADER.pack(len(body)) + body


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def decode(body: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The message in ``body`` (without its length prefix), checked; ``BadMessage`` otherwise."""
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadMessage(f"not JSON ({len(body)} bytes)") from None
    if not isinstance(message, dict):
        raise BadMessage("not a JSON object")
    if message.get("v") != VERSION:
        raise BadMessage(f"protocol version {message.get('v')!r}, expected {VERSION}")
    kind = message.get("type")
    if kind not in allowed:
        raise BadMessage(f"unexpected message type {kind!r}")
    for name, expected in TYPES[kind].items():
        if not _is(message.get(name), expected):
            raise BadMessage(f"{kind} message: field {name!r} missing or not a {expected.__name__}")
    if kind == "control" and message["action"] not in ACTIONS:
        raise BadMessage(f"unknown control {message['action']!r}")
    return message


def _is(value: Any, expected: type) -> bool:
    """isinstance, except that a JSON true/false is a bool and never an int."""
    return isinstance(value, expected) and (expected is bool or not isinstance(value, bool))


def read_message(sock: socket.socket, limit: int, allowed: tuple[str, ...]) -> dict[str, Any] | None:
    """The next message on ``sock``; None when the peer closed cleanly between messages.
    ``BadMessage`` for one over ``limit``, cut short, or not valid (the caller drops the
    connection: after a bad length nothing that follows can be trusted)."""
    head = _read_exactly(sock, HEADER.size)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > limit:
        raise BadMessage(f"message of {size} bytes is over the {limit}-byte limit")
    body = _read_exactly(sock, size, started=True)
    if body is None:
        raise BadMessage(f"message cut short (expected {size} bytes)")
    return decode(body, allowed)


def _read_exactly(sock: socket.socket, size: int, started: bool = False) -> bytes | None:
    """``size`` bytes; None at a clean end. A socket timeout passes through only before the
    first byte of a message (so the caller can look up), never in the middle of one."""
    chunks: list[bytes] = []
    got = 0
    while got < size:
        try:
            chunk = sock.recv(size - got)
        except socket.timeout:
            if got or started:
                continue
            raise
        if not chunk:
            if got or started:
                raise BadMessage(f"message cut short ({got} of {size} bytes)")
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
