"""`intake status import`: a status file's states recorded in the ledger, each problem a finding
with the file's row, nothing recorded twice, and hostile files refused or reported without
changing what they should not."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import hostile
import openpyxl
import pytest

from intake.batch.ledger import Ledger
from intake.batch.run import BatchOptions, run_batch
from intake.batch.statusimport import ImportOptions, import_status
from intake.outputs.samples import employer, fill, lhn
from intake.validation.reader import UnreadableWorkbook

from conftest import run_intake

TODAY = dt.date(2026, 12, 7)
HEADER = "Werkgever ID;Loonheffingennummer;Status;Datum eerste uitwisseling;Reden\n"


def _id(n: int) -> str:
    return str(9_000_000 + n)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    """A ledger after one run that delivered employers 1 to 5."""
    inbox = tmp_path / "in"
    fill(inbox / "a.xlsx", [employer(n) for n in range(1, 6)], [])
    run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out", settle_seconds=0))
    return tmp_path / "out" / "intake.sqlite"


def _csv(tmp_path: Path, *rows: str, name: str = "status.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def _import(ledger_path: Path, path: Path, **options: object) -> tuple[object, dict[str, str]]:
    ledger = Ledger(ledger_path, create=False)
    try:
        result = import_status(ledger, path, ImportOptions(today=TODAY, **options))  # type: ignore[arg-type]
        return result, {k[0]: c.state for k, c in ledger.current_states().items()}
    finally:
        ledger.close()


def _flat(result: object) -> list[tuple[int | None, str | None, str]]:
    return [(f.row, f.column, f.code) for f in result.findings]  # type: ignore[attr-defined]


def test_a_valid_file_records_each_state_and_twice_changes_nothing(ledger_path: Path,
                                                                    tmp_path: Path) -> None:
    """completed, setup, live with a date and refused with a reason are recorded (Dutch
    spellings too); the same file again records nothing and finds nothing."""
    path = _csv(tmp_path, f"{_id(1)};{lhn(1)};aangevuld;;", f"{_id(2)};{lhn(2)};In inrichting;;",
                f"{_id(3)};{lhn(3)};live;15-12-2026;",
                f"{_id(4)};{lhn(4)};afgewezen;;\"Contract beëindigd; vraag een nieuw aan.\"")
    result, states = _import(ledger_path, path)
    assert _flat(result) == []
    assert (result.changed, result.unchanged) == (4, 0)  # type: ignore[attr-defined]
    assert states == {_id(1): "completed", _id(2): "setup", _id(3): "live",
                      _id(4): "refused", _id(5): "delivered"}
    again, states_again = _import(ledger_path, path)
    assert (again.changed, again.unchanged, _flat(again)) == (0, 4, [])  # type: ignore[attr-defined]
    assert states_again == states
    db = Ledger(ledger_path, create=False)
    rows = db.db.execute("SELECT werkgever_id, first_exchange, reason, source FROM states "
                         "WHERE import_id IS NOT NULL ORDER BY id").fetchall()
    db.close()
    assert [tuple(r) for r in rows] == [
        (_id(1), None, None, "status status.csv:2"), (_id(2), None, None, "status status.csv:3"),
        (_id(3), "2026-12-15", None, "status status.csv:4"),
        (_id(4), None, "Contract beëindigd; vraag een nieuw aan.", "status status.csv:5")]


def test_each_problem_is_a_finding_with_its_row_and_changes_nothing(ledger_path: Path,
                                                                     tmp_path: Path) -> None:
    """Unknown employers, a move backwards, live without a date, refused without a reason, a
    date too far back, duplicates, a state that is none and a date that is none are findings
    on their own row and column; only the good row is recorded."""
    first = _csv(tmp_path, f"{_id(1)};{lhn(1)};live;2026-12-20;", name="eerst.csv")
    _import(ledger_path, first)
    path = _csv(tmp_path,
                f"{_id(9)};{lhn(9)};completed;;",          # 2 never delivered
                f"{_id(2)};{lhn(1)};completed;;",          # 3 another employer's number
                f"{_id(1)};{lhn(1)};setup;;",              # 4 live -> setup
                f"{_id(2)};{lhn(2)};live;;",               # 5 live without a date
                f"{_id(3)};{lhn(3)};refused;;",            # 6 refused without a reason
                f"{_id(4)};{lhn(4)};live;01-01-2020;",     # 7 too far back
                f"{_id(5)};{lhn(5)};completed;;",          # 8 twice (with 9)
                f"{_id(5)};{lhn(5)};setup;;",              # 9
                f"{_id(3)}x;{lhn(3)};completed;;",         # 10 not digits
                f"{_id(4)};{lhn(4)};klaar;;",              # 11 no state
                f"{_id(2)};{lhn(2)};live;morgen;")         # 12 no date
    result, states = _import(ledger_path, path)
    assert _flat(result) == [
        (2, "A", "status-unknown-employer"), (3, "A", "status-unknown-employer"),
        (4, "C", "status-backward"), (5, "D", "status-live-without-date"),
        (6, "E", "status-refused-without-reason"), (7, "D", "status-date-too-old"),
        (9, "A", "status-duplicate"), (10, "A", "digits-only"), (11, "C", "state-invalid"),
        (12, "D", "date-invalid")]
    assert (result.changed, result.rejected, result.exit_code) == (0, 11, 1)  # type: ignore[attr-defined]
    assert states == {_id(1): "live", **{_id(n): "delivered" for n in range(2, 6)}}


def test_the_bound_on_dates_back_is_an_option(ledger_path: Path, tmp_path: Path) -> None:
    """A date 40 days back is taken with the default bound (90) and refused with 30."""
    day = (TODAY - dt.timedelta(days=40)).isoformat()
    path = _csv(tmp_path, f"{_id(1)};{lhn(1)};live;{day};")
    strict, _ = _import(ledger_path, path, max_days_back=30)
    assert [f[2] for f in _flat(strict)] == ["status-date-too-old"]
    loose, states = _import(ledger_path, path)
    assert _flat(loose) == [] and states[_id(1)] == "live"


def test_a_workbook_status_file_is_read_like_a_csv(ledger_path: Path, tmp_path: Path) -> None:
    """A workbook with a sheet Status, an Excel date and the English headers gives the same
    states; its findings name the sheet's cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Status"
    sheet.append(["Employer ID", "Wage tax number", "State", "First exchange date", "Reason"])
    sheet.append([int(_id(1)), lhn(1), "live", dt.datetime(2026, 12, 15), None])
    sheet.append([int(_id(2)), lhn(2), "setup", None, None])
    sheet.append([int(_id(3)), lhn(3), 42, None, None])
    path = tmp_path / "keylane.xlsx"
    book.save(path)
    result, states = _import(ledger_path, path)
    assert _flat(result) == [(4, "C", "state-invalid")]
    assert states[_id(1)] == "live" and states[_id(2)] == "setup"


@pytest.mark.parametrize("build", [hostile.zip_bomb, hostile.entity_bomb, hostile.text_renamed,
                                   hostile.truncated])
def test_a_hostile_workbook_is_refused_in_one_line_and_changes_nothing(
        ledger_path: Path, tmp_path: Path, build: object) -> None:
    """A zip bomb, an entity bomb, text named .xlsx or a truncated package: exit 2 with one
    line, and the ledger holds no import and no new state."""
    path = build(tmp_path)  # type: ignore[operator]
    with pytest.raises(UnreadableWorkbook):
        _import(ledger_path, path)
    done = run_intake("status", "import", str(path), "--db", str(ledger_path), "--lang", "en")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    db = Ledger(ledger_path, create=False)
    assert db.db.execute("SELECT COUNT(*) FROM status_imports").fetchone()[0] == 0
    assert db.db.execute("SELECT COUNT(*) FROM states").fetchone()[0] == 5
    db.close()


def test_csv_that_is_not_text_or_has_no_header_is_handled(ledger_path: Path,
                                                          tmp_path: Path) -> None:
    """Binary bytes named .csv are refused in one line; a CSV without the columns is a
    finding, not a traceback, and records nothing."""
    binary = tmp_path / "binair.csv"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    done = run_intake("status", "import", str(binary), "--db", str(ledger_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    odd = tmp_path / "anders.csv"
    odd.write_text("naam,adres\nJan,Dorpsstraat 1\n", encoding="utf-8")
    result, states = _import(ledger_path, odd)
    assert [f[2] for f in _flat(result)] == ["header-not-found", "column-unknown",
                                             "column-unknown"]
    assert set(states.values()) == {"delivered"}


def test_a_hundred_thousand_rows_are_checked_within_the_row_limit(ledger_path: Path,
                                                                  tmp_path: Path) -> None:
    """100,000 rows of employers never delivered: one finding each, nothing recorded, in
    seconds; with --max-rows 1000 the rest is not read and says so."""
    path = _csv(tmp_path, *(f"{9_100_000 + n};{lhn(n + 10)};completed;;"
                            for n in range(100_000)))
    start = time.monotonic()
    result, states = _import(ledger_path, path)
    took = time.monotonic() - start
    assert result.rows == 100_000 and result.changed == 0  # type: ignore[attr-defined]
    assert {f[2] for f in _flat(result)} == {"status-unknown-employer"}
    assert set(states.values()) == {"delivered"}
    assert took < 30, took
    done = run_intake("status", "import", str(path), "--db", str(ledger_path), "--max-rows",
                      "1000", "--json")
    data = json.loads(done.stdout)
    assert done.returncode == 1 and data["rows"] == 1000
    assert data["findings"][0]["code"] == "too-many-rows"


def test_the_command_prints_and_exits_like_the_others(ledger_path: Path,
                                                      tmp_path: Path) -> None:
    """Exit 0 and a Dutch summary line for a good file; exit 2 without a ledger."""
    path = _csv(tmp_path, f"{_id(1)};{lhn(1)};completed;;")
    done = run_intake("status", "import", str(path), "--db", str(ledger_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "status.csv: 1 rijen, 1 vastgelegd, 0 al zo, 0 met een fout"
    missing = run_intake("status", "import", str(path), "--db", str(tmp_path / "geen.sqlite"))
    assert missing.returncode == 2


def test_a_refused_registration_sent_again_unchanged_is_delivered_again(tmp_path: Path) -> None:
    """An employer a.s.r. refused and the bureau sends again with the same data is delivered
    again (a warning naming the refusal's reason, the registration it replaces), and its state
    goes back to delivered; one that was not refused is still not delivered twice."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "eerste.xlsx", [employer(1), employer(2)], [])
    run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    status = tmp_path / "status.csv"
    status.write_text("werkgever_id,loonheffingennummer,status,eerste_uitwisseling,reden\n"
                      f"{_id(1)},{lhn(1)},refused,,geen polis\n", encoding="utf-8")
    ledger = Ledger(out / "intake.sqlite")
    try:
        assert not import_status(ledger, status, ImportOptions()).findings
    finally:
        ledger.close()
    # employer 3 too: a file of the same rows written in the same second would be the same
    # bytes, skipped as processed before
    fill(inbox / "opnieuw.xlsx", [employer(1), employer(2), employer(3)], [])
    again = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    summary = json.loads((again.run_dir / "summary.json").read_text(encoding="utf-8"))
    codes = {(n["value"], n["code"]) for n in summary["cross_file"]}
    assert codes == {(_id(1), "batch-after-refusal"), (_id(2), "batch-already-registered")}
    note = next(n for n in summary["cross_file"] if n["code"] == "batch-after-refusal")
    assert "(geen polis)" in note["message"] and "eerste.xlsx (rij 2" in note["message"]
    assert summary["delivery"]["werkgevers"] == 2  # employers 1 (again) and 3
    ledger = Ledger(out / "intake.sqlite")
    try:
        assert ledger.current(_id(1), lhn(1)).state == "delivered"  # type: ignore[union-attr]
        replaced = ledger.db.execute("SELECT COUNT(*) FROM employers WHERE replaces IS NOT "
                                     "NULL").fetchone()[0]
        assert replaced == 1
    finally:
        ledger.close()
