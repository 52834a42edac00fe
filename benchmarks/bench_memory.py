"""Peak memory of reading the most expensive workbooks of at most 20 MB, and of validating them.

    python benchmarks/bench_memory.py

Each workbook is built in code at the edge of the default limits (just under --max-cells, or
just over it, or as large as 20 MB allows). In a fresh process each, `read_workbook` (package
inspection, calamine, the tables: what this project bounds before calamine allocates) and then
`intake validate` (rules, reports, feedback) run; the table gives the size, the outcome and the
peak resident memory (ru_maxrss) of both, against the 6-employer sample in the same run.
Results go to benchmarks/results/memory.md.
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

from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

HERE = Path(__file__).resolve().parent
#: --max-seconds of the validate step (exit 2 when it is reached).
LIMIT = 120
INTAKE = str(Path(sys.executable).with_name("intake"))
#: Headers no field matches: the sheet is read whole (the cost measured here) and then found to
#: hold no table, so validating it costs nothing more.
HEADER = [f"kolom {n}" for n in range(10)]


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
    from intake.definition.cells import column_letter

    return column_letter(index)


def _ods(path: Path, rows: int, columns: int) -> Path:
    header = "<table:table-row>" + "".join(bf.ods_cell(h) for h in HEADER) + \
        "</table:table-row>"
    body = (f'<table:table-row table:number-rows-repeated="{rows}">'
            f"{bf.ods_cell('een tekst van dertig tekens...', columns)}</table:table-row>")
    return bf.write_ods_xml(path, {"Werkgevers": header + body})


def _xlsb(path: Path, rows: int, columns: int) -> Path:
    records = [bf.b12(0x81), bf.b12(0x94, bytes(16)), bf.b12(0x91), bf.b12(0x00, bytes(17))]
    records += [bf.xlsb_cell(c, h) for c, h in enumerate(HEADER)]
    for r in range(1, rows + 1):
        records.append(bf.b12(0x00, r.to_bytes(4, "little") + bytes(13)))
        records += [bf.xlsb_cell(c, float(r)) for c in range(columns)]
    return bf.write_xlsb_parts(path, {"Werkgevers": [*records, bf.b12(0x92), bf.b12(0x82)]})


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
    ("xlsx, 950,000 distinct shared strings", "xlsx", _xlsx, 95_000, 10),
    ("xlsx, values at A1 and XFD1048576", "xlsx", _corner, 0, 0),
    ("ods, 950,000 repeated strings", "ods", _ods, 95_000, 10),
    ("ods, 6 M repeated strings (over the limit)", "ods", _ods, 600_000, 10),
    ("xlsb, 950,000 numbers", "xlsb", _xlsb, 95_000, 10),
    ("xls, 325,000 numbers", "xls", _xls, 65_000, 5),
    ("xlsx, 2.9 M distinct shared strings (over the limit)", "xlsx", _xlsx, 290_000, 10),
]


_READ = """
import sys
from pathlib import Path
from intake.validation.reader import UnreadableWorkbook, read_workbook
try:
    book = read_workbook(Path(sys.argv[1]))
except UnreadableWorkbook:
    sys.exit(2)
sys.exit(1 if book.findings else 0)
"""


def _measure(command: list[str]) -> tuple[int, float, float]:
    began = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, time.monotonic() - began


def main() -> None:
    lines = ["| workbook | size on disk | read: outcome | read: peak | x baseline | "
             "validate: exit | validate: peak | validate: s |", "|---|---|---|---|---|---|---|---|"]
    baseline = 0.0
    outcome = {0: "read", 1: "read, findings", 2: "refused"}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as work:
        for n, (label, suffix, build, rows, columns) in enumerate(CASES):
            path = build(Path(work) / f"case{n}.{suffix}", rows, columns)
            code, peak, _ = _measure([sys.executable, "-c", _READ, str(path)])
            baseline = baseline or peak
            exit_code, full, seconds = _measure([INTAKE, "validate", str(path), "--out",
                                                 str(Path(work) / f"out{n}"),
                                                 "--max-seconds", str(LIMIT)])
            size = path.stat().st_size / (1 << 20)
            lines.append(f"| {label} | {size:.1f} MB | {outcome.get(code, code)} | "
                         f"{peak:.0f} MB | {peak / baseline:.1f}x | {exit_code} | {full:.0f} MB |"
                         f" {seconds:.1f} |")
            print(lines[-1], flush=True)
    text = ("# Peak memory of reading and of validating (default limits)\n\n"
            "`python benchmarks/bench_memory.py`; peak resident memory (ru_maxrss), each step "
            "in a fresh process, against reading the 6-employer sample in the same run; "
            f"validate with --max-seconds {LIMIT}. A child's ru_maxrss starts at the size of "
            "this process when it forks (it grows while it builds the workbooks), so small "
            "figures equal to each other are upper bounds.\n\n"
            + "\n".join(lines) + "\n")
    (HERE / "results" / "memory.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
