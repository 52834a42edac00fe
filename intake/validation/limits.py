"""What an untrusted workbook may cost: the limits every door holds it to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What an untrusted file may cost; every limit is an option of `intake validate`."""

    #: Uncompressed size of all parts together (of the file itself for .xls).
    max_uncompressed_mb: int = 256
    #: Entries in the zip.
    max_entries: int = 10_000
    #: Sheets a workbook lists (a registration needs three; thousands of sheet entries, or
    #: thousands of look-alikes of one sheet, only cost time).
    max_sheets: int = 1_000
    #: Compression ratio of one part (only for parts over 1 MiB).
    max_ratio: int = 200
    #: Data rows read per sheet; more is an error finding and the rest is not read.
    max_rows: int = 250_000
    #: Cells (rows x columns of the used range) per sheet; for .ods and .xls, whose sheets are
    #: all built when the file is opened, of all sheets together. At this many cells reading
    #: and validating stay under 1 GB (benchmarks/results/memory.md); 100,000 employers are
    #: 900,000 cells.
    max_cells: int = 1_000_000
    #: Seconds one workbook may take, from the start of its reading to its last output. The
    #: command line, the batch and the web intake kill the child process that checks it when
    #: the time is up; the library alone checks between steps.
    max_seconds: float = 10.0
    #: Address space of the child process that checks a workbook, in MB (0: none).
    max_memory_mb: int = 1024
    #: Size of any one output file of the child process, in MB (0: none).
    max_output_mb: int = 256
    #: Inspect the package before the parser sees it (`inspect`): it names the sheet and the
    #: range that are too large, and refuses a bomb before any parsing. The child process's
    #: limits hold without it; False only to prove that.
    inspect: bool = True
