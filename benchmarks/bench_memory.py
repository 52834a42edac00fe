"""Peak memory of `intake validate` on the most expensive workbooks of at most 20 MB.

    python benchmarks/bench_memory.py

Each workbook is built in code at the edge of the default limits (just under --max-cells, or
just over it, or as large as 20 MB allows), then validated in a fresh process; the table gives
its size, the exit code and the peak resident memory of that process (ru_maxrss), against the
same figure for the 6-employer sample validated in the same run. Results go to
benchmarks/results/memory.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import binformats as bf

from intake.fields import WERKGEVERS
from intake.samples import VALID_DGA, VALID_WERKGEVERS, fill

HERE = Path(__file__).resolve().parent
INTAKE = str(Path(sys.executable).with_name("intake"))
CELLS = 2_900_000  # just under the default --max-cells (3,000,000)
HEADER = [f.label for f in WERKGEVERS.fields]


def _xlsx(path: Path, rows: int, columns: int) -> Path:
    """A sheet of distinct shared strings, rows x columns, and the employers' header."""
    head = "".join(f'<c r="{bf_col(c)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                   for c, h in enumerate(HEADER))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{office}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0"?><workbook {ns} xmlns:r="{office}"><sheets><sheet '
            'name="Werkgevers" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{office}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{office}/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<sst {ns} count="{rows * columns}" uniqueCount="{rows * columns}">'
                       .encode())
            for n in range(rows * columns):
                part.write(f"<si><t>w{n * 7919 % 10**9:09d}</t></si>".encode())
            part.write(b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<worksheet {ns}><sheetData><row r="1">{head}</row>'.encode())
            for r in range(rows):
                cells = "".join(f'<c r="{bf_col(c)}{r + 2}" t="s"><v>{r * columns + c}</v></c>'
                                for c in range(columns))
                part.write(f'<row r="{r + 2}">{cells}</row>'.encode())
            part.write(b"</sheetData></worksheet>")
    return path


def bf_col(index: int) -> str:
    from intake.cells import column_letter

    return column_letter(index)


def _ods(path: Path, rows: int, columns: int) -> Path:
    header = "<table:table-row>" + "".join(bf.ods_cell(h) for h in HEADER) + \
        "</table:table-row>"
    body = (f'<table:table-row table:number-rows-repeated="{rows}">'
            f"{bf.ods_cell('een tekst van dertig tekens...', columns)}</table:table-row>")
    return bf.write_ods_xml(path, {"Werkgevers": header + body})


def _xlsb(path: Path, rows: int, columns: int) -> Path:
    cells = {(0, c): h for c, h in enumerate(HEADER)}
    cells.update({(r, c): float(r) for r in range(1, rows + 1) for c in range(columns)})
    return bf.write_xlsb(path, {"Werkgevers": cells})


def _xls(path: Path, rows: int, columns: int) -> Path:
    cells = {(0, c): h for c, h in enumerate(HEADER)}
    cells.update({(r, c): float(r) for r in range(1, rows + 1) for c in range(columns)})
    return bf.write_xls(path, {"Werkgevers": cells})


def _corner(path: Path, rows: int, columns: int) -> Path:
    fill(path, VALID_WERKGEVERS, VALID_DGA)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


CASES: list[tuple[str, str, Callable[[Path, int, int], Path], int, int]] = [
    ("sample, 6 employers (baseline)", "xlsx", lambda p, r, c: fill(
        p, VALID_WERKGEVERS, VALID_DGA), 0, 0),
    ("xlsx, 2.9 M distinct shared strings", "xlsx", _xlsx, 290_000, 10),
    ("xlsx, values at A1 and XFD1048576", "xlsx", _corner, 0, 0),
    ("ods, 2.9 M repeated strings", "ods", _ods, 290_000, 10),
    ("ods, 6 M repeated strings (over the limit)", "ods", _ods, 600_000, 10),
    ("xlsb, 2.9 M numbers", "xlsb", _xlsb, 290_000, 10),
    ("xls, 1.1 M numbers (20 MB)", "xls", _xls, 65_000, 17),
]


def _measure(path: Path, out: Path) -> tuple[int, float, float]:
    began = time.monotonic()
    proc = subprocess.Popen([INTAKE, "validate", str(path), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, time.monotonic() - began


def main() -> None:
    lines = ["| workbook | size on disk | exit | peak memory | x baseline | seconds |",
             "|---|---|---|---|---|---|"]
    baseline = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as work:
        for n, (label, suffix, build, rows, columns) in enumerate(CASES):
            path = build(Path(work) / f"case{n}.{suffix}", rows, columns)
            code, peak, seconds = _measure(path, Path(work) / f"out{n}")
            baseline = baseline or peak
            size = path.stat().st_size / (1 << 20)
            lines.append(f"| {label} | {size:.1f} MB | {code} | {peak:.0f} MB | "
                         f"{peak / baseline:.1f}x | {seconds:.1f} |")
            print(lines[-1], flush=True)
    text = ("# Peak memory of `intake validate` (default limits)\n\n"
            "`python benchmarks/bench_memory.py`; peak resident memory (ru_maxrss) of the "
            "validating process, each in a fresh process, against the 6-employer sample in "
            "the same run.\n\n" + "\n".join(lines) + "\n")
    (HERE / "results" / "memory.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
