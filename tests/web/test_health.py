"""/healthz and /metrics of the web intake: what a proxy and a monitor are told."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from intake.definition.status import Status
from intake.outputs.samples import write_samples
from intake.web import keys as bureaus
from intake.web.app import ServeConfig, create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def config(tmp_path: Path) -> ServeConfig:
    """A web intake's folders with the ledger made by `intake bureau add`."""
    db = bureaus.connect(tmp_path / "out" / "intake.sqlite")
    bureaus.add(db, "noord")
    db.close()
    return ServeConfig(inbox=tmp_path / "inbox", out_dir=tmp_path / "out")


def series(text: str) -> dict[str, float]:
    """The metric lines of a Prometheus text page (comments left out) by name and labels."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def test_a_healthy_intake_says_ok(config: ServeConfig) -> None:
    """/healthz answers 200 and exactly `ok` when the ledger opens and the folders take files."""
    with TestClient(create_app(config)) as client:
        response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["cache-control"] == "no-store"


def test_a_damaged_ledger_is_unhealthy_with_its_reason(config: ServeConfig) -> None:
    """A ledger overwritten with other bytes while the server runs: 503, `unhealthy:`, the
    ledger named and SQLite's reason."""
    with TestClient(create_app(config)) as client:
        config.ledger_path.write_bytes(b"not a database" * 100)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.text == (f"unhealthy: ledger {config.ledger_path.resolve()} does not open "
                             "(file is not a database)")


def test_an_inbox_that_takes_no_files_is_unhealthy_with_its_reason(config: ServeConfig) -> None:
    """The inbox gone and a file in its place (as root no permission bits stop a write): 503
    naming the inbox and the system's reason; the ledger is not blamed."""
    with TestClient(create_app(config)) as client:
        shutil.rmtree(config.inbox)
        config.inbox.write_bytes(b"")
        response = client.get("/healthz")
    assert (response.status_code, response.text) == (
        503, f"unhealthy: {config.inbox} is not writable (Not a directory)")


def test_metrics_count_uploads_by_status_and_say_whether_healthy(
        config: ServeConfig, tmp_path: Path) -> None:
    """/metrics gives a series per upload status (0 included), the uploads not checked as
    failures, the checks in progress and the queue limit; after one good and one unreadable
    upload it counts one accepted and one failure, and intake_up follows /healthz."""
    samples = tmp_path / "samples"
    write_samples(samples)
    db = bureaus.connect(config.ledger_path)
    key = bureaus.add(db, "zuid")
    db.close()
    with TestClient(create_app(config)) as client:
        before = series(client.get("/metrics").text)
        assert before == {"intake_up": 1, **{f'intake_uploads{{status="{s.value}"}}': 0
                                             for s in Status},
                          "intake_upload_failures": 0, "intake_checks_in_progress": 0,
                          "intake_checks_queue_limit": config.max_queue}
        csrf = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        page = client.post("/inloggen", data={"csrf": csrf, "sleutel": key}).text
        csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
        broken = tmp_path / "kapot.xlsx"
        broken.write_bytes(b"PK\x03\x04 not a workbook")
        for path in (samples / "voorbeeld-geldig.xlsx", broken):
            with path.open("rb") as handle:
                client.post("/uploads", data={"csrf": csrf},
                            files={"werkmap": (path.name, handle)})
        response = client.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        after = series(response.text)
        config.ledger_path.write_bytes(b"not a database" * 100)
        down = series(client.get("/metrics").text)
    assert after['intake_uploads{status="accepted"}'] == 1
    assert after['intake_uploads{status="unreadable"}'] == 1
    assert after["intake_upload_failures"] == 1
    assert after["intake_checks_in_progress"] == 0
    assert (after["intake_up"], down["intake_up"]) == (1, 0)
