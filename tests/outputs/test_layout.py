"""Times as a Dutch reader reads them: one parser and one local zone for the ledger's ISO times,
whether a web page, a batch page, a message or prune reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from intake.outputs.layout import local_time, local_zone, parsed_time


def test_a_ledger_time_is_aware_and_a_time_without_a_zone_is_utc() -> None:
    """An aware time keeps its zone; one without is taken as UTC (as the ledger writes them),
    not as the machine's local time; none and no time are None."""
    assert parsed_time("2026-12-07T03:14:00+00:00") == dt.datetime(2026, 12, 7, 3, 14,
                                                                    tzinfo=dt.UTC)
    assert parsed_time("2026-12-07T03:14:00") == dt.datetime(2026, 12, 7, 3, 14, tzinfo=dt.UTC)
    assert parsed_time("gisteren") is None and parsed_time("") is None and parsed_time(None) is None


@pytest.mark.skipif(local_zone() is dt.UTC, reason="no time zone database on this machine")
@pytest.mark.parametrize(("iso", "shown"), [
    ("2026-12-07T03:14:00+00:00", "07-12-2026 04:14"),   # winter: CET, UTC+1
    ("2026-07-01T22:30:00+00:00", "02-07-2026 00:30"),   # summer: CEST, UTC+2, the next day
    ("2026-12-07T03:14:00", "07-12-2026 04:14"),         # no zone: UTC
    ("gisteren", "gisteren"),                             # no time: the text as it is
    (None, ""),
])
def test_a_time_is_shown_in_the_netherlands(iso: str | None, shown: str) -> None:
    """Every page and message shows the ledger's UTC times as Dutch local time, day first."""
    assert local_time(iso) == shown


def test_without_a_time_zone_database_the_time_says_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the time zone database is missing (Windows without tzdata) the time is UTC and
    says so, instead of passing for Dutch time."""
    from intake.outputs import layout

    monkeypatch.setattr(layout, "local_zone", lambda: dt.UTC)
    assert layout.local_time("2026-12-07T03:14:00+00:00") == "07-12-2026 03:14 UTC"
