"""`intake serve` as a real process: a large check does not hold up another bureau, and a
stop (SIGTERM) leaves no worker process behind."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.web import keys as bureaus

from conftest import INTAKE

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.workbooks import write_workbook

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


@contextlib.contextmanager
def running(tmp_path: Path, *options: str, temp: Path | None = None) -> Iterator[
        tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    """`intake serve` on a free port of 127.0.0.1 with two bureaus and `options`, with TMPDIR
    `temp` (default tmp_path/tmp)."""
    out = tmp_path / "out"
    db = bureaus.connect(out / "intake.sqlite")
    keys = {"groot": bureaus.add(db, "groot"), "klein": bureaus.add(db, "klein")}
    db.close()
    port = free_port()
    # --max-seconds 300: these tests are about the server's processes; a large check at the
    # lowest priority on a loaded machine takes longer than the default 10 s.
    temp = temp or tmp_path / "tmp"  # its own TMPDIR: what it leaves there can be seen
    temp.mkdir(exist_ok=True)
    process = subprocess.Popen([INTAKE, "serve", "--inbox", str(tmp_path / "inbox"), "--out",
                                str(out), "--port", str(port), "--max-seconds", "300", *options],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "TMPDIR": str(temp)})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx2.get(base + "/healthz").text == "ok":
                break
        except httpx2.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        yield base, keys, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    """`intake serve` on a free port of 127.0.0.1 with two bureaus."""
    with running(tmp_path) as started:
        yield started


def session(base: str, key: str) -> tuple[httpx2.Client, str]:
    """A logged-in client and its CSRF token."""
    client = httpx2.Client(base_url=base, timeout=600, follow_redirects=True)
    token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
    page = client.post("/inloggen", data={"csrf": token, "sleutel": key}).text
    return client, CSRF.search(page).group(1)  # type: ignore[union-attr]


def post(client: httpx2.Client, csrf: str, path: Path) -> str:
    """Upload `path`; return the result page."""
    with path.open("rb") as handle:
        return client.post("/uploads", data={"csrf": csrf},
                           files={"werkmap": (path.name, handle)}).text


@pytest.mark.slow
def test_a_large_check_does_not_hold_up_another_bureau(
        server: tuple[str, dict[str, str], subprocess.Popen[bytes]], tmp_path: Path) -> None:
    """While a 50,000-employer workbook is being checked (by a worker that runs only when no
    other wants the core: SCHED_IDLE and nice 19), another bureau uploads a small one and gets
    its result, and the large one is answered too: with its result, or, where other processes
    kept every core busy for the whole time limit, with "took too long" (the idle priority
    did what it is for).

    Every core is kept busy by this test (a loop per core, at normal priority) until the small
    one is answered: the idle worker then gets next to no time, so the large check is still
    running by its priority, not by how slow it happens to be (it once took 2 s; now less,
    and the test found it done before it looked)."""
    base, keys, process = server
    large = write_workbook(tmp_path / "groot.xlsx", 50_000)
    small = fill(tmp_path / "klein.xlsx", VALID_WERKGEVERS, VALID_DGA)
    big_client, big_csrf = session(base, keys["groot"])
    small_client, small_csrf = session(base, keys["klein"])
    big_page: list[str] = []
    # Each loop ends with this process too, should it be killed before its `finally`.
    loop = "import os\nparent = os.getppid()\nwhile os.getppid() == parent: pass"
    busy = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(os.cpu_count() or 2)]
    try:
        thread = threading.Thread(
            target=lambda: big_page.append(post(big_client, big_csrf, large)))
        thread.start()
        _while_the_large_one_is_checked(process, thread, small_client, small_csrf, small)
    finally:
        for spinning in busy:
            spinning.kill()
            spinning.wait()
    thread.join(timeout=600)
    assert ("groot.xlsx: Deels goedgekeurd</h1>" in big_page[0]
            or "groot.xlsx: Duurde te lang</h1>" in big_page[0]), big_page[0][-2000:]


def _while_the_large_one_is_checked(process: subprocess.Popen[bytes], thread: threading.Thread,
                                    small_client: httpx2.Client, small_csrf: str,
                                    small: Path) -> None:
    """The two lanes' workers at their priorities, and the small upload answered, while the
    large check (`thread`) runs."""
    time.sleep(2)  # uploaded; its check has started
    assert thread.is_alive()
    policies: dict[int, tuple[int, int]] = {}
    for _ in range(300):  # the large lane's worker may still be starting on a busy machine
        policies = {}
        for pid in descendants(process.pid):
            with contextlib.suppress(OSError):
                policies[pid] = (os.sched_getscheduler(pid), os.getpriority(os.PRIO_PROCESS, pid))
        if (os.SCHED_IDLE, 19) in policies.values() or not thread.is_alive():
            break
        time.sleep(0.1)
    assert (os.SCHED_IDLE, 19) in policies.values(), policies  # the large lane's worker
    assert (os.SCHED_OTHER, 0) in policies.values(), policies  # the small lane's
    page = post(small_client, small_csrf, small)
    assert "klein.xlsx: Goedgekeurd</h1>" in page
    assert thread.is_alive(), "the large check ended before the small one: nothing was proven"


def _living(pids: set[int], seconds: float = 20) -> set[int]:
    """Which of `pids` still live (zombies do not count) after waiting up to `seconds`."""
    def alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"

    deadline = time.monotonic() + seconds
    while (living := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    return living


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_stopping_the_server_leaves_no_worker_behind(
        server: tuple[str, dict[str, str], subprocess.Popen[bytes]], tmp_path: Path,
        how: str) -> None:
    """SIGTERM stops the server (exit 0) and every worker process it started, and leaves
    nothing in TMPDIR; after SIGKILL (no chance to clean up) its checking children, started
    from its threads, see their parent gone and end themselves, and the next start removes
    their folders."""
    base, keys, process = server
    client, csrf = session(base, keys["klein"])
    assert "Goedgekeurd" in post(client, csrf, fill(tmp_path / "a.xlsx", VALID_WERKGEVERS,
                                                    VALID_DGA))
    workers = descendants(process.pid)
    assert len(workers) >= 2  # the warm workers of the small lane
    left = lambda: sorted(p.name for p in (tmp_path / "tmp").iterdir())  # noqa: E731
    assert left()  # each worker's folder
    if how == "SIGTERM":
        process.terminate()
        assert process.wait(timeout=60) == 0
        assert _living(workers) == set()
        assert left() == []
    else:
        process.kill()
        process.wait(timeout=30)
        assert _living(workers) == set()
        before = left()
        with running(tmp_path / "again", temp=tmp_path / "tmp"):
            pass
        assert not set(before) & set(left())


@pytest.mark.slow
def test_killing_the_batch_leaves_no_worker_behind(tmp_path: Path) -> None:
    """SIGKILL to `intake batch --jobs 2` while its children check files: none is left."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in range(4):
        write_workbook(inbox / f"groot-{n}.xlsx", 20_000, seed=n)
    process = subprocess.Popen([INTAKE, "batch", str(inbox), "--out", str(tmp_path / "out"),
                                "--settle", "0", "--jobs", "2", "--max-seconds", "120"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = descendants(process.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the batch started no checking children"
    finally:
        process.kill()
        process.wait(timeout=30)
    assert _living(workers) == set()


def test_doorsturen_clicked_four_times_at_once_places_the_file_once(
        server: tuple[str, dict[str, str], subprocess.Popen[bytes]], tmp_path: Path) -> None:
    """Four posts of "doorsturen" for one partly accepted upload at the same moment (a
    double-click, a retry): every one is answered with the upload's page, none with an
    error, and the inbox holds the workbook once."""
    base, keys, _ = server
    client, csrf = session(base, keys["klein"])
    sample = Path(__file__).resolve().parents[2] / "samples" / "voorbeeld-fouten.xlsx"
    with sample.open("rb") as handle:
        first = client.post("/uploads", data={"csrf": csrf},
                            files={"werkmap": (sample.name, handle)}, follow_redirects=False)
    location = first.headers["location"]
    page = client.get(location).text
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    start = threading.Barrier(4)
    answers: list[int] = []

    def click() -> None:
        start.wait()
        answers.append(client.post(location + "/doorsturen", data={"csrf": csrf}).status_code)

    clicks = [threading.Thread(target=click) for _ in range(4)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(60)
    assert answers == [200] * 4
    placed = [p for p in (tmp_path / "inbox").rglob("*") if p.is_file()]
    assert len(placed) == 1 and placed[0].parent.name == "klein", placed


def test_a_client_cannot_reset_the_login_limit_with_x_forwarded_for(
        server: tuple[str, dict[str, str], subprocess.Popen[bytes]]) -> None:
    """Ten wrong keys, each sent with another X-Forwarded-For: without a configured proxy the
    header is not believed, so the eleventh try, with the right key, is refused (429) too."""
    base, keys, _ = server
    client = httpx2.Client(base_url=base, timeout=60, follow_redirects=True)

    def attempt(key: str, n: int) -> int:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        return client.post("/inloggen", data={"csrf": token, "sleutel": key},
                           headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code

    assert [attempt("0.fout", n) for n in range(10)] == [401] * 10
    assert attempt(keys["klein"], 99) == 429


def test_wrong_logins_sent_at_once_are_counted_before_they_are_checked(
        server: tuple[str, dict[str, str], subprocess.Popen[bytes]]) -> None:
    """Twenty wrong keys from one address at the same moment: at most ten are checked (401),
    the others are refused (429) without a check, and then the right key is refused too."""
    base, keys, _ = server
    start = threading.Barrier(20)
    answers: list[int] = []

    def attempt() -> None:
        client = httpx2.Client(base_url=base, timeout=120)
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        start.wait()
        answers.append(client.post("/inloggen", data={"csrf": token,
                                                      "sleutel": "0.fout"}).status_code)

    tries = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in tries:
        thread.start()
    for thread in tries:
        thread.join(120)
    assert sorted(answers) == [401] * 10 + [429] * 10, answers
    client = httpx2.Client(base_url=base, timeout=60)
    token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
    assert client.post("/inloggen", data={"csrf": token,
                                          "sleutel": keys["klein"]}).status_code == 429


def test_logins_and_uploads_go_on_while_another_process_holds_the_ledgers_write_lock(
        server: tuple[str, dict[str, str], subprocess.Popen[bytes]], tmp_path: Path) -> None:
    """Another process holds the ledger's write lock (as the nightly batch does while it
    commits): a login (its session written), a page and an upload (recorded) are answered
    meanwhile, each in seconds: the web's own writes are in a file of their own."""
    import sqlite3

    base, keys, _ = server
    blocker = sqlite3.connect(tmp_path / "out" / "intake.sqlite", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        client, csrf = session(base, keys["groot"])
        assert client.get("/uploads", timeout=10).status_code == 200
        page = post(client, csrf, fill(tmp_path / "a.xlsx", VALID_WERKGEVERS, VALID_DGA))
        assert "Goedgekeurd" in page
        assert time.monotonic() - start < 20  # not the 30 s a write waits for the lock
        assert blocker.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert (tmp_path / "out" / "web" / "web.sqlite").is_file()


def test_uploads_an_earlier_version_kept_in_the_ledger_are_taken_over(tmp_path: Path) -> None:
    """Uploads recorded in the ledger (where an earlier version kept them) are in the web
    file once it is made, and shown again to their bureau."""
    import sqlite3

    from intake.web.store import SCHEMA, Store

    ledger = tmp_path / "intake.sqlite"
    bureaus.connect(ledger).close()
    old = sqlite3.connect(ledger)
    old.executescript(SCHEMA)
    old.execute("INSERT INTO web_uploads (id, bureau, original_name, suffix, sha256, size, "
                "uploaded_at, status) VALUES ('u1', 'noord', 'a.xlsx', '.xlsx', 'ab', 10, "
                "'2026-12-01T10:00:00+00:00', 'accepted')")
    old.commit()
    old.close()
    store = Store(ledger, tmp_path / "web" / "web.sqlite")
    assert [(u.id, u.original_name) for u in store.uploads("noord")] == [("u1", "a.xlsx")]
    store.close()


# --- slow and greedy clients ---------------------------------------------------------------


def _connect(base: str, source: str = "127.0.0.1") -> socket.socket:
    """A raw connection to the server at `base` from the address `source`."""
    host, port = base.removeprefix("http://").split(":")
    client = socket.socket()
    client.bind((source, 0))
    client.connect((host, int(port)))
    return client


def _answer(client: socket.socket, seconds: float) -> tuple[bytes, float]:
    """What the server sends before closing (or within `seconds`), and when it closed."""
    client.settimeout(seconds)
    start, data = time.monotonic(), b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := client.recv(4096):
            data += chunk
    return data, time.monotonic() - start


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[str]:
    """A server with a 1 s header deadline and at most 5 connections from one address."""
    with running(tmp_path, "--header-seconds", "1", "--max-connections-per-address", "5") as s:
        yield s[0]


def test_a_request_whose_headers_never_end_is_answered_408_and_closed(strict: str) -> None:
    """Half a request (or nothing at all) holds a connection only until the header deadline:
    the server answers 408 and closes it."""
    half = _connect(strict)
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    silent = _connect(strict)
    for client in (half, silent):
        data, seconds = _answer(client, 30)
        assert data.startswith(b"HTTP/1.1 408 ") and "langzaam" in data.decode()
        assert seconds < 10
        client.close()


def test_a_body_trickling_in_is_cut_off(strict: str) -> None:
    """A login body sent at a byte every 0.3 s (60 s for 200 bytes) is cut off at its deadline
    (three header deadlines plus its size's time at 10 KB/s), not waited for."""
    client = _connect(strict)
    client.sendall(b"POST /inloggen HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   b"application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n")
    start = time.monotonic()
    client.settimeout(0.3)
    closed = None
    for _ in range(200):
        try:
            client.sendall(b"a")
            if client.recv(4096) == b"":
                closed = time.monotonic() - start
                break
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            closed = time.monotonic() - start
            break
    assert closed is not None and closed < 15, closed
    client.close()


def test_connections_over_the_limit_of_one_address_are_refused_others_are_served(
        strict: str) -> None:
    """Eight idle connections from one address with a limit of five: three are answered 503 at
    once, while another address's request is answered; once the deadline has cut off the idle
    ones, the first address is served again."""
    held = [_connect(strict) for _ in range(8)]
    time.sleep(0.3)
    refused = 0
    for client in held:
        client.settimeout(0.2)
        with contextlib.suppress(TimeoutError):
            refused += client.recv(4096).startswith(b"HTTP/1.1 503 ")
    assert refused == 3
    other = _connect(strict, "127.0.0.2")
    other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data, _ = _answer(other, 10)
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"ok")
    for client in held:
        _answer(client, 30)  # each ends with the header deadline
        client.close()
    assert httpx2.get(strict + "/healthz").text == "ok"


def test_the_connection_limit_stays_below_the_open_file_limit() -> None:
    """With a hard limit of 256 open files, the server's soft limit is raised to it and at most
    256 - 128 connections are allowed (the rest is kept for workers, ledger and uploads)."""
    script = ("import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (64, 256)); "
              "from intake.web.connections import ConnectionLimits, raise_file_limit; "
              "limits = raise_file_limit(ConnectionLimits(max_connections=512)); "
              "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], limits.max_connections, "
              "limits.per_address)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["256", "128", "64"]
