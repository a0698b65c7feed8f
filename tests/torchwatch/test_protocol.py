"""The wire format between a watched run and its viewers: what is accepted and what is dropped."""

from __future__ import annotations

import socket

import pytest

from gradtui.live.protocol import (HEADER, MAX_TO_WATCHER, VERSION, BadMessage, decode, encode,
                                   read_message)


def body(message: bytes) -> bytes:
    return message[HEADER.size:]


def test_a_message_goes_through_and_nan_becomes_null():
    sent = encode("rows", rows=[{"step": 1, "loss": float("nan")}])
    assert HEADER.unpack(sent[:4])[0] == len(sent) - 4
    got = decode(body(sent), ("rows",))
    assert got == {"v": VERSION, "type": "rows", "rows": [{"step": 1, "loss": None}]}


@pytest.mark.parametrize("raw,reason", [
    (b"\xff\xfe garbage", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"v": 99, "type": "control", "action": "pause", "token": "t"}', "protocol version 99"),
    (b'{"v": 1, "type": "shutdown"}', "unexpected message type"),
    (b'{"v": 1, "type": "control", "action": "format_disk", "token": "t"}', "unknown control"),
    (b'{"v": 1, "type": "control", "action": "pause"}', "field 'token' missing"),
    (b'{"v": 1, "type": "event", "step": true, "text": "x"}', "field 'step' missing or not a int"),
])
def test_anything_else_is_a_bad_message_saying_why(raw, reason):
    with pytest.raises(BadMessage, match=reason):
        decode(raw, ("control", "event"))


def pair():
    a, b = socket.socketpair()
    a.settimeout(2)
    return a, b


def test_oversized_and_truncated_messages_are_refused():
    a, b = pair()
    b.sendall(HEADER.pack(MAX_TO_WATCHER + 1) + b"x" * 10)
    with pytest.raises(BadMessage, match="over the 4096-byte limit"):
        read_message(a, MAX_TO_WATCHER, ("control",))
    a, b = pair()
    b.sendall(HEADER.pack(100) + b'{"v": 1')
    b.close()
    with pytest.raises(BadMessage, match="cut short"):
        read_message(a, MAX_TO_WATCHER, ("control",))
    a, b = pair()
    b.close()
    assert read_message(a, MAX_TO_WATCHER, ("control",)) is None  # a clean end between messages
