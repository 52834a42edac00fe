"""Fault-injection soak: several nights over 200+ files while files vanish, are renamed,
replaced, made unreadable or corrupt, and the batch itself is killed or interrupted; afterwards
every employer of every good file is delivered exactly once and nothing is left behind."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from intake.batch.inbox import fit_name
from intake.outputs.samples import employer, fill

from conftest import INTAKE

ROUNDS = 8
PER_ROUND = 26  # good files per round; 8 x 26 = 208, plus corrupt files and replacements


def _prefix() -> list[str]:
    """Run without root's permission override, so that mode 000 really is unreadable."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    return []


class Soak:
    """The files, the faults and the runs of one soak, with their counts."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.inbox, self.out, self.moved = root / "in", root / "out", root / "verwerkt"
        self.inbox.mkdir()
        self.rng = rng
        self.good: dict[str, bytes] = {}  # name -> content of every good file ever sent
        self.ids: set[str] = set()  # every Werkgever ID of every good file
        self.next_employer = 0
        self.counts: Counter[str] = Counter()
        self.can_lock_out = bool(_prefix()) or os.geteuid() != 0
        self.stop = threading.Event()

    def _employers(self, n: int) -> list[tuple[object, ...]]:
        rows = [employer(self.next_employer + k) for k in range(n)]
        self.ids.update(str(9_000_000 + self.next_employer + k) for k in range(n))
        self.next_employer += n
        return rows

    def good_file(self, name: str, rows: int = 2) -> bytes:
        """A new good workbook (employers of its own); returns its bytes."""
        path = fill(self.inbox / ".bouw.xlsx", self._employers(rows), [])
        content = path.read_bytes()
        path.unlink()
        self.good[name] = content
        self.counts["good files"] += 1
        return content

    def send(self, round_no: int) -> None:
        """A night's arrivals: good files (some with odd or long names, some large), and a few
        corrupt ones."""
        for i in range(PER_ROUND):
            kind = self.rng.random()
            if kind < 0.08:
                name = f"=r{round_no}-{i}+1.xlsx"
            elif kind < 0.14:
                name = f"r{round_no}-{i}-" + "L" * 230 + ".xlsx"
            elif kind < 0.18:
                name = os.fsdecode(f"r{round_no}-{i}-".encode() + b"\xff\xfe.xlsx")
            else:
                name = f"r{round_no}-{i:02d}.xlsx"
            rows = 400 if kind > 0.97 else 2
            (self.inbox / name).write_bytes(self.good_file(name, rows))
        for i in range(3):
            content = self.rng.choice(list(self.good.values()))
            (self.inbox / f"kapot-{round_no}-{i}.xlsx").write_bytes(content[: len(content) // 2])
            self.counts["corrupt files"] += 1

    def faults(self) -> None:
        """While a run goes: now and then one fault on a random inbox file."""
        while not self.stop.wait(self.rng.uniform(0.05, 0.4)):
            try:
                names = [n for n in os.listdir(self.inbox) if n.endswith(".xlsx")
                         and not n.startswith(".")]
            except OSError:
                continue
            if not names:
                continue
            name = self.rng.choice(names)
            path = self.inbox / name
            fault = self.rng.choice(["vanish", "rename", "replace", "corrupt", "lock out"])
            try:
                if fault == "vanish":
                    path.unlink()
                elif fault == "rename":
                    new = fit_name(f"hernoemd-{self.counts['rename']}-{name}")
                    os.rename(path, self.inbox / new)
                    if name in self.good:
                        self.good[new] = self.good[name]
                elif fault == "replace":
                    tmp = self.inbox / f".vervang-{os.getpid()}"
                    tmp.write_bytes(self.good_file(f"vervangen-{self.counts['replace']}.xlsx"))
                    os.replace(tmp, path)
                elif fault == "corrupt":
                    path.write_bytes(b"PK\x03\x04 kapot")
                elif fault == "lock out" and self.can_lock_out:
                    path.chmod(0o000)
                else:
                    continue
            except OSError:
                continue
            self.counts[fault] += 1

    def run(self, with_faults: bool) -> int:
        """One night: start the batch, maybe inject faults and a signal; return its exit code."""
        command = [*_prefix(), INTAKE, "batch", str(self.inbox), "--out", str(self.out),
                   "--settle", "0", "--jobs", "2", "--move-to", str(self.moved),
                   "--max-seconds", "60"]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        faulting = threading.Thread(target=self.faults, daemon=True)
        self.stop.clear()
        if with_faults:
            faulting.start()
        how = self.rng.choice(["SIGKILL", "SIGTERM", "SIGINT", "none"]) if with_faults \
            else "none"
        if how != "none":
            time.sleep(self.rng.uniform(0.5, 3.0))
            if proc.poll() is None:
                if how == "SIGINT":
                    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: the whole group
                else:
                    os.kill(proc.pid, getattr(signal, how))  # the main process only
                self.counts[f"runs sent {how}"] += 1
        _, stderr = proc.communicate(timeout=170)
        self.stop.set()
        if faulting.is_alive():
            faulting.join()
        self.counts["runs"] += 1
        self.counts[f"exit {proc.returncode}"] += 1
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")
        deadline = time.time() + 10
        while time.time() < deadline:  # the run's workers die with it
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"processes of run {self.counts['runs']} outlived it")
        return proc.returncode

    def resend(self) -> None:
        """The bureaus send again whatever they are asked to: every good file, readable."""
        for name in os.listdir(self.inbox):
            os.chmod(os.path.join(self.inbox, name), 0o644)
        for name, content in self.good.items():
            path = self.inbox / name
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)


def _delivered(out: Path) -> list[str]:
    ids = []
    for run in out.iterdir():
        if (run / "werkgevers.csv").is_file():
            with (run / "werkgevers.csv").open(encoding="utf-8", newline="") as handle:
                ids += [r["werkgever_id"] for r in csv.DictReader(handle)]
    return ids


@pytest.mark.slow
def test_soak_every_good_employer_is_delivered_exactly_once(tmp_path: Path) -> None:
    """Eight nights of arrivals with random faults and random SIGKILL/SIGTERM/SIGINT, then the
    bureaus resend and one quiet run: every employer of every good file is in exactly one
    delivery, the ledger is intact, no lock, staging folder or running run is left."""
    soak = Soak(tmp_path, random.Random(8))
    for round_no in range(ROUNDS):
        soak.send(round_no)
        soak.run(with_faults=True)
    soak.resend()
    assert soak.run(with_faults=False) in (0, 1)
    assert [n for n in os.listdir(soak.inbox) if not n.startswith(".")] == []

    delivered = _delivered(soak.out)
    duplicates = [i for i, n in Counter(delivered).items() if n > 1]
    assert duplicates == []
    assert set(delivered) == soak.ids
    db = sqlite3.connect(soak.out / "intake.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = Counter(r[0] for r in db.execute("SELECT status FROM runs"))
    statuses = Counter(r[0] for r in db.execute("SELECT status FROM files"))
    db.close()
    assert "running" not in runs
    leftovers = [p for p in soak.out.rglob("*") if p.name in (".work", ".intake-batch.lock")
                 or ".partial" in p.name or p.name.startswith((".staging-", ".intake.sqlite."))]
    assert leftovers == []
    print(f"\nsoak: {sum(soak.counts[k] for k in ('good files', 'corrupt files'))} files, "
          f"{len(soak.ids)} employers delivered once; counts {dict(soak.counts)}; "
          f"runs {dict(runs)}; file statuses {dict(statuses)}")
