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
