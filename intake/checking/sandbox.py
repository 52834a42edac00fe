"""A disposable child process, held by the operating system's limits, for work on untrusted bytes.

Every byte of a workbook a stranger sent is parsed here, never in the process that holds the
ledger, the web server or the terminal. A parser's behaviour cannot be predicted by a second
parser (an allocation calamine asks for, a loop in native code), so the boundary is the kernel's:

- address space (`RLIMIT_AS`, default 1 GB): an allocation past it fails; Python raises
  MemoryError, Rust aborts; either way only the child ends;
- CPU time (`RLIMIT_CPU`, twice the wall time plus a second, per job): the kernel ends a child
  that spins, also when its parent is gone;
- wall time: the parent kills the child when a job is not done in time, whatever it is doing
  (native code included);
- output file size (`RLIMIT_FSIZE`): a write past it fails with EFBIG;
- no core dumps; SIGINT and SIGTERM blocked (the parent ends its children itself), and the
  child dies with its parent (`PR_SET_PDEATHSIG` where the parent's main thread started it, and
  a thread that watches the parent's pid in every child).

A child is kept warm between jobs, and between the checks of one process (`take`, `give_back`:
a fresh child spends half a second on imports); one that died or was killed is replaced by a
fresh one. A parent killed with SIGKILL cannot remove its children's work folders: the next
process that starts a child does (`_sweep_once`). How
it ended is a reason code of `intake.definition.messages.FILE_ERRORS`: `time-limit`, `memory`,
`output-too-big` or `reader-failed` (an abort or a crash).

Where `fork` or the resource limits do not exist (Windows) the child is spawned and the wall
time still holds: the parent kills it; there is no memory, CPU or output limit there.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import math
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from intake.definition.errors import IntakeError
from intake.definition.messages import FILE_ERRORS

#: The signals a parent handles for its children (a Ctrl-C to the process group reaches both).
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
#: How often a waiting parent wakes up to run its signal handlers.
_POLL_SECONDS = 0.25
#: Seconds a fresh child may take to start (spawned: a new interpreter, its imports).
START_SECONDS = 60.0
#: The child's stderr, in its work folder.
STDERR_NAME = "stderr"
#: How much of the start and of the end of stderr is read to tell why a child died.
_STDERR_TAIL = 64 << 10
#: The child's Rust code (calamine, polars) prints no backtrace of a panic, whatever the
#: parent's environment says. With RUST_BACKTRACE=1 a panic near the address-space limit hung
#: the child until its wall time: Rust's panic hook holds std's backtrace lock while it
#: resolves symbols; that allocates; the failed allocation's handler waits for the same lock,
#: with the interpreter held (seen in calamine: pyo3 panics when a list cannot be allocated).
#: Rust reads them at its first panic, so they are set before any job (a child forked from a
#: parent whose calamine already panicked would keep the parent's choice).
NO_RUST_BACKTRACE = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
#: What a runtime writes on stderr when an allocation fails (Rust, C++, Python, glibc).
_OUT_OF_MEMORY = (b"memory allocation of", b"MemoryError", b"bad_alloc", b"out of memory",
                  b"Cannot allocate memory", b"capacity overflow")


@dataclass(frozen=True)
class Bounds:
    """What one job of the child may cost (0: no limit); `intake.checking.check.bounds` makes
    them from the `Limits` a door was given."""

    memory_mb: int
    seconds: float
    output_mb: int
    #: Run at the lowest priority (the web intake's lane for large files).
    low_priority: bool = False


class ChildDied(IntakeError):
    """The child ended before its job was done: `code` is the reason (a FILE_ERRORS code)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        texts = FILE_ERRORS[reason]
        super().__init__(texts["nl"], texts["en"], code=reason)
        self.reason = reason
        self.detail = detail


class Channel:
    """The child's end of a job: `ask` sends a question to the parent and waits for its answer
    (the time the parent takes does not count against the job)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def ask(self, question: Any) -> Any:
        """The parent's answer to `question`."""
        self._conn.send(("ask", question, time.monotonic()))
        return self._conn.recv()


#: A job: a module-level function (so that it pickles by name) taking the channel first.
Job = Callable[..., Any]


# --- the child ---------------------------------------------------------------------------------


def _child(conn: Connection, bounds: Bounds, work: str, parent: int,
           pdeathsig: bool, warm: Job | None, forked: bool = False) -> None:
    """The child's life: contain itself, warm up, then run one job after another. `work` is
    its parent's folder for it: its stderr and its temporary files, removed by the parent when
    the child is gone, however it ended. A `forked` child first lets go of every file its
    parent had open (the batch's lock and ledger, a server's sockets): it holds nothing of the
    parent's, and a lock dies with its holder, not with the holder's last child."""
    from intake.validation.process import few_malloc_arenas

    if forked:
        _close_inherited(conn)
    # pandera's backends import hypothesis where it is installed (with the test dependencies),
    # for data synthesis a check never uses: 0.3 s of every fresh child. A None entry makes
    # the import fail here as where it is not installed; a parent's import stays.
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    few_malloc_arenas(limited=bounds.memory_mb > 0)  # before any thread starts
    tempfile.tempdir = work
    os.environ["TMPDIR"] = work
    os.environ.update(NO_RUST_BACKTRACE)
    _contain(bounds, os.path.join(work, STDERR_NAME), parent, pdeathsig)
    if warm is not None:
        with contextlib.suppress(Exception):
            warm()
    _limit_memory(bounds)
    channel = Channel(conn)
    while True:
        _KEPT.clear()
        gc.enable()  # between jobs: what a job left is collected while the child waits
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job, args, cwd = message
        _send_or_exit(conn, ("started", time.monotonic()))
        # The collector is off until the job's answer is sent: turned on while a check's
        # result lives, its first pass walks every object the check made (0.07 s at 100,000
        # employers) before the parent hears the answer.
        gc.disable()
        _cpu_budget(bounds.seconds)
        try:
            if cwd is not None:
                os.chdir(cwd)  # relative paths mean what they mean to the parent now
            value = job(channel, *args)
        except BaseException as exc:
            from intake.validation.process import short_of_memory

            # A failed allocation, or a Rust panic (polars') where the limit refused memory.
            if isinstance(exc, MemoryError) or short_of_memory(exc):
                _send_or_exit(conn, ("raised", "memory", ""))
                os._exit(3)  # what a failed allocation leaves behind is not worth keeping
            if isinstance(exc, OSError):
                import errno

                reason = "output-too-big" if exc.errno == errno.EFBIG else "failed"
                _send_or_exit(conn, ("raised", reason, f"{type(exc).__name__}: {exc}"))
                continue
            import traceback  # a bug in the job: the parent records it, we go on

            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            _send_or_exit(conn, ("raised", "failed", detail))
            continue
        finally:
            _cpu_budget(0)
        _send_or_exit(conn, ("done", value, bool(_RETIRING)))
        if _RETIRING:
            os._exit(0)  # not waiting for what it could not let go of


#: Set by a job (`retire`): this child ends after its answer.
_RETIRING: list[bool] = []
#: What a job left to be let go of after its answer (`keep_until_answered`).
_KEPT: list[object] = []


def keep_until_answered(thing: object) -> None:
    """Called in a job: `thing` (a check's result) is let go of once the answer is sent, not
    before. Freeing the millions of objects a large check made takes a while (0.05 s at
    100,000 employers) that the parent need not wait for."""
    _KEPT.append(thing)


def retire() -> None:
    """Called in a job: the child ends once it has sent the job's answer (it holds something
    it cannot let go of, such as a thread in native code), and the next job gets a fresh one."""
    _RETIRING.append(True)


def _close_inherited(conn: Connection) -> None:
    """Let go of every descriptor but the standard three and the pipe to the parent (and the
    resource tracker's, should multiprocessing have one): each is pointed at /dev/null, which
    drops this process's hold on the file (a lock on it ends with its holder) while the number
    stays taken, so that an inherited object closing its descriptor later cannot close a file
    this child opened since."""
    keep = {0, 1, 2, conn.fileno()}
    with contextlib.suppress(Exception):
        from multiprocessing import resource_tracker

        tracker = resource_tracker._resource_tracker._fd  # type: ignore[attr-defined]
        if tracker is not None:
            keep.add(tracker)
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    null = os.open(os.devnull, os.O_RDWR)
    for fd in open_fds:
        if fd not in keep and fd != null:
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    os.close(null)


def _send_or_exit(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except (OSError, ValueError):
        os._exit(4)  # the parent is gone


def _contain(bounds: Bounds, stderr_path: str, parent: int, pdeathsig: bool) -> None:
    """Limits that hold from the start: signals, stderr, core dumps, output size, the parent."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # inherited by every thread
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    import faulthandler

    faulthandler.disable()  # a forked child inherits it, writing to its parent's stderr
    with contextlib.suppress(OSError):
        fd = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        import resource
    except ImportError:  # Windows: the parent's wall-time kill is the limit
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if bounds.output_mb > 0:
        cap = bounds.output_mb << 20
        _lower(resource.RLIMIT_FSIZE, cap)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails with EFBIG
    if pdeathsig and sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(5)  # the parent died while this child started
    threading.Thread(target=_watch_parent, args=(parent,), name="intake-parent-watch",
                     daemon=True).start()
    if bounds.low_priority and hasattr(os, "nice"):
        os.nice(19)
        if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(6)


def _limit_memory(bounds: Bounds) -> None:
    if bounds.memory_mb <= 0:
        return
    try:
        import resource
    except ImportError:
        return
    _lower(resource.RLIMIT_AS, bounds.memory_mb << 20)


def _lower(which: int, cap: int) -> None:
    import resource

    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(which, (cap, hard))


def _cpu_budget(seconds: float) -> None:
    """Let the kernel end this process once it has used `2 * seconds + 1` more CPU seconds
    (its threads included); 0: no limit."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if seconds <= 0:
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cap = math.ceil(usage.ru_utime + usage.ru_stime + 2 * seconds + 1)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (cap, hard))


# --- the parent --------------------------------------------------------------------------------


def _start_method() -> str:
    """fork where it is safe and cheap (Linux, no other thread in this process and polars, whose
    thread pool is invisible to `threading`, not loaded); spawn elsewhere."""
    if (sys.platform == "linux" and threading.active_count() == 1
            and "polars" not in sys.modules):
        return "fork"
    return "spawn"


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM blocked in this thread while a child starts (it inherits the mask, so a
    Ctrl-C to the group cannot end it before it has set its own rules)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class Sandbox:
    """One child process and the parent's end of its pipe. `run` a job in it; a child that
    died or was killed is replaced at the next job. Use from one thread at a time."""

    def __init__(self, bounds: Bounds, warm: Job | None = None) -> None:
        self.bounds = bounds
        self.warm = warm
        self._process: Any = None
        self._conn: Connection | None = None
        self._stderr: Path | None = None
        self._work: Path | None = None
        self._deadline: float | None = None
        self._job: tuple[Job, tuple[Any, ...]] | None = None
        #: The job with the arguments to run it with once more should the child end.
        self._again: tuple[Job, tuple[Any, ...]] | None = None
        #: How many jobs ran a second time with their `again` arguments.
        self.second_tries = 0
        self._started = False
        self.jobs = 0

    @property
    def pid(self) -> int | None:
        """The child's process id, while it lives."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def start(self) -> None:
        """Start the child now (otherwise the first job does)."""
        if self._process is not None and self._process.is_alive():
            return
        self._reap(kill=True)
        method = _start_method()
        ctx = multiprocessing.get_context(method)
        parent_end, child_end = ctx.Pipe()
        _sweep_once()
        work = tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-")
        self._work = Path(work)
        self._stderr = self._work / STDERR_NAME
        self._stderr.touch()
        pdeathsig = threading.current_thread() is threading.main_thread()
        process = ctx.Process(  # type: ignore[attr-defined]
            target=_child, name="intake-check", daemon=True,
            args=(child_end, self.bounds, work, os.getpid(), pdeathsig, self.warm,
                  method == "fork"))
        if method != "fork" and os.name == "posix":
            # multiprocessing starts its resource tracker at the first spawn and unblocks SIGINT
            # and SIGTERM in this thread when it has: inside the block below, that would leave
            # the child's start open to a Ctrl-C (a traceback from its interpreter's start on
            # the batch's stderr, seen in the soak). Started first, it is left alone.
            from multiprocessing import resource_tracker

            resource_tracker.ensure_running()
        with _signals_blocked():
            process.start()
        child_end.close()
        self._process, self._conn, self.jobs = process, parent_end, 0

    def submit(self, job: Job, *args: Any, again: tuple[Any, ...] | None = None) -> None:
        """Hand the child a job (starting a child first where none is alive); `result` waits
        for it. With `again`: when the child ends during the job (not at its time limit)
        before it asked anything, the job runs once more in a fresh child with those
        arguments instead (a job that takes a risk for speed, then does without)."""
        for attempt in (1, 2):
            self.start()
            assert self._conn is not None
            if self._stderr is not None:
                with contextlib.suppress(OSError):
                    os.truncate(self._stderr, 0)  # what the child writes now is this job's
            try:
                self._conn.send((job, args, _cwd()))
                break
            except (OSError, ValueError):  # it died while idle: a fresh one
                self._reap(kill=True)
                if attempt == 2:
                    raise ChildDied("reader-failed", "the child could not be started") from None
        # Until the child says it started (a fresh one starts an interpreter first), it has
        # START_SECONDS more; from then on, the job's own time.
        seconds = self.bounds.seconds
        self._deadline = time.monotonic() + START_SECONDS + seconds if seconds > 0 else None
        self._job, self._started = (job, args), False
        self._again = (job, again) if again is not None else None
        self.jobs += 1

    def result(self, answer: Callable[[Any], Any] | None = None,
               wait: Callable[[], None] | None = None) -> Any:
        """The job's value. `answer` replies to the job's questions; `wait` is called each
        time the parent wakes up while it waits. Raises ChildDied when the child ended or
        was killed at its time limit (it is replaced at the next job)."""
        conn = self._conn
        assert conn is not None, "no job submitted"
        done = False
        try:
            while True:
                if not self._ready(conn, wait):
                    raise self._ended(timed_out=True)
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    if not self._started and self._job is not None:
                        # It died before it took the job (killed while idle, by an operator
                        # or the kernel): the file had no part in it; a fresh child takes it.
                        job, args = self._job
                        again = self._again
                        self._reap(kill=True)
                        self.submit(job, *args, again=again[1] if again else None)
                        self._job = None  # once
                        conn = self._conn
                        assert conn is not None
                        continue
                    death = self._ended(timed_out=False)
                    if self._again is not None and death.reason != "time-limit":
                        job, args = self._again
                        self.second_tries += 1
                        self.submit(job, *args)  # once, without the risk
                        conn = self._conn
                        assert conn is not None
                        continue
                    raise death from None
                kind = message[0]
                if kind == "started":
                    self._started = True
                    if self.bounds.seconds > 0:
                        self._deadline = message[1] + self.bounds.seconds
                    continue
                if kind == "ask":
                    self._again = None  # what was answered is not asked twice
                    asked_at = message[2]
                    reply = answer(message[1]) if answer is not None else None
                    if self._deadline is not None:
                        self._deadline += max(0.0, time.monotonic() - asked_at)
                    conn.send(reply)
                    continue
                done = True
                if kind == "done":
                    if len(message) > 2 and message[2]:  # it retires: a fresh one next time
                        self._reap(kill=False)
                    return message[1]
                reason, detail = message[1], message[2]
                if reason == "memory" and self._again is not None:
                    job, args = self._again  # out of memory while taking the risk
                    self.second_tries += 1
                    self._reap(kill=True)
                    self.submit(job, *args)
                    conn = self._conn
                    assert conn is not None
                    done = False
                    continue
                if reason == "memory":
                    self._reap(kill=True)
                raise ChildDied(reason if reason in FILE_ERRORS else "failed", detail)
        finally:
            if not done and self._process is not None and self._process.is_alive():
                self._reap(kill=True)  # interrupted while waiting: the job goes with it

    def run(self, job: Job, *args: Any, answer: Callable[[Any], Any] | None = None) -> Any:
        """`submit`, then `result`."""
        self.submit(job, *args)
        return self.result(answer)

    def _ready(self, conn: Connection, wait: Callable[[], None] | None) -> bool:
        while True:
            step = _POLL_SECONDS
            if self._deadline is not None:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    return conn.poll(0)
                step = min(step, left)
            if conn.poll(step):
                return True
            if wait is not None:
                wait()

    def _ended(self, timed_out: bool) -> ChildDied:
        """Why the child ended (after making sure it has)."""
        process = self._process
        if timed_out:
            self._reap(kill=True)
            return ChildDied("time-limit")
        if process is not None:
            process.join(5)
        code = process.exitcode if process is not None else None
        tail = self._stderr_tail()
        self._reap(kill=True)
        killed_by = -code if code is not None and code < 0 else None
        if killed_by == getattr(signal, "SIGXCPU", None):
            return ChildDied("time-limit")
        if killed_by == getattr(signal, "SIGKILL", None) or any(
                mark in tail for mark in _OUT_OF_MEMORY):
            return ChildDied("memory", f"exit {code}")  # the kernel's out-of-memory killer
        if killed_by == getattr(signal, "SIGXFSZ", None):
            return ChildDied("output-too-big")
        return ChildDied("reader-failed", f"exit {code}: {_last_line(tail)}")

    def _stderr_tail(self) -> bytes:
        """The start and the end of what the child wrote on stderr in its last job (a
        runtime's last words come first, a backtrace may follow)."""
        if self._stderr is None:
            return b""
        try:
            with self._stderr.open("rb") as handle:
                head = handle.read(_STDERR_TAIL)
                handle.seek(0, os.SEEK_END)
                handle.seek(max(len(head), handle.tell() - _STDERR_TAIL))
                return head + b"\n" + handle.read()
        except OSError:
            return b""

    def _reap(self, kill: bool) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is not None:
            if kill and process.is_alive():
                process.kill()
            process.join(10)
            if process.is_alive():  # pragma: no cover - a child that ignores SIGKILL
                process.kill()
                process.join()
        if conn is not None:
            conn.close()
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
        self._work = self._stderr = None

    def close(self, kill: bool = False) -> None:
        """End the child: ask it to stop (or kill it), then reap it."""
        if not kill and self._conn is not None:
            try:
                self._conn.send(None)
            except (OSError, ValueError):
                kill = True
        self._reap(kill=kill or self._process is None)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(kill=True)


def _cwd() -> str | None:
    """This process's working folder (None where it was removed)."""
    try:
        return os.getcwd()
    except OSError:
        return None


#: A child's work folder in TMPDIR: intake-check-<parent pid>-<random>.
WORK_PREFIX = "intake-check-"
#: The folders in TMPDIR named <prefix><pid>-<random> after the process that made them (the
#: children's, and the private copies of `intake.checking.check`).
PID_PREFIXES = (WORK_PREFIX, "intake-input-")
_swept: list[int] = []  # the pid that swept (a forked copy sweeps again)


def _sweep_once() -> None:
    """Remove the work folders of children whose parent is gone: a parent killed with SIGKILL
    cannot remove them itself, and they hold what a check wrote (a copy of a workbook)."""
    if _swept == [os.getpid()]:
        return
    _swept[:] = [os.getpid()]
    for prefix in PID_PREFIXES:
        for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            _remove_if_orphaned(folder, folder.name[len(prefix):].split("-", 1)[0])


def _remove_if_orphaned(folder: Path, pid: str) -> None:
    if not pid.isdigit() or int(pid) == os.getpid():
        return
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        shutil.rmtree(folder, ignore_errors=True)
    except OSError:  # alive (another user's): not ours to remove
        pass


# --- warm children kept between checks -----------------------------------------------------------

#: How many idle children a process keeps warm for later checks (a fresh child spends about half
#: a second on its imports before it reads a byte; a warm one starts at once).
IDLE_MAX = 2
_idle: list[Sandbox] = []
_idle_lock = threading.Lock()
_idle_owner: list[int] = []  # the pid whose children these are (a forked copy starts empty)


def take(bounds: Bounds, warm: Job | None = None) -> Sandbox:
    """A child for `bounds`: a warm one an earlier check of this process gave back, or a new
    one (that runs `warm` first). Hand it back with `give_back` after a job that ended
    normally, or close it."""
    with _idle_lock:
        _own_pool()
        for box in _idle:
            if box.bounds == bounds:
                _idle.remove(box)
                return box
    return Sandbox(bounds, warm)


def _own_pool() -> None:
    """Make the pool of warm children this process's (under `_idle_lock`): the first time,
    its children are set to be ended at exit (with their folders); a pool inherited through
    fork holds another process's children and is emptied."""
    if _idle_owner != [os.getpid()]:
        if not _idle_owner:
            import multiprocessing.util  # noqa: F401  (its exit handler must run after ours)

            atexit.register(close_idle)
        _idle.clear()
        _idle_owner[:] = [os.getpid()]


def give_back(box: Sandbox) -> None:
    """Keep `box` warm for a later check (the oldest idle child goes past IDLE_MAX)."""
    if box.pid is None:
        box.close(kill=True)
        return
    with _idle_lock:
        _own_pool()
        _idle.append(box)
        surplus = _idle[:-IDLE_MAX] if len(_idle) > IDLE_MAX else []
        del _idle[:len(surplus)]
    for old in surplus:
        old.close(kill=True)


def close_idle() -> None:
    """End every warm child this process keeps (at exit: they ignore the SIGTERM
    multiprocessing's own exit handler would send them)."""
    with _idle_lock:
        boxes = list(_idle) if _idle_owner == [os.getpid()] else []
        _idle.clear()
    if not boxes:
        return
    # A Ctrl-C or SIGTERM now (the process is ending: at exit) must not interrupt the reaping
    # with a traceback; the children are killed either way.
    ignored = {s: signal.signal(s, signal.SIG_IGN) for s in STOP_SIGNALS} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        for box in boxes:
            box.close(kill=True)
    finally:
        for signum, handler in ignored.items():
            signal.signal(signum, handler)


def _last_line(tail: bytes) -> str:
    lines = [line for line in tail.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
