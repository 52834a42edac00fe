"""The clean delivery for a.s.r. and Keylane: werkgevers.csv and dga.csv of accepted rows only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from intake.outputs.files import atomic_write_text
from intake.validation.sheetdata import SheetData
from intake.validation.validate import Result

CsvDialect = Literal["standard", "excel-nl"]


@dataclass(frozen=True)
class _Format:
    delimiter: str
    encoding: str


#: standard: UTF-8, comma, RFC 4180 quoting (CRLF line ends) for machines.
#: excel-nl: semicolon and a UTF-8 BOM, which Excel in the Dutch locale opens correctly.
FORMATS: dict[str, _Format] = {
    "standard": _Format(delimiter=",", encoding="utf-8"),
    "excel-nl": _Format(delimiter=";", encoding="utf-8-sig"),
}


def accepted_rows(data: SheetData) -> list[dict[str, str | int]]:
    """The accepted rows of `data` as CSV records: normalised values, then `bron_rij`."""
    fields = data.spec.csv_columns[:-1]
    columns = [data.values.get(name) or [None] * len(data) for name in fields]
    return [{**{name: column[i] or "" for name, column in zip(fields, columns, strict=True)},
             "bron_rij": data.rows[i]} for i in data.accepted_positions()]


def csv_lines(columns: Sequence[str], records: Iterable[Sequence[object]],
              delimiter: str = ",") -> str:
    """The one CSV writer: the header `columns`, then each record, RFC 4180 quoting, CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(records)
    return buffer.getvalue()


def rows_csv(columns: Sequence[str], rows: Iterable[Mapping[str, object]],
             fmt: _Format) -> str:
    """CSV text of records keyed by column (the batch's combined delivery)."""
    return csv_lines(columns, ([row.get(c, "") for c in columns] for row in rows),
                     fmt.delimiter)


def csv_text(data: SheetData, delimiter: str = ",") -> str:
    """The CSV of the accepted rows of `data`: header, then one line per row, with `bron_rij`."""
    positions = data.accepted_positions()
    columns = [[column[i] or "" for i in positions] if (column := data.values.get(name))
               else [""] * len(positions) for name in data.spec.csv_columns[:-1]]
    return csv_lines(data.spec.csv_columns,
                     zip(*columns, [data.rows[i] for i in positions], strict=True), delimiter)


def write_csvs(result: Result, out_dir: Path, dialect: CsvDialect = "standard",
               prefixes: Sequence[str] | None = None) -> list[Path]:
    """Write werkgevers.csv and dga.csv (accepted rows only) into `out_dir`, and the
    datapackage.json that describes them (dialect and contract `prefixes` in force, by default
    the default ones); return the paths."""
    from intake.definition.kinds import DEFAULT_CONTRACT_PREFIXES
    from intake.outputs.contract import write_datapackage

    fmt = FORMATS[dialect]
    paths = []
    for data in (result.werkgevers, result.dga):
        path = out_dir / f"{data.spec.csv_name}.csv"
        atomic_write_text(path, csv_text(data, fmt.delimiter), encoding=fmt.encoding)
        paths.append(path)
    paths.append(write_datapackage(out_dir, dialect, prefixes or DEFAULT_CONTRACT_PREFIXES))
    return paths
