"""Worst cases must grow with the rows, not with their square: N copies of one employer row
against N distinct employers with one error each (time of `intake validate` with every output,
and the size of report.json), in one run, median of --repeat.

    .venv/bin/python benchmarks/bench_worst.py --sizes 5000 20000 --repeat 3

and through the web intake (a real `intake serve`): N copies uploaded by one bureau while another
uploads a small workbook; and workbooks with many sheets (3,000 helper sheets named like
Toelichting, 995 of them, 200,000 entries in workbook.xml): refused or read in seconds.
Writes benchmarks/results/worst.md.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.samples import werkgever

HERE = Path(__file__).resolve().parent
INTAKE = str(Path(sys.executable).with_name("intake"))


def _write(path: Path, rows: int, identical: bool) -> Path:
    """`rows` employers answering Nee to DGA, each with one error: all the same employer when
    `identical` (each copy a `werkgever-duplicate`), else distinct ones with a payroll period
    the link does not support (each a `verloning-unsupported`): as many findings either way."""
    from intake.outputs.samples import lhn

    book = Workbook(write_only=True)
    sheet = book.create_sheet(WERKGEVERS.name)
    book.create_sheet(DGA.name).append([f.label for f in DGA.fields])
    sheet.append([f.label for f in WERKGEVERS.fields])
    for n in range(rows):
        k = 0 if identical else n
        sheet.append(list(werkgever(werkgever_id=str(5_000_000 + k), loonheffingennummer=lhn(k),
                                    werkgever_naam=f"Werkgever {k} B.V.",
                                    verloning="Maand" if identical else "week",
                                    dga_in_verloning="Nee")))
    book.save(path)
    return path


def _run(path: Path, out: Path) -> tuple[float, int]:
    """Seconds of `intake validate` (limits raised for the size) and report.json's bytes."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([INTAKE, "validate", str(path), "--out", str(out), "-q",
                    "--max-seconds", "600"], capture_output=True, check=False)
    return time.perf_counter() - start, (out / "report.json").stat().st_size


def _helper_sheets(path: Path, count: int) -> Path:
    """The valid sample with `count` more sheets named Toelichting plus punctuation (each a
    candidate for the Toelichting sheet the reader looks for by name)."""
    from openpyxl import load_workbook

    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

    book = load_workbook(fill(path, VALID_WERKGEVERS, VALID_DGA))
    names = ("Toelichting" + "".join(p) for n in range(1, 6)
             for p in itertools.product(".,;-_!()", repeat=n))
    for name in itertools.islice(names, count):
        book.create_sheet(name)["A1"] = "x"
    book.save(path)
    return path


def _sheet_entries(path: Path, count: int) -> Path:
    """The valid sample whose workbook.xml lists `count` more sheets, all pointing at one
    part."""
    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

    base = fill(path.with_name("entries-base.xlsx"), VALID_WERKGEVERS, VALID_DGA)
    extra = "".join(f'<sheet name="S{i}" sheetId="{i + 10}" r:id="rId1"/>' for i in range(count))
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", extra.encode() + b"</sheets>")
            zout.writestr(info, data)
    return path


def _many_sheets(work: Path, repeat: int) -> list[str]:
    """Seconds of `intake validate` on workbooks with many sheets, and how each ended."""
    lines = ["", f"Workbooks with many sheets (`intake validate`, default limits, median of "
             f"{repeat}):", "", "| workbook | size | exit | s |", "|---|---|---|---|"]
    for label, path in (
            ("3,000 helper sheets named Toelichting plus punctuation",
             _helper_sheets(work / "helpers.xlsx", 3000)),
            ("995 such helper sheets (under the limit of 1,000 sheets)",
             _helper_sheets(work / "helpers995.xlsx", 995)),
            ("200,000 sheet entries in workbook.xml", _sheet_entries(work / "entries.xlsx",
                                                                     200_000))):
        runs = []
        for _ in range(repeat):
            shutil.rmtree(work / "out", ignore_errors=True)
            start = time.perf_counter()
            done = subprocess.run([INTAKE, "validate", str(path), "--out", str(work / "out"),
                                   "-q"], capture_output=True, check=False)
            runs.append(time.perf_counter() - start)
        ended = {0: "0 (checked)", 1: "1 (checked, findings)", 2: "2 (refused)"}
        lines.append(f"| {label} | {path.stat().st_size / 1e6:.1f} MB | "
                     f"{ended.get(done.returncode, done.returncode)} | "
                     f"{statistics.median(runs):.2f} |")
        print(lines[-1], flush=True)
    return lines


def _web(work: Path, copies: int, repeat: int) -> list[str]:
    """Through a real `intake serve`: a bureau uploads `copies` copies of one employer and,
    0.3 s later, another bureau a small valid workbook; seconds until each page, median."""
    import threading

    from bench_serve import serving, upload

    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
    from intake.web import keys as bureaus

    db = bureaus.connect(work / "out" / "intake.sqlite")
    keys = {name: bureaus.add(db, name) for name in ("groot", "klein")}
    db.close()
    big = _write(work / "kopieen.xlsx", copies, True)
    small = fill(work / "klein.xlsx", VALID_WERKGEVERS, VALID_DGA)
    answers: dict[str, list[tuple[float, bool]]] = {"big": [], "small": []}
    with serving(work) as base:
        for _ in range(repeat):
            thread = threading.Thread(target=lambda: answers["big"].append(
                upload(base, keys["groot"], big, "Afgekeurd")))
            thread.start()
            time.sleep(0.3)
            answers["small"].append(upload(base, keys["klein"], small, "Goedgekeurd"))
            thread.join()
    assert all(ok for runs in answers.values() for _, ok in runs), answers
    big_s, small_s = ([s for s, _ in answers[k]] for k in ("big", "small"))
    return ["", f"Through the web intake (a real server, median of {repeat}): {copies:,} copies "
            "of one employer uploaded, and 0.3 s later another bureau's small workbook.", "",
            "| upload | s until its page |", "|---|---|",
            f"| {copies:,} copies | {statistics.median(big_s):.2f} |",
            f"| the other bureau's small one, meanwhile | {statistics.median(small_s):.2f} |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--web-copies", type=int, default=5000,
                        help="copies uploaded through the web intake (0: skip that part)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-worst-"))
    lines = ["# Worst cases: identical rows against distinct rows", "",
             f"`{' '.join(['python benchmarks/bench_worst.py', *sys.argv[1:]])}`, median of "
             f"{args.repeat}; `intake validate` with every output.", "",
             "| rows | distinct: s | identical: s | time ratio | distinct: report.json | "
             "identical: report.json | size ratio |", "|---|---|---|---|---|---|---|"]
    for size in args.sizes:
        results = {}
        for identical in (False, True):
            path = _write(work / f"{size}-{identical}.xlsx", size, identical)
            runs = [_run(path, work / "out") for _ in range(args.repeat)]
            results[identical] = (statistics.median(r[0] for r in runs), runs[0][1])
        (t0, s0), (t1, s1) = results[False], results[True]
        lines.append(f"| {size:,} | {t0:.2f} | {t1:.2f} | {t1 / t0:.2f}x | {s0 / 1e6:.1f} MB | "
                     f"{s1 / 1e6:.1f} MB | {s1 / s0:.2f}x |")
        print(lines[-1], flush=True)
    lines += _many_sheets(work, args.repeat)
    if args.web_copies:
        lines += _web(work, args.web_copies, args.repeat)
        print("\n".join(lines[-2:]), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    (HERE / "results" / "worst.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
