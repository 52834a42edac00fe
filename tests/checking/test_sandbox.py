"""The child process's limits are the operating system's: whatever a job does (allocate without
end, spin in native code, abort, write without end, die), only the child ends, with a named
reason, and the next job gets a fresh child."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from intake.checking.sandbox import (
    Bounds,
    Channel,
    ChildDied,
    Sandbox,
    keep_until_answered,
    retire,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and fork: Linux")


def _allocate(channel: Channel, mb: int) -> int:
    block = bytearray(mb << 20)
    return len(block)


def _spin_in_native_code(channel: Channel) -> None:
    """A regular expression that backtracks for ever, inside C code that holds the interpreter
    (no signal handler, no thread of this process runs meanwhile)."""
    import re

    re.match(r"(a*)*b", "a" * 64)


def _abort(channel: Channel) -> None:
    os.abort()


def _rust_out_of_memory(channel: Channel) -> None:
    """What calamine does when an allocation fails: a line on stderr, then abort."""
    os.write(2, b"memory allocation of 17179869184 bytes failed\n")
    os.abort()


def _write(channel: Channel, path: str, mb: int) -> None:
    with open(path, "wb") as handle:
        for _ in range(mb):
            handle.write(b"x" * (1 << 20))


def _echo(channel: Channel, value: Any) -> Any:
    return value


def _ask(channel: Channel, question: str) -> str:
    return f"{question} -> {channel.ask(question)}"


def _pid(channel: Channel) -> int:
    return os.getpid()


def _risky(channel: Channel, risk: str) -> tuple[str, int]:
    """Dies the way `risk` says (abort, memory); without a risk, answers with its pid."""
    if risk == "abort":
        os.abort()
    if risk == "memory":
        bytearray(4 << 30)
    if risk == "ask":
        channel.ask("decided?")
        os.abort()
    return risk, os.getpid()


def _panic_near_the_limit(channel: Channel, workbook: str, headroom_mb: int) -> str:
    """calamine panics on `workbook` with `headroom_mb` of address space left."""
    import resource

    import python_calamine

    retire()  # the limit below is this job's
    with open("/proc/self/status", encoding="ascii") as status:
        size = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (size + (headroom_mb << 20),
                                            resource.getrlimit(resource.RLIMIT_AS)[1]))
    try:
        book = python_calamine.CalamineWorkbook.from_path(workbook)
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    except BaseException as exc:  # pyo3's PanicException is a BaseException
        return type(exc).__name__
    return "read"


def _retiring(channel: Channel) -> int:
    retire()
    return os.getpid()


@pytest.fixture
def box() -> Any:
    with Sandbox(Bounds(memory_mb=512, seconds=5, output_mb=8)) as sandbox:
        yield sandbox


def test_a_job_runs_in_another_process_and_the_child_stays_warm(box: Sandbox) -> None:
    """Two jobs: the same child, not this process."""
    first = box.run(_pid)
    assert first != os.getpid()
    assert box.run(_pid) == first
    assert box.run(_echo, {"a": [1, 2]}) == {"a": [1, 2]}


def test_a_child_killed_while_idle_costs_the_next_job_nothing(box: Sandbox) -> None:
    """SIGKILL to the idle child (an operator, the kernel's out-of-memory killer): the next
    job, handed over before or after the kernel has ended it, runs in a fresh child."""
    for _ in range(5):
        pid = box.run(_pid)
        os.kill(pid, signal.SIGKILL)
        assert box.run(_echo, "volgende") == "volgende"
        assert box.pid != pid


@pytest.mark.parametrize(("job", "args", "reason"), [
    (_allocate, (2048,), "memory"),
    (_rust_out_of_memory, (), "memory"),
    (_abort, (), "reader-failed"),
    pytest.param(_spin_in_native_code, (), "time-limit", marks=pytest.mark.slow),
], ids=["python-memory", "native-abort-on-memory", "abort", "native-loop"])
def test_a_job_past_a_limit_ends_its_child_with_a_named_reason(
        box: Sandbox, job: Any, args: tuple[Any, ...], reason: str) -> None:
    """Memory past the address-space limit, an abort, a loop in native code: ChildDied with
    the reason; the next job gets a fresh child and runs."""
    before = box.run(_pid)
    with pytest.raises(ChildDied) as died:
        box.run(job, *args)
    assert died.value.reason == reason
    after = box.run(_pid)
    assert after != before


@pytest.mark.parametrize("headroom_mb", [16, 48])
def test_a_rust_panic_near_the_memory_limit_does_not_hang_the_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headroom_mb: int) -> None:
    """With RUST_BACKTRACE=1 in the parent's environment (as on the machine this was found
    on), a calamine panic with little address space left hung the child until its wall time:
    the panic hook held Rust's backtrace lock while resolving symbols, that allocation failed,
    and the handler of a failed allocation waited for the same lock. The child prints no Rust
    backtrace: the panic reaches Python at once."""
    import hostile  # here: the module is also imported by name in a bare child (no tests/)

    workbook = hostile.reader_panic(tmp_path)
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    # A hang is ended by the child's time limit (ChildDied), so this fails on a hang
    # without timing anything here.
    with Sandbox(Bounds(memory_mb=0, seconds=30, output_mb=0)) as sandbox:
        assert sandbox.run(_panic_near_the_limit, str(workbook), headroom_mb) == \
            "PanicException"


def test_output_past_its_limit_is_refused_by_the_kernel(box: Sandbox, tmp_path: Path) -> None:
    """A write past the output limit fails (EFBIG): the job ends with output-too-big, the
    file stops at the limit."""
    target = tmp_path / "groot.bin"
    with pytest.raises(ChildDied) as died:
        box.run(_write, str(target), 64)
    assert died.value.reason == "output-too-big"
    assert target.stat().st_size == 8 << 20


def test_the_parents_answer_does_not_count_against_the_jobs_time(tmp_path: Path) -> None:
    """A job may ask its parent; the time the parent takes to answer (here longer than the
    job's limit) is not the job's."""
    with Sandbox(Bounds(memory_mb=0, seconds=1, output_mb=0)) as sandbox:
        def answer(question: str) -> str:
            time.sleep(1.5)
            return question.upper()

        assert sandbox.run(_ask, "vraag", answer=answer) == "vraag -> VRAAG"


_PARENT = """
import sys, time
from intake.checking.sandbox import Bounds, Sandbox
from tests.checking.test_sandbox import _spin_in_native_code
box = Sandbox(Bounds(memory_mb=1024, seconds=600, output_mb=0))
box.submit(_spin_in_native_code)
print(box.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_child_does_not_outlive_its_parent_killed_with_sigkill(tmp_path: Path) -> None:
    """SIGKILL to a parent whose child spins in native code: the child is gone too."""
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], cwd=root, text=True,
                              stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    os.kill(child, 0)  # alive while its parent is
    parent.kill()
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the child outlived its parent")


def _open_files(channel: Channel) -> list[str]:
    """What each of the child's open descriptors points to."""
    names = []
    for fd in sorted(os.listdir("/proc/self/fd"), key=int):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            names.append(os.readlink(f"/proc/self/fd/{fd}"))
    return names


_LOCKED_PARENT = """
import fcntl, json, os, sys
from intake.checking.sandbox import Bounds, Sandbox, _start_method
handle = open(sys.argv[1], "w")
fcntl.flock(handle, fcntl.LOCK_EX)  # as the batch holds its lock
with Sandbox(Bounds(memory_mb=512, seconds=5, output_mb=8)) as box:
    from test_sandbox import _open_files
    print(json.dumps([_start_method(), box.run(_open_files)]))
"""


def test_a_forked_child_holds_none_of_its_parents_files(tmp_path: Path) -> None:
    """A child forked from a process that holds a file (the batch's lock, its ledger) has
    only its standard streams and its pipe: the lock dies with the batch, not with its child."""
    import json

    lock = tmp_path / "lock"
    root = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, "-c", _LOCKED_PARENT, str(lock)], cwd=root,
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    method, files = json.loads(done.stdout)
    assert method == "fork"
    assert str(lock) not in files
    kept = [f for f in files[3:] if f != os.devnull]
    assert len(kept) == 1 and kept[0].startswith("socket:"), files


def test_a_check_goes_to_a_warm_child_kept_between_checks(tmp_path: Path) -> None:
    """Two checks without a sandbox of their own: the second one's child is the first's (no
    new interpreter), and a relative output folder means the parent's current folder, also
    after the parent moved."""
    from intake.checking import sandbox
    from intake.checking.check import Settings, bounds, check
    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
    from intake.validation.validate import Options

    settings = Settings(Options())
    book = fill(tmp_path / "a.xlsx", VALID_WERKGEVERS, VALID_DGA)
    sandbox.close_idle()
    first = check(book, tmp_path / "o1", settings)
    (kept,) = sandbox._idle
    child = kept.pid
    here = Path.cwd()
    (tmp_path / "elders").mkdir()
    os.chdir(tmp_path / "elders")
    try:
        second = check(book, Path("o2"), settings)
    finally:
        os.chdir(here)
    assert first.valid and second.valid
    (again,) = sandbox._idle
    assert again.pid == child and again.bounds == bounds(settings.limits)
    assert (tmp_path / "elders" / "o2" / "report.json").is_file()


_INTERRUPTED_AT_EXIT = """
import os, signal, sys
from pathlib import Path
from intake.checking import sandbox
from intake.checking.check import Settings, check
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.validation.validate import Options

folder = Path(sys.argv[1])
checked = check(fill(folder / "a.xlsx", VALID_WERKGEVERS, VALID_DGA), folder / "o",
                Settings(Options()))
assert checked.valid and sandbox._idle  # a warm child is kept until this process ends
real_close = sandbox.Sandbox.close

def close(self, kill=False):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C just as the warm children are ended
    real_close(self, kill)

sandbox.Sandbox.close = close
print(sandbox._idle[0].pid, flush=True)
"""


def test_a_ctrl_c_while_the_warm_children_end_at_exit_is_no_traceback(tmp_path: Path) -> None:
    """A process that kept a warm child gets SIGINT while it ends that child at exit (a Ctrl-C
    to the group as a command finishes): no traceback, its exit code, and the child is gone."""
    done = subprocess.run([sys.executable, "-c", _INTERRUPTED_AT_EXIT, str(tmp_path)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    child = int(done.stdout)
    for _ in range(50):
        if not Path(f"/proc/{child}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists()


_STARTS_A_CHILD = """
from intake.checking.sandbox import Bounds, Sandbox
with Sandbox(Bounds(memory_mb=512, seconds=5, output_mb=8)) as box:
    box.start()
"""


def test_work_folders_of_children_whose_parent_is_gone_are_removed(tmp_path: Path) -> None:
    """A parent killed with SIGKILL leaves its child's work folder; the next process that
    starts a child removes it, and leaves the folder of a parent that still lives."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer lives
    gone = tmp_path / f"intake-check-{dead.pid}-abc"
    copy = tmp_path / f"intake-input-{dead.pid}-ghi"
    living = tmp_path / f"intake-check-{os.getpid()}-def"
    for folder in (gone, copy, living):
        folder.mkdir()
        (folder / "stderr").write_bytes(b"")
    subprocess.run([sys.executable, "-c", _STARTS_A_CHILD], check=True, timeout=60,
                   env={**os.environ, "TMPDIR": str(tmp_path)})
    assert not gone.exists() and not copy.exists() and living.exists()
    assert list(tmp_path.iterdir()) == [living]  # the new child's own folder went with it


@pytest.mark.parametrize("risk", ["abort", "memory"])
def test_a_job_that_dies_taking_a_risk_runs_once_more_without_it(box: Sandbox,
                                                                risk: str) -> None:
    """A job submitted with `again` arguments whose child aborts or runs out of memory runs a
    second time, in a fresh child, with those arguments; only once."""
    box.submit(_risky, risk, again=("none",))
    answer, pid = box.result()
    assert answer == "none" and pid != os.getpid() and box.second_tries == 1
    box.submit(_risky, risk, again=("abort",))  # the second try dies too: that is the end
    with pytest.raises(ChildDied):
        box.result()
    assert box.second_tries == 2


def test_a_job_that_asked_its_question_is_not_run_again(box: Sandbox) -> None:
    """Once the job has asked (the door decided something on its answer), a death is the
    file's outcome: the job is not run a second time."""
    box.submit(_risky, "ask", again=("none",))
    with pytest.raises(ChildDied):
        box.result(answer=lambda question: "ja")
    assert box.second_tries == 0


def test_a_retiring_child_answers_and_then_ends(box: Sandbox) -> None:
    """A job that calls retire() gets its answer to the parent, its child ends, and the next
    job runs in a fresh child."""
    first = box.run(_retiring)
    assert box.pid is None  # reaped
    assert box.run(_pid) != first


class _Noted:
    """Writes `path` when it is let go of."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __del__(self) -> None:
        Path(self.path).write_text("freed", encoding="ascii")


def _keeps(channel: Channel, path: str) -> bool:
    keep_until_answered(_Noted(path))
    return Path(path).exists()


def _exists(channel: Channel, path: str) -> bool:
    return Path(path).exists()


def test_what_a_job_keeps_until_its_answer_is_let_go_of_before_the_next_job(
        box: Sandbox, tmp_path: Path) -> None:
    """A check's result is freed after its answer (the parent does not wait for that), and
    freed all the same: a warm child does not gather every result it made."""
    noted = str(tmp_path / "freed")
    assert box.run(_keeps, noted) is False  # kept while the job ran
    assert box.run(_exists, noted) is True


def _check_imports_hypothesis(channel: Channel, workbook: str) -> bool:
    from intake.validation.validate import validate_workbook

    validate_workbook(Path(workbook))
    return sys.modules.get("hypothesis") is not None  # None: the entry that hides it


_FRESH_PARENT = """
import sys
from intake.checking.sandbox import Bounds, Sandbox
from tests.checking.test_sandbox import _check_imports_hypothesis
with Sandbox(Bounds(memory_mb=0, seconds=60, output_mb=8)) as box:
    print(box.run(_check_imports_hypothesis, sys.argv[1]))
import hypothesis  # this process can import it all the same
"""


def test_a_checking_child_does_not_import_hypothesis(tmp_path: Path) -> None:
    """pandera's backends import hypothesis where it is installed (as here: a test
    dependency) at their first validation, for data synthesis no check uses: 0.3 s of every
    fresh child. A check in a child of a process that has not imported it imports none of it;
    its parent still can."""
    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

    workbook = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    done = subprocess.run([sys.executable, "-c", _FRESH_PARENT, str(workbook)],
                          capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr[-2000:]


def _panics(channel: Channel, workbook: str, message: str, guarded: bool) -> None:
    """Raises pyo3's PanicException (its class taken from a real calamine panic) with
    `message`, as polars or calamine do; `guarded`: inside the reader's guard of calamine."""
    import python_calamine

    from intake.validation.process import is_panic
    from intake.validation.reader import UnreadableWorkbook, calamine_guard

    try:
        book = python_calamine.CalamineWorkbook.from_path(workbook)
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    except BaseException as exc:
        assert is_panic(exc), exc
        panic = type(exc)(message)
    else:
        raise AssertionError("calamine read the workbook")
    if not guarded:
        raise panic
    try:
        with calamine_guard(Path(workbook)):
            raise panic
    except UnreadableWorkbook as exc:
        raise RuntimeError(exc.reason) from None


@pytest.mark.parametrize("guarded", [False, True], ids=["polars", "calamine"])
@pytest.mark.parametrize(("memory_mb", "message", "reason"), [
    (1024, "PyObject pointer is null", "memory"),  # the limit refused an object
    (0, "PyObject pointer is null", "failed"),  # no limit: no lack of memory to name
    (1024, "index out of bounds", "failed"),  # a bug of the reader, not memory
])
def test_a_panic_where_the_limit_refused_memory_is_told_as_memory(
        tmp_path: Path, memory_mb: int, message: str, reason: str, guarded: bool) -> None:
    """polars or calamine panic ("PyObject pointer is null") where the address-space limit
    refused the interpreter an object: the check needed more memory, which the child says
    (polars' was told as a fault of the program, calamine's as a reader that failed). A panic
    without a limit, or of another kind, stays what it was."""
    import hostile

    workbook = hostile.reader_panic(tmp_path)
    with Sandbox(Bounds(memory_mb=memory_mb, seconds=30, output_mb=0)) as sandbox, \
            pytest.raises(ChildDied) as died:
        sandbox.run(_panics, str(workbook), message, guarded)
    assert died.value.reason == reason, died.value
    if guarded and reason == "failed":
        assert "reader-failed" in died.value.detail


def _collector_on(channel: Channel) -> bool:
    import gc

    return gc.isenabled()


def test_the_collector_is_off_while_a_job_runs(box: Sandbox) -> None:
    """A check's objects are not walked by the cycle collector before its answer is sent."""
    assert box.run(_collector_on) is False
    assert box.run(_collector_on) is False  # and for the next job of the same child
