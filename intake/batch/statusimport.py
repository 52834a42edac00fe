"""`intake status import`: a status file's states recorded in the ledger, in one transaction.

The file is read once, into a private copy, and hashed as it is read (a FIFO or a folder is
refused, never waited on; a name that is not UTF-8 is recorded with `\\xNN`). Its cells are checked
first (`intake.validation.statusfile`: the pandera schema built from the status file's fields).
Then each row against the ledger and the rest of the file: an employer never delivered, a move
backwards, live without the date of the first exchange, a date of the first exchange further
back or further ahead than its bound, refused without a reason, the same employer twice. Each
is a finding with the file's row and column; a row with an error is not recorded, every other
row is, together or not at all.

A file imported twice changes nothing the second time: a state a registration already has is a
no-op, and a row an earlier import of the same content (the same sha256) recorded is not
recorded again, even where the registration moved on since (a refusal the bureau answered with
a new delivery is not refused again by the old file). A repeat that records nothing leaves no
trace in the ledger; its result names the earlier import, so the operator sees in one line that
the file was imported before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.batch.inbox import shown as shown_name
from intake.batch.ledger import Change, Current, Ledger, StatusImport
from intake.definition.findings import Finding
from intake.definition.messages import Lang
from intake.definition.registration import (
    CHANGE_RECORD,
    IMPORT_RECORD,
    Move,
    State,
    move,
    shown_day,
)
from intake.definition.registration import WORDS as STATE_WORDS
from intake.outputs.terminal import printable
from intake.validation.limits import Limits
from intake.validation.reader import UnreadableWorkbook
from intake.validation.statusfile import StatusFile, read_status_file

#: A date of the first exchange further back than this many days is taken for a typing error.
MAX_DAYS_BACK = 90
#: A date of the first exchange further ahead than this many days is taken for a typing error
#: (2062 for 2026): a.s.r. plans the first exchange weeks or months ahead, not years.
MAX_DAYS_AHEAD = 365


@dataclass(frozen=True)
class ImportOptions:
    """How a status file is imported: the bounds on the date of the first exchange (days back
    and ahead of today), the reading limits."""

    max_days_back: int = MAX_DAYS_BACK
    max_days_ahead: int = MAX_DAYS_AHEAD
    limits: Limits = field(default_factory=Limits)
    today: dt.date | None = None


@dataclass
class ImportResult:
    """What a status file came to: its rows, the changes recorded, the findings, and the
    earlier import of the same content if there was one."""

    path: Path
    rows: int
    changed: int
    unchanged: int
    rejected: int
    findings: list[Finding]
    changes: list[Change] = field(default_factory=list)
    #: The file's name as recorded (valid UTF-8: odd bytes as `\\xNN`).
    name: str = ""
    sha256: str = ""
    #: The first earlier import of the same content, if any.
    repeat_of: StatusImport | None = None
    #: Rows an earlier import of the same content recorded (not recorded again).
    repeated: int = 0
    #: With messages: their account (`intake.batch.outbox.send_news`), None when no news.
    news: dict[str, Any] | None = None
    #: Where the messages were written (OUTDIR/status/<stamp>/berichten), if any were.
    news_folder: Path | None = None

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        """0 when every row was taken (recorded or already so), 1 when a row has an error."""
        return int(self.errors > 0)

    def line(self, lang: Lang) -> str:
        """The result in one line for the terminal (the file's name made printable); a repeat
        says when the same content was imported before."""
        words = {"nl": "{file}: {rows} rijen, {changed} vastgelegd, {unchanged} al zo, "
                       "{rejected} met een fout",
                 "en": "{file}: {rows} rows, {changed} recorded, {unchanged} already so, "
                       "{rejected} with an error"}[lang]
        text = words.format(file=printable(self.name), rows=self.rows, changed=self.changed,
                            unchanged=self.unchanged + self.repeated, rejected=self.rejected)
        whole = sum(1 for f in self.findings if f.severity == "error" and f.row is None)
        if whole:  # the header, the sheet: no row to count them on, and the exit is 1
            text += {"nl": "; {n} fout(en) in het bestand zelf",
                     "en": "; {n} error(s) in the file itself"}[lang].format(n=whole)
        if self.repeat_of is None:
            return text
        before = {"nl": "; dezelfde inhoud is al ingelezen op {at} UTC (als {name})",
                  "en": "; the same content was imported before on {at} UTC (as {name})"}[lang]
        text += before.format(at=self.repeat_of.imported_at[:16].replace("T", " "),
                              name=printable(self.repeat_of.name))
        if not self.changed:
            text += {"nl": ", niets veranderd", "en": ", nothing changed"}[lang]
        return text

    def notes(self, lang: Lang) -> list[str]:
        """The messages' account for the operator: where they were written, who got none and
        why (one line each)."""
        if self.news is None:
            return []
        messages = self.news["messages"]
        words = {"nl": ("{n} bericht(en) over {k} wijziging(en) geschreven in {folder}",
                        "geen bericht voor {who}: {reason}"),
                 "en": ("{n} message(s) about {k} change(s) written to {folder}",
                        "no message for {who}: {reason}")}[lang]
        lines = [words[0].format(n=len(messages["written"]), k=len(self.news["registrations"]),
                                 folder=printable(str(self.news_folder)))
                 ] if messages["written"] else []
        for u in (*messages["no_address"], *messages["not_written"]):
            who = printable(f"{u['bureau']} <{u['email']}>".strip())
            lines.append(words[1].format(who=who, reason=printable(u["reason"])))
        return lines

    def to_json(self, lang: Lang) -> dict[str, object]:
        """The result as `--json` prints it."""
        earlier = self.repeat_of
        return {"file": shown_name(str(self.path)), "name": self.name, "sha256": self.sha256,
                "rows": self.rows, "changed": self.changed,
                "unchanged": self.unchanged, "repeated": self.repeated,
                "rejected": self.rejected, "valid": self.errors == 0,
                "repeat_of": None if earlier is None else {
                    k: getattr(earlier, k) for k in IMPORT_RECORD},
                "news": None if self.news is None else {
                    "folder": str(self.news_folder),
                    "registrations": self.news["registrations"],
                    "messages": self.news["messages"]},
                "changes": [{k: getattr(c, k) for k in CHANGE_RECORD} for c in self.changes],
                "findings": [f.to_dict(lang) for f in self.findings]}


def import_status(ledger: Ledger, path: Path,
                  options: ImportOptions | None = None) -> ImportResult:
    """Check the status file at `path` and record its valid rows' new states in the ledger;
    UnreadableWorkbook (one line, nothing recorded) when it cannot be read."""
    options = options or ImportOptions()
    name = shown_name(path.name)
    with tempfile.TemporaryDirectory(prefix="intake-status-") as private:
        copy, digest = _copied(path, Path(private), options.limits)
        try:
            status = read_status_file(copy, options.limits)
        except UnreadableWorkbook as exc:  # named by the file given, not by the private copy
            raise UnreadableWorkbook(Path(printable(shown_name(str(path)))), exc.reason,
                                     exc.detail) from exc
    with ledger.transaction() as db:  # the earlier imports too: two at once are one, then two
        earlier = ledger.status_imports(digest)
        done = ledger.recorded_by([e.id for e in earlier], db)
        findings, changes, unchanged, held, repeated = _against_ledger(
            status, name, ledger.current_states(), done, options)
        if changes or not earlier:
            import_id = ledger.add_status_import(db, name, digest, len(status.data),
                                                 len(changes))
            ledger.record_states(db, changes, import_id=import_id)
    every = sorted(status.findings + findings, key=lambda f: (f.row or 0, f.column or ""))
    bad = {f.row for f in every if f.severity == "error" and f.row is not None} | held
    return ImportResult(path, len(status.data), len(changes), unchanged,
                        sum(1 for row in status.data.rows if row in bad), every, changes,
                        name=name, sha256=digest, repeat_of=earlier[0] if earlier else None,
                        repeated=repeated)


@dataclass(frozen=True)
class Messages:
    """Tell the bureaus now: where (OUTDIR), in which language, from whom (`Name <address>`;
    None: `intake.batch.mail.DEFAULT_FROM`)."""

    out_dir: Path
    lang: Lang = "nl"
    sender: str | None = None


def import_file(ledger_path: Path, path: Path, options: ImportOptions | None = None,
                messages: Messages | None = None) -> ImportResult:
    """`intake status import`: import the status file at `path` into the ledger at
    `ledger_path` (never created); with `messages`, write the bureaus' messages about what went
    live or was refused and no message told yet, under OUTDIR's batch lock (held from before
    the import to after the messages, so a run cannot tell the same news meanwhile; a run
    going on is LockHeld, exit 2, and nothing is imported)."""
    from intake.batch.ledger import LedgerError

    lock = None
    if messages is not None:
        from intake.batch.run import BatchError, acquire_lock

        if not ledger_path.exists():
            raise LedgerError.stop("ledger-missing", path=ledger_path)
        try:
            lock = acquire_lock(messages.out_dir)
        except BatchError as exc:  # Windows: no flock; said in the import's own name
            if exc.code == "batch-posix-only":
                raise BatchError.stop("status-messages-posix-only") from None
            raise
    try:
        ledger = Ledger(ledger_path, create=False)
        try:
            result = import_status(ledger, path, options)
            if messages is not None:
                from intake.batch.mail import DEFAULT_FROM, sender_address
                from intake.batch.outbox import FOLDER, send_news

                result.news = send_news(ledger, messages.out_dir, messages.lang,
                                        sender_address(messages.sender or DEFAULT_FROM))
                if result.news is not None:
                    result.news_folder = messages.out_dir / result.news["run"]["id"] / FOLDER
            return result
        finally:
            ledger.close()
    finally:
        if lock is not None:
            lock.release()


def _copied(path: Path, folder: Path, limits: Limits) -> tuple[Path, str]:
    """Read the file at `path` once into `folder` (a copy with its suffix) and hash it: what is
    checked is what is hashed, whatever happens to the file meanwhile. A folder, a FIFO or a
    device is refused without waiting; more than the size limit is not read."""
    budget = limits.max_uncompressed_mb * 1024 * 1024
    shown = Path(printable(shown_name(str(path))))
    try:  # O_NONBLOCK: a FIFO is refused below, never waited on
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise UnreadableWorkbook(shown, "not-found") from exc
        raise UnreadableWorkbook(shown, "cannot-open", exc.strerror or "") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableWorkbook(shown, "not-a-file")
        chunks, size, digest = [], 0, hashlib.sha256()
        while size <= budget:
            chunk = os.read(fd, min(1 << 20, budget + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            digest.update(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableWorkbook(shown, "cannot-open", exc.strerror or "") from exc
    finally:
        os.close(fd)
    if size > budget:
        raise UnreadableWorkbook(shown, "file-too-big", f"> {limits.max_uncompressed_mb} MB")
    suffix = path.suffix.lower() if path.suffix.isascii() and path.suffix.isprintable() else ""
    copy = folder / f"status{suffix}"
    copy.write_bytes(b"".join(chunks))
    return copy, digest.hexdigest()


def _against_ledger(status: StatusFile, name: str, states: dict[tuple[str, str], Current],
                    done: set[tuple[str, str, str]], options: ImportOptions,
                    ) -> tuple[list[Finding], list[Change], int, set[int], int]:
    """The findings of the rows against the ledger and each other; the changes to record; how
    many rows were so already; the rows held back as duplicates; how many rows an earlier
    import of the same content recorded (`done`: Werkgever ID, loonheffingennummer, state)."""
    data = status.data
    if not data.usable or not data.rows:
        return [], [], 0, set(), 0
    today = options.today or dt.date.today()
    oldest = (today - dt.timedelta(days=options.max_days_back)).isoformat()
    latest = (today + dt.timedelta(days=options.max_days_ahead)).isoformat()
    sheet = data.sheet
    findings: list[Finding] = []
    first: dict[tuple[str, str], int] = {}
    twice: set[tuple[str, str]] = set()
    for i, row in enumerate(data.rows):
        key = (data.value("werkgever_id", i), data.value("loonheffingennummer", i))
        if data.rejected[i] or None in key:
            continue
        k = (str(key[0]), str(key[1]))
        if k in first:
            twice.add(k)
            findings.append(Finding("status-duplicate", sheet=sheet, row=row,
                                    column=data.columns["werkgever_id"], field="werkgever_id",
                                    value=k[0], params=(("werkgever_id", k[0]), ("lhn", k[1]),
                                                        ("first", str(first[k])))))
        else:
            first[k] = row
    changes: list[Change] = []
    unchanged = repeated = 0
    for i, row in enumerate(data.rows):
        werkgever_id = data.value("werkgever_id", i)
        lhn = data.value("loonheffingennummer", i)
        state = data.value("status", i)
        if data.rejected[i] or werkgever_id is None or lhn is None or state is None:
            continue
        key = (werkgever_id, lhn)
        if key in twice:
            continue
        ids = (("werkgever_id", werkgever_id), ("lhn", lhn))
        date = data.value("eerste_uitwisseling", i)
        reason = data.value("reden", i)
        now = states.get(key)
        problem: Finding | None = None
        if now is None:
            problem = Finding("status-unknown-employer", column=data.columns["werkgever_id"],
                              field="werkgever_id", value=werkgever_id, params=ids,
                              sheet=sheet, row=row)
        elif (werkgever_id, lhn, state) in done:
            repeated += 1  # this content's row was recorded before: never twice
            continue
        elif (found := move(State(now.state), State(state))) is Move.SAME:
            unchanged += 1
            if state == State.LIVE and date and now.first_exchange and \
                    date != now.first_exchange:  # not a move: said, never silently dropped
                findings.append(Finding(
                    "status-live-other-date", sheet=sheet, row=row,
                    column=data.columns["eerste_uitwisseling"], field="eerste_uitwisseling",
                    value=data.shown["eerste_uitwisseling"][i] or date, params=(
                        *ids, *_days("date", date), *_days("current", now.first_exchange),
                        *_days("since", now.at[:10]))))
            continue
        elif found is Move.BACKWARD:
            problem = Finding("status-backward", column=data.columns["status"], field="status",
                              value=data.shown["status"][i], params=(
                                  *ids, *((f"current_{lang}", STATE_WORDS[lang][
                                      State(now.state)]) for lang in ("nl", "en")),
                                  *_days("since", now.at[:10])), sheet=sheet, row=row)
        elif state == State.LIVE and date is None:
            problem = Finding("status-live-without-date",
                              column=data.columns.get("eerste_uitwisseling",
                                                      data.columns["status"]),
                              field="eerste_uitwisseling", params=ids, sheet=sheet, row=row)
        elif state == State.LIVE and date is not None and not oldest <= date <= latest:
            problem = _out_of_bounds(data.shown["eerste_uitwisseling"][i], date, today,
                                     options, ids, sheet, row,
                                     data.columns["eerste_uitwisseling"])
        elif state == State.REFUSED and reason is None:
            problem = Finding("status-refused-without-reason",
                              column=data.columns.get("reden", data.columns["status"]),
                              field="reden", params=ids, sheet=sheet, row=row)
        if problem is not None:
            findings.append(problem)
            continue
        changes.append(Change(werkgever_id, lhn, state, f"status {name}:{row}",
                              date if state == State.LIVE else None,
                              reason if state == State.REFUSED else None))
    held = {row for i, row in enumerate(data.rows)
            if (data.value("werkgever_id", i), data.value("loonheffingennummer", i)) in twice}
    return findings, changes, unchanged, held, repeated


def _days(name: str, day: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """A date as a finding's two parameters, `name`_nl and `name`_en, each as its reader
    writes dates."""
    return (f"{name}_nl", shown_day(day, "nl")), (f"{name}_en", shown_day(day, "en"))


def _out_of_bounds(shown: str, date: str, today: dt.date, options: ImportOptions,
                   ids: tuple[tuple[str, str], ...], sheet: str | None, row: int,
                   column: str) -> Finding:
    """The finding of a date of the first exchange outside its bounds: how far back or ahead it
    is, the bound, and the earliest or latest date taken (as each language writes dates)."""
    days = (dt.date.fromisoformat(date) - today).days
    back = days < 0
    bound = today + dt.timedelta(days=-options.max_days_back if back
                                 else options.max_days_ahead)
    return Finding("status-date-too-old" if back else "status-date-too-far-ahead",
                   sheet=sheet, row=row, column=column, field="eerste_uitwisseling",
                   value=shown or date, params=(
                       *ids, ("days", str(abs(days))),
                       ("bound", str(options.max_days_back if back else options.max_days_ahead)),
                       *_days("date", date), *_days("limit", bound.isoformat())))
