"""intake prune: what is older than the retention period goes, what exactly-once delivery needs
stays, nothing outside OUTDIR is touched."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from intake.batch.ledger import Ledger
from intake.batch.prune import Pruned, prune
from intake.batch.run import BatchOptions, run_batch
from intake.definition.status import Status
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.web.store import Store

from conftest import INTAKE, file_size_limit, replace, run_intake

#: A moment a year and a day after the fixture's run: everything in it is older than 365 days.
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=366)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One batch run delivering an employer with two DGAs, and one finished web upload with
    its folder; built once, copied by each test."""
    base = tmp_path_factory.mktemp("prune")
    inbox, out = base / "in", base / "out"
    fill(inbox / "a.xlsx", VALID_WERKGEVERS[:1], VALID_DGA[:2])
    run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    store = Store(out / "intake.sqlite", out / "web" / "web.sqlite")
    upload = store.add_upload("noord", "a.xlsx", ".xlsx", "0" * 64, 10)
    store.finish_upload(upload.id, Status.ACCEPTED, {}, None)
    store.close()
    (out / "web" / "uploads" / upload.id).mkdir(parents=True)
    (out / "web" / "uploads" / upload.id / "a.xlsx").write_bytes(b"workbook")
    return base


@pytest.fixture
def base(made: Path, tmp_path: Path) -> Path:
    """A copy of the module's inbox and OUTDIR for one test."""
    shutil.copytree(made, tmp_path / "copy")
    return tmp_path / "copy"


def _tree(out: Path) -> dict[str, bytes]:
    """Every file under `out` but the SQLite files, with its bytes."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".sqlite" not in p.name and p.name != "index.html"}


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


def _counts(result: Pruned) -> dict[str, object]:
    return {k: v for k, v in result.to_json().items() if k != "dry_run"}


def test_dry_run_removes_nothing_and_reports_the_same_counts(base: Path) -> None:
    """--dry-run changes no file and no row, and counts exactly what the real prune then
    removes and blanks: the run folder, the upload (folder and row), one employer row and two
    DGA rows; a second prune finds nothing left."""
    out = base / "out"
    files, ledger, web = _tree(out), _dump(out / "intake.sqlite"), _dump(out / "web" /
                                                                          "web.sqlite")
    dry = prune(out, None, 365, dry_run=True, now=LATER)
    assert _tree(out) == files
    assert _dump(out / "intake.sqlite") == ledger
    assert _dump(out / "web" / "web.sqlite") == web
    real = prune(out, None, 365, now=LATER)
    assert _counts(dry) == _counts(real)
    assert real.to_json()["removed"] == {"run_folders": 1, "uploads": 1, "upload_rows": 1,
                                          "news_folders": 0}
    assert real.to_json()["blanked"] == {"employer_rows": 1, "dga_rows": 2}
    assert real.exit_code == 0
    assert [p.name for p in out.iterdir() if p.is_dir() and p.name != "web"] == []
    assert list((out / "web" / "uploads").iterdir()) == []
    again = prune(out, None, 365, now=LATER)
    assert again.to_json()["removed"] == {"run_folders": 0, "uploads": 0, "upload_rows": 0,
                                           "news_folders": 0}
    assert again.to_json()["blanked"] == {"employer_rows": 0, "dga_rows": 0}


def test_nothing_younger_than_the_bound_goes(base: Path) -> None:
    """Without the year gone by, a 365-day prune removes and blanks nothing."""
    result = prune(base / "out", None, 365)
    assert result.to_json()["removed"] == {"run_folders": 0, "uploads": 0, "upload_rows": 0,
                                           "news_folders": 0}
    assert result.to_json()["blanked"] == {"employer_rows": 0, "dga_rows": 0}


def test_the_ledger_keeps_keys_and_hashes_and_forgets_names(base: Path) -> None:
    """After prune the delivered rows keep Werkgever ID, loonheffingennummer and the employer's
    data but for the bureau's address; the DGAs' names and personeelsnummers are blank; every
    file keeps its sha256."""
    out = base / "out"
    ledger = Ledger(out / "intake.sqlite")
    hashes = [f["sha256"] for f in ledger.files()]
    ledger.close()
    prune(out, None, 365, now=LATER)
    ledger = Ledger(out / "intake.sqlite")
    try:
        assert [f["sha256"] for f in ledger.files()] == hashes
        ((run_id,),) = ledger.db.execute("SELECT DISTINCT run_id FROM employers")
        employers, dga = ledger.delivery(run_id)
    finally:
        ledger.close()
    (row,) = employers
    assert (row["werkgever_id"], row["loonheffingennummer"]) == ("8106625", "810662504L01")
    assert row["werkgever_naam"] == "Bakkerij Van Dijk B.V."
    assert row["salarisverwerker_email"] == "" and row["_pruned"] == ["salarisverwerker_email"]
    assert [(d["werkgever_id"], d["naam"], d["personeelsnummer"]) for d in dga] == [
        ("8106625", "", ""), ("8106625", "", "")]
    assert "J. van Dijk" not in (out / "intake.sqlite").read_bytes().decode("latin-1")


def test_prune_keeps_exactly_once(base: Path) -> None:
    """After prune, the file delivered before (still in the inbox) is skipped as processed
    before, and a new file with the same employer and another bureau address is 'already
    registered' (not a conflict): neither delivers the employer again."""
    inbox, out = base / "in", base / "out"
    prune(out, None, 365, now=LATER)
    changed = replace(VALID_WERKGEVERS[0], salarisverwerker_email="nieuw@detelling.nl")
    fill(inbox / "b.xlsx", [changed], VALID_DGA[:2])
    result = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    by_name = {f.name: f for f in result.files}
    assert by_name["a.xlsx"].status is Status.SKIPPED
    assert by_name["b.xlsx"].delivered[0] == 0
    summary = json.loads((result.run_dir / "summary.json").read_text(encoding="utf-8"))
    assert [c["code"] for c in summary["cross_file"]] == ["batch-already-registered"]
    assert summary["delivery"] == {"werkgevers": 0, "dga": 0}


def test_a_symlink_in_outdir_pointing_outside_is_not_followed(base: Path) -> None:
    """An old run's folder replaced by a link to a folder outside OUTDIR, a link inside the
    other run folder and an upload's folder that is a link: what they point to is untouched,
    the links that stand for a folder are left and listed, and the exit code is 1."""
    out, outside = base / "out", base / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours")
    ledger = Ledger(out / "intake.sqlite")
    ((run_id,),) = ledger.db.execute("SELECT id FROM runs")
    with ledger.transaction() as db:
        db.execute("INSERT INTO runs (id, started_at, finished_at, status, inbox, out_dir) "
                   "VALUES ('20200101-000000', '2020-01-01T00:00:00+00:00', "
                   "'2020-01-01T00:10:00+00:00', 'finished', 'in', ?)", (str(out),))
    ledger.close()
    (out / "20200101-000000").symlink_to(outside, target_is_directory=True)
    (out / run_id / "link").symlink_to(outside, target_is_directory=True)
    (upload,) = (out / "web" / "uploads").iterdir()
    shutil.rmtree(upload)
    upload.symlink_to(outside, target_is_directory=True)
    result = prune(out, None, 365, now=LATER)
    assert (outside / "keep.txt").read_text() == "not ours"
    assert not (out / run_id).exists()
    assert {(Path(s.path).name, s.reason) for s in result.skipped} == {
        ("20200101-000000", "symlink"), (upload.name, "symlink")}
    assert result.exit_code == 1
    assert result.to_json()["removed"] == {"run_folders": 1, "uploads": 0, "upload_rows": 0,
                                             "news_folders": 0}


def test_a_run_still_going_is_never_touched(base: Path) -> None:
    """A run the ledger marks running, however old, keeps its folder and its rows' data."""
    out = base / "out"
    ledger = Ledger(out / "intake.sqlite")
    with ledger.transaction() as db:
        db.execute("UPDATE runs SET status = 'running'")
    ledger.close()
    result = prune(out, None, 365, now=LATER)
    assert result.to_json()["removed"]["run_folders"] == 0
    assert result.to_json()["blanked"] == {"employer_rows": 0, "dga_rows": 0}
    assert len([p for p in out.iterdir() if p.is_dir()]) == 2


def test_the_command_prints_the_library_result(base: Path) -> None:
    """`intake prune --dry-run --json` prints exactly the library's dry-run result, exit 0;
    the text form names the counts in Dutch; a held batch lock is exit 2."""
    out = base / "out"
    for table, column in (("runs", "finished_at"), ("files", "processed_at")):
        with sqlite3.connect(out / "intake.sqlite") as db:
            db.execute(f"UPDATE {table} SET {column} = '2020-01-01T00:00:00+00:00'")
    done = run_intake("prune", "--out", str(out), "--older-than", "30", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    expected = prune(out, None, 30, dry_run=True).to_json()
    printed = json.loads(done.stdout)
    assert {k: v for k, v in printed.items() if k != "before"} == {
        k: v for k, v in expected.items() if k != "before"}
    assert printed["blanked"] == {"employer_rows": 1, "dga_rows": 2}
    text = run_intake("prune", "--out", str(out), "--older-than", "30", "--dry-run")
    assert "1 map(pen) van verwerkingen" in text.stdout
    from intake.batch.run import acquire_lock

    lock = acquire_lock(out)
    try:
        held = run_intake("prune", "--out", str(out), "--older-than", "30")
    finally:
        lock.release()
    assert held.returncode == 2 and "bezig" in held.stderr


def _aged(out: Path) -> None:
    """Make the fixture's run, file and upload years old (the command prunes by today)."""
    for table, column in (("runs", "finished_at"), ("files", "processed_at")):
        with sqlite3.connect(out / "intake.sqlite") as db:
            db.execute(f"UPDATE {table} SET {column} = '2020-01-01T00:00:00+00:00'")
        db.close()
    with sqlite3.connect(out / "web" / "web.sqlite") as db:
        db.execute("UPDATE web_uploads SET uploaded_at = '2020-01-01T00:00:00+00:00'")
    db.close()


def _prune_again_finishes(out: Path) -> None:
    """A second prune, without the fault, blanks what the first could not and leaves no link
    to a removed run on OUTDIR/index.html."""
    again = run_intake("prune", "--out", str(out), "--older-than", "30", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["blanked"] == {"employer_rows": 1, "dga_rows": 2}
    assert [p.name for p in out.iterdir() if p.is_dir() and p.name != "web"] == []
    assert "/index.html" not in (out / "index.html").read_text(encoding="utf-8")


def test_a_full_disk_when_prune_commits_leaves_the_ledger_as_it_was(base: Path) -> None:
    """The ledger's commit fails for want of room (a file size limit on the process; the
    ledger's -shm kept by a reader, so the open succeeds): exit 2, one line saying the ledger is
    intact and to run prune again; the ledger is exactly as before, whole; a second prune
    finishes."""
    out = base / "out"
    _aged(out)
    shutil.rmtree(out / "web")  # only the ledger to write
    before = _dump(out / "intake.sqlite")
    reader = sqlite3.connect(out / "intake.sqlite")
    try:
        reader.execute("SELECT COUNT(*) FROM runs").fetchone()
        done = subprocess.run([INTAKE, "prune", "--out", str(out), "--older-than", "30",
                               "--lang", "en"], capture_output=True, text=True, check=False,
                              preexec_fn=file_size_limit(2_000))
    finally:
        reader.close()
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"Error: intake prune could not finish in {out} (disk I/O error); the ledger is intact "
        "(what was blanked is committed as a whole or not at all): check the disk (is it "
        "full?) and run prune again"]
    assert _dump(out / "intake.sqlite") == before
    with sqlite3.connect(out / "intake.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    _prune_again_finishes(out)


def test_sigterm_midway_through_prune_leaves_the_ledger_whole(base: Path) -> None:
    """SIGTERM while prune waits for the web intake's database (its run folder already
    removed): exit 143, one line, the ledger unchanged and the batch lock free; a second prune
    finishes, and OUTDIR/index.html no longer links to the removed run."""
    out = base / "out"
    _aged(out)
    before = _dump(out / "intake.sqlite")
    holder = sqlite3.connect(out / "web" / "web.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a web intake writing: prune waits for it
    try:
        pruning = subprocess.Popen([INTAKE, "prune", "--out", str(out), "--older-than", "30",
                                    "--lang", "en"], stderr=subprocess.PIPE, text=True)
        for _ in range(600):
            if not [p for p in out.iterdir() if p.name.startswith("20")]:
                break  # the run folder is gone: prune is at the uploads
            time.sleep(0.05)
        time.sleep(0.5)
        pruning.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _, err = pruning.communicate(timeout=60)
    assert (pruning.returncode, err.strip().splitlines()) == (143, [
        "Error: intake prune was stopped (SIGTERM); what it blanked in the ledger is committed "
        "as a whole or not at all: run it again to finish"])
    assert _dump(out / "intake.sqlite") == before
    with sqlite3.connect(out / "web" / "web.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM web_uploads").fetchone()[0] == 1
    db.close()
    _prune_again_finishes(out)


def test_the_news_of_a_status_import_goes_after_the_retention_period(base: Path) -> None:
    """The folders a status import wrote its messages in (OUTDIR/status/<time>/, with the
    bureaus' names and addresses) go by the time in their name: the one from before the
    bound goes, a younger one stays, a folder named otherwise (also with digits that are no
    time) is not ours and stays, a link is left and reported; --dry-run counts the same and
    removes nothing; the ledger is blanked after them all the same."""
    out = base / "out"
    news = out / "status"
    old = (LATER - dt.timedelta(days=400)).strftime("%Y%m%d-%H%M%S")
    young = (LATER - dt.timedelta(days=10)).strftime("%Y%m%d-%H%M%S")
    for name in (old, f"{old}-2", young, "eigen-map", "20201301-250000", "00000000-000000"):
        (news / name / "berichten").mkdir(parents=True)
        (news / name / "berichten" / "bureau.eml").write_text("Aan: info@noord.nl")
    (news / "20000101-000000").symlink_to(base / "in", target_is_directory=True)
    dry = prune(out, None, 365, dry_run=True, now=LATER)
    assert dry.news_folders == 2 and (news / old).is_dir()
    result = prune(out, None, 365, now=LATER)
    assert result.news_folders == 2
    assert sorted(p.name for p in news.iterdir()) == sorted([
        "20000101-000000", "eigen-map", young, "20201301-250000", "00000000-000000"])
    assert [s.reason for s in result.skipped] == ["symlink"]
    assert (base / "in" / "a.xlsx").is_file()  # the link was not followed
    assert result.exit_code == 1 and result.employer_rows == 1


def test_what_prune_left_is_said_in_the_operators_words(base: Path) -> None:
    """A run folder that is a link is left, and the line says so in words, in Dutch and in
    English, not as the code `symlink`."""
    from intake.batch.prune import lines

    out = base / "out"
    (run_dir,) = [p for p in out.iterdir() if p.is_dir() and p.name != "web"]
    shutil.move(run_dir, base / "elders")
    run_dir.symlink_to(base / "elders", target_is_directory=True)
    result = prune(out, None, 365, dry_run=True, now=LATER)
    for lang, words in (("nl", "een koppeling (symbolic link): niet gevolgd en niet "
                                "verwijderd"),
                        ("en", "a symbolic link: not followed and not removed")):
        said = list(lines(result, lang))
        assert said[-1].endswith(f"{run_dir} ({words})"), said
        assert not any("(symlink)" in line for line in said)
