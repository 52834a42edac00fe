"""Settings for a process that validates workbooks (the command line, batch and web workers)."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator

#: glibc's mallopt parameter for the number of malloc arenas.
_M_ARENA_MAX = -8


def few_malloc_arenas(arenas: int = 2, *, limited: bool | None = None) -> None:
    """Keep glibc to `arenas` malloc arenas where the address space is limited (Linux;
    elsewhere nothing happens).

    glibc gives each new thread an arena of its own that reserves 64 MB of address space. The
    validator's polars runs a dozen threads, so one small workbook reserved 1.2 GB of address
    space for 170 MB of memory in use, and a process under an address-space limit (the web
    workers' --max-memory-mb, an operator's `ulimit -v`) died on a 10-employer workbook. With
    two arenas the reservation stays close to what is used. Without a limit the reservation
    costs nothing and the cap does: polars' threads then wait for each other's arena, which
    made `intake validate` on 100,000 employers 1.2 s (20%) slower. So `limited` is whether
    the process runs, or is about to run, under a limit; by default, whether RLIMIT_AS is set.
    Call before any thread starts.
    """
    if not sys.platform.startswith("linux"):
        return
    if limited is None:
        import resource

        limited = resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY
    if not limited:
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas)


def is_panic(exc: BaseException) -> bool:
    """True for pyo3's PanicException: a Rust panic inside calamine or polars. It is a
    BaseException (so no `except Exception` catches it), and its class cannot be imported."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


#: What pyo3 panics with where a call into the interpreter returned no object: under an
#: address-space limit, an allocation the limit refused (calamine making the cells' values,
#: polars a list).
_NO_OBJECT = "PyObject pointer is null"


def short_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is a Rust panic that stands for a lack of memory: one that says the
    interpreter made no object, in a process whose address space is limited (where the limit
    refused an allocation, the check is told it needed more memory, not that the reader
    failed). The limit is the operating system's; this only names what it did."""
    if not is_panic(exc) or _NO_OBJECT not in str(exc):
        return False
    try:
        import resource
    except ImportError:
        return False
    return resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector held off for one validation, then back as it was.

    Reading a workbook makes millions of small containers (a tuple per cell reference in the
    package inspection, a list per row from the reader) that live until the validation ends
    and form no cycles. Each pass of the collector walks every tracked object, including the
    hundreds of thousands that importing polars and pandera leaves behind: on a
    100,000-employer workbook the collector took 1.3 of the inspection's 2.7 s (measured with
    `gc.disable()`). The work is bounded by the limits, and the garbage it leaves is freed by
    reference counting or by the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
