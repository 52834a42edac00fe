"""Check uploads in warm, OS-limited child processes (`intake.checking.sandbox`), in two lanes.

The check is the one every door uses (`intake.checking.check`): the upload's bytes are parsed only
in a child under the limits of `intake validate` (address space, CPU and wall time, output size),
never in the server's process. Children are kept warm between checks (a check then costs what the
validator costs, not a new interpreter) in two lanes: small files, and large files at the lowest
priority so that the small uploads of other bureaus keep getting answers first. Children are spawned
(the server runs threads; a child forked from a process with threads can hang on a lock one of them
held) and a small lane's child warms itself on a sample before its first check. A child that was
killed, died, or has done its share of checks is replaced by a fresh one; a large lane's child does
one check.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import replace
from pathlib import Path

from intake.checking.check import Checked, Settings, bounds, outcome, submit
from intake.checking.sandbox import Sandbox, give_back, take
from intake.definition.messages import Lang


class Lane:
    """Up to `size` warm children; `check` blocks, so call it from at most `size` threads."""

    #: A child is replaced after this many checks (memory a long life may gather).
    JOBS_PER_WORKER = 200

    def __init__(self, size: int, settings: Settings, large: bool = False) -> None:
        self.size = size
        self.settings = settings
        self.large = large
        self._idle: queue.SimpleQueue[Sandbox] = queue.SimpleQueue()
        self._all: set[Sandbox] = set()
        self._lock = threading.Lock()

    def pids(self) -> list[int]:
        """The child processes' ids (for operations and tests)."""
        with self._lock:
            return [pid for box in self._all if (pid := box.pid) is not None]

    def _new(self) -> Sandbox:
        from intake.web.warm import warm

        box = take(bounds(self.settings.limits, low_priority=self.large),
                   warm=None if self.large else warm)
        with self._lock:
            self._all.add(box)
        return box

    def _take(self) -> Sandbox:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._new()

    def _drop(self, box: Sandbox) -> None:
        with self._lock:
            self._all.discard(box)
        box.close(kill=True)

    def check(self, workbook: Path, out_dir: Path, lang: Lang | None = None) -> Checked:
        """Check `workbook` into `out_dir` in a child, in `lang` (else the lane's language);
        blocks until done or killed."""
        box = self._take()
        settings = self.settings if lang is None else replace(self.settings, lang=lang)
        submit(box, workbook, out_dir, settings)
        checked = outcome(box, out_dir)
        if self.large or box.jobs >= self.JOBS_PER_WORKER or box.pid is None:
            self._drop(box)  # a large file's memory goes with its child; a dead one is gone
        else:
            self._idle.put(box)
        return checked

    def prestart(self) -> None:
        """Start every child now, so the first uploads do not wait for one."""
        started = [self._new() for _ in range(self.size)]
        for box in started:
            box.start()
            self._idle.put(box)

    def close(self) -> None:
        """Stop every child: an idle one goes back to the process's warm children (which end
        with the process), one with a check in hand is killed."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            boxes = list(self._all)
            self._all.clear()
        for box in boxes:
            if box in idle and not self.large:
                give_back(box)
            else:
                box.close(kill=True)
