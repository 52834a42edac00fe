"""Settings for a process that validates workbooks (the command line, batch and web workers)."""

from __future__ import annotations

import contextlib
import sys

#: glibc's mallopt parameter for the number of malloc arenas.
_M_ARENA_MAX = -8


def few_malloc_arenas(arenas: int = 2) -> None:
    """Keep glibc to `arenas` malloc arenas (Linux; elsewhere nothing happens).

    glibc gives each new thread an arena of its own that reserves 64 MB of address space. The
    validator's polars runs a dozen threads, so one small workbook reserved 1.2 GB of address
    space for 170 MB of memory in use, and a process under an address-space limit (the web
    workers' --max-memory-mb, an operator's `ulimit -v`) died on a 10-employer workbook. With
    two arenas the reservation stays close to what is used. Call before any thread starts.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas)
