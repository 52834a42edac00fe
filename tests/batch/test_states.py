"""Registration states in the ledger: delivered by the batch, only forward moves, refused back to
delivered only by a new delivery, a repeat a no-op; an older ledger gains the tables (and its
deliveries their first state) and a foreign or damaged one stays a LedgerError."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intake.batch.ledger import MIGRATIONS, Change, Ledger, LedgerError
from intake.batch.run import BatchOptions, run_batch
from intake.definition.registration import Move, State, move
from intake.outputs.samples import employer, fill, lhn


@pytest.mark.parametrize(("current", "new", "delivery", "expected"), [
    (State.DELIVERED, State.COMPLETED, False, Move.FORWARD),
    (State.DELIVERED, State.LIVE, False, Move.FORWARD),
    (State.SETUP, State.COMPLETED, False, Move.BACKWARD),
    (State.LIVE, State.SETUP, False, Move.BACKWARD),
    (State.LIVE, State.REFUSED, False, Move.BACKWARD),
    (State.SETUP, State.REFUSED, False, Move.FORWARD),
    (State.REFUSED, State.COMPLETED, False, Move.BACKWARD),
    (State.REFUSED, State.DELIVERED, False, Move.BACKWARD),
    (State.REFUSED, State.DELIVERED, True, Move.FORWARD),
    (State.LIVE, State.DELIVERED, True, Move.SAME),
    (State.SETUP, State.SETUP, False, Move.SAME),
])
def test_moves_go_forward_only(current: State, new: State, delivery: bool,
                               expected: Move) -> None:
    """Each move between states is forward, backward or a repeat as issue 25 says."""
    assert move(current, new, delivery) is expected


def _run(inbox: Path, out: Path) -> None:
    run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))


def test_a_delivery_records_delivered_once_and_refused_comes_back(tmp_path: Path) -> None:
    """The batch records delivered for each new registration; delivering it again changes
    nothing, unless it was refused: then it is delivered again, with its own time and source."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "a.xlsx", [employer(1), employer(2)], [])
    _run(inbox, out)
    ledger = Ledger(out / "intake.sqlite")
    key = (str(9_000_001), lhn(1))
    states = ledger.current_states()
    assert {k: c.state for k, c in states.items()} == {
        key: "delivered", (str(9_000_002), lhn(2)): "delivered"}
    with ledger.transaction() as db:
        ledger.record_states(db, [Change(*key, "refused", "test", reason="contract ended")])
    ledger.close()
    fill(inbox / "b.xlsx", [employer(1, verloning="4 weken"), employer(2, verloning="4 weken")],
         [])
    run_batch(BatchOptions(inbox=inbox / "b.xlsx", out_dir=out, settle_seconds=0,
                           redeliver=(str(9_000_001), str(9_000_002))))
    ledger = Ledger(out / "intake.sqlite")
    rows = ledger.db.execute("SELECT werkgever_id, state, source FROM states ORDER BY id"
                             ).fetchall()
    ledger.close()
    assert [(r[0], r[1]) for r in rows] == [
        ("9000001", "delivered"), ("9000002", "delivered"), ("9000001", "refused"),
        ("9000001", "delivered")]
    assert rows[-1][2].startswith("batch ")


def test_an_older_ledger_gains_the_states_of_its_deliveries(tmp_path: Path) -> None:
    """A ledger of schema 3 (before issue 25) opens: the tables are created and each employer
    it delivered is in state delivered since its file was processed."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "a.xlsx", [employer(1)], [])
    _run(inbox, out)
    path = out / "intake.sqlite"
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE states; DROP TABLE status_imports; PRAGMA user_version = 3;")
    db.close()
    ledger = Ledger(path)
    try:
        assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        processed = ledger.db.execute("SELECT processed_at FROM files").fetchone()[0]
        assert {k: (c.state, c.at) for k, c in ledger.current_states().items()} == {
            ("9000001", lhn(1)): ("delivered", processed)}
    finally:
        ledger.close()


def test_a_ledger_whose_states_table_is_foreign_is_a_ledger_error(tmp_path: Path) -> None:
    """A schema-3 ledger holding some other `states` table (no columns of ours) is refused as
    damaged with one LedgerError, and left as it was."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "a.xlsx", [employer(1)], [])
    _run(inbox, out)
    path = out / "intake.sqlite"
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE states; DROP TABLE status_imports; "
                     "CREATE TABLE states (naam TEXT); PRAGMA user_version = 3;")
    db.close()
    with pytest.raises(LedgerError, match="damaged"):
        Ledger(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    db.close()


def test_a_state_time_that_is_no_date_does_not_stop_the_funnel(tmp_path: Path) -> None:
    """A ledger whose state time was damaged by hand ('gisteren'): the funnel still counts the
    states, and that registration is not listed as waiting (its days are 0), not a traceback."""
    from intake.batch.funnel import funnel

    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "a.xlsx", [employer(1), employer(2)], [])
    run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    db = sqlite3.connect(out / "intake.sqlite")
    db.execute("UPDATE states SET at = 'gisteren' WHERE werkgever_id = ?", (str(9_000_001),))
    db.commit()
    db.close()
    ledger = Ledger(out / "intake.sqlite", create=False)
    try:
        result = funnel(ledger, {"delivered": 0})
    finally:
        ledger.close()
    assert result.counts["delivered"] == 2 and result.waiting == []
