"""The web intake's log: through `logging`, one event a line, uvicorn's access lines included."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import httpx2

from intake.web import keys as bureaus

from conftest import INTAKE


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_served_request_is_one_json_line_with_its_fields(tmp_path: Path) -> None:
    """`intake serve --log-format json`: every stderr line is one JSON object; a request is
    logged with time, client, method, path, HTTP version and status; a path holding a line
    separator is logged as sent (percent-encoded), on its own line."""
    out = tmp_path / "out"
    bureaus.connect(out / "intake.sqlite").close()
    port = free_port()
    log = (tmp_path / "stderr").open("w+")
    process = subprocess.Popen([INTAKE, "serve", "--inbox", str(tmp_path / "inbox"), "--out",
                                str(out), "--port", str(port), "--log-format", "json"],
                               stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx2.get(base + "/healthz").text == "ok":
                    break
            except httpx2.HTTPError:
                assert process.poll() is None
                time.sleep(0.2)
        assert httpx2.get(base + "/a%E2%80%A8b").status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
    records = [json.loads(line) for line in (tmp_path / "stderr").read_text().splitlines()]
    requests = [r for r in records if r.get("event") == "request"]
    assert {k: requests[-2][k] for k in ("method", "path", "http", "status")} == {
        "method": "GET", "path": "/healthz", "http": "1.1", "status": 200}
    assert list(requests[-2]) == ["time", "event", "client", "method", "path", "http", "status"]
    assert requests[-2]["client"].startswith("127.0.0.1:")
    assert requests[-1]["path"] == "/a%E2%80%A8b" and requests[-1]["status"] == 404
    assert any(r.get("logger", "").startswith("uvicorn") for r in records)


def _served(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[bytes], int]:
    """`intake serve --log-format json` with `options`, its stderr in tmp_path/stderr, once
    /healthz answers."""
    out = tmp_path / "out"
    bureaus.connect(out / "intake.sqlite").close()
    port = free_port()
    with (tmp_path / "stderr").open("w") as log:
        process = subprocess.Popen([INTAKE, "serve", "--inbox", str(tmp_path / "inbox"),
                                    "--out", str(out), "--port", str(port), "--log-format",
                                    "json", *options], stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(300):
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz").text == "ok":
                return process, port
        except httpx2.HTTPError:
            assert process.poll() is None
            time.sleep(0.2)
    raise AssertionError("intake serve did not answer")


def _sent(port: int, head: bytes) -> bytes:
    """The status line of the answer to `head`, a request's head sent as it is in one piece."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head + b"Host: x\r\nConnection: close\r\n\r\n")
        return connection.makefile("rb").readline()


def _stopped(process: subprocess.Popen[bytes], tmp_path: Path) -> list[str]:
    process.terminate()
    process.wait(timeout=60)
    return (tmp_path / "stderr").read_text(encoding="utf-8").split("\n")[:-1]


def test_a_sixty_kilobyte_path_is_one_bounded_line(tmp_path: Path) -> None:
    """A request whose path and query are 60 KB is answered, and logged as one line of about
    a kilobyte: the path's first 1,000 characters and a mark that it was cut, with its length
    as sent in a field of its own; a short path is logged whole, without that field."""
    process, port = _served(tmp_path)
    try:
        target = b"/" + b"a" * 55_000 + b"?q=" + b"b" * 5_000
        assert _sent(port, b"GET " + target + b" HTTP/1.1\r\n").startswith(b"HTTP/1.1 404")
        assert _sent(port, b"GET /kort?x=1 HTTP/1.1\r\n").startswith(b"HTTP/1.1 404")
    finally:
        lines = _stopped(process, tmp_path)
    assert max(map(len, lines)) < 1_300
    requests = [json.loads(line) for line in lines if '"event": "request"' in line]
    long, short = requests[-2], requests[-1]
    assert long["path"] == target.decode()[:1000] + "…"
    assert long["path_chars"] == len(target) and long["status"] == 404
    assert short["path"] == "/kort?x=1" and "path_chars" not in short


def test_control_characters_a_client_sends_never_reach_the_log_raw(tmp_path: Path) -> None:
    """ESC and a line feed in a request line (refused by the server), percent-encoded in a path,
    and in a trusted proxy's X-Forwarded-For header (which sets the client logged), with that
    header 60 KB long: each request is one line, every line is one JSON object, the log holds
    no ESC and no line feed within a line, and the client is cut like the path."""
    process, port = _served(tmp_path, "--forwarded-allow-ips", "127.0.0.1")
    try:
        assert _sent(port, b"GET /a\x1bb\nc HTTP/1.1\r\n").startswith(b"HTTP/1.1 400")
        assert _sent(port, b"GET /a%1Bb%0Ac HTTP/1.1\r\n").startswith(b"HTTP/1.1 404")
        assert _sent(port, b"GET /proxy HTTP/1.1\r\nX-Forwarded-For: \x1b[2J\x1b]0;x\x07"
                     + b"c" * 60_000 + b"\r\n").startswith(b"HTTP/1.1 404")
    finally:
        lines = _stopped(process, tmp_path)
    text = "\n".join(lines)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert max(map(len, lines)) < 1_300
    records = [json.loads(line) for line in lines]
    assert {"level": "warning", "logger": "uvicorn.error",
            "message": "Invalid HTTP request received."} in [
        {k: r.get(k) for k in ("level", "logger", "message")} for r in records]
    requests = [r for r in records if r.get("event") == "request"]
    assert requests[-2]["path"] == "/a%1Bb%0Ac"
    proxied = requests[-1]
    assert proxied["path"] == "/proxy"
    assert proxied["client"].startswith("\x1b[2J\x1b]0;x\x07ccc") and \
        proxied["client"].endswith("…")
    assert proxied["client_chars"] > 60_000
