"""Structure-aware fuzzing of every format the reader takes: .xlsx, .xlsb, .xls and .ods.

A valid workbook of the sample rows is built in code per format; each case changes it where a
parser trusts the file: attribute values (cell references, repeat counts, declared counts,
types) and elements in the XML formats, fields, lengths, types and order of the records in the
binary ones, and now and then raw bytes. `case(fmt, n)` is deterministic in (fmt, n).

`python tests/fuzzformats.py --cases 10000 [--no-inspection]` runs a campaign: each case goes
through the check every door uses (`intake.checking.check`: read, validated and its outputs written,
the feedback workbook included, in an OS-limited child) from a worker process. A worker that
dies is an abort, one that gives no answer a hang, an exception in it or a fault of ours in
the child a traceback; a child that died on a limit is a refusal with its reason. With
`--no-inspection` the package inspection is off, so only the child's limits hold. It prints
the counts per format.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import selectors
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import binformats as bf

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

FORMATS = ("xlsx", "xlsb", "xls", "ods")
INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x7FFF, 0xFFFF, 0x10000,
               0xFFFFF, 0x100000, 0x100001, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
TEXTS = ("1", "0", "-1", "1048576", "1048577", "16384", "4294967295", "9223372036854775807",
         "99999999999999999999", "1e308", "NaN", "", "A1", "XFD1048576", "ZZZZ1", "A0", "a1",
         "$A$1", "T1000000", "s", "n", "str", "inlineStr", "b", "e", "d", "float", "string",
         "boolean", "date", "time", "percentage", "currency", "\u00e9", "&amp;", "x" * 300)


def _sheets() -> dict[str, dict[tuple[int, int], object]]:
    return {"Werkgevers": bf.grid_cells([[f.label for f in WERKGEVERS.fields],
                                         *VALID_WERKGEVERS]),
            "DGA": bf.grid_cells([[f.label for f in DGA.fields], *VALID_DGA]),
            "Toelichting": bf.grid_cells([["Sjabloonversie", "1"], ["x", None, 3.5]])}


# --- XML formats --------------------------------------------------------------------------------

_ATTR = re.compile(rb'(\s[\w:.-]+=")([^"]*)(")')
_ELEMENT = re.compile(rb"<([\w:]+)\b[^>]*?(?:/>|>[^<]*</\1>)")


def _mutate_xml(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randrange(1, 6)):
        choice = rng.random()
        if choice < 0.65:
            attrs = list(_ATTR.finditer(data))
            if attrs:
                m = rng.choice(attrs)
                value = rng.choice(TEXTS) if rng.random() < 0.7 else str(
                    rng.choice(INTERESTING) + rng.randrange(-1, 2))
                data = data[:m.start(2)] + value.encode() + data[m.end(2):]
        elif choice < 0.9:
            elements = list(_ELEMENT.finditer(data))
            if elements:
                m = rng.choice(elements)
                if rng.random() < 0.5:
                    data = data[:m.start()] + data[m.end():]
                else:
                    data = data[:m.end()] + m.group() * rng.randrange(1, 4) + data[m.end():]
        elif choice < 0.96:
            data = mutate_bytes(data, rng, 1)
        else:
            cut = rng.randrange(len(data))
            data = data[:cut]
    return data


def mutate_bytes(data: bytes, rng: random.Random, count: int, longest_cut: int = 16,
                 longest_insert: int = 8) -> bytes:
    """`data` with `count` random changes: a byte replaced, a run cut out, or bytes put in."""
    out = bytearray(data)
    for _ in range(count):
        if not out:
            break
        at = rng.randrange(len(out))
        choice = rng.random()
        if choice < 0.5:
            out[at] = rng.randrange(256)
        elif choice < 0.75:
            del out[at:at + rng.randrange(1, longest_cut)]
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, longest_insert)))
    return bytes(out)


def _rezip(source: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return out.getvalue()


def _mutate_package(seed: bytes, rng: random.Random, parts: tuple[str, ...]) -> bytes:
    # the first two parts (the data sheets) are changed most often
    targets = {p for i, p in enumerate(parts) if rng.random() < (0.6 if i < 2 else 0.15)} \
        or {rng.choice(parts)}

    def change(name: str, data: bytes) -> bytes | None:
        if name in targets:
            return _mutate_xml(data, rng) if not name.endswith(".bin") else \
                _mutate_records(data, rng)
        if rng.random() < 0.01:
            return None
        return data

    data = _rezip(seed, change)
    if rng.random() < 0.05:
        data = mutate_bytes(data, rng, rng.randrange(1, 4))
    return data


# --- record formats -----------------------------------------------------------------------------

def _split12(data: bytes) -> list[bytes]:
    from intake.validation.extent import spans12

    out, previous = [], 0
    for _, _, end in spans12(data, 0):
        out.append(data[previous:end])
        previous = end
    return out + ([data[previous:]] if previous < len(data) else [])


def _mutate_fields(body: bytes, rng: random.Random) -> bytes:
    if not body:
        return body
    out = bytearray(body)
    width = rng.choice((1, 2, 4))
    at = rng.randrange(max(len(out) - width + 1, 1))
    value = rng.choice(INTERESTING) if rng.random() < 0.8 else rng.randrange(1 << (8 * width))
    out[at:at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")[
        :len(out) - at]
    return bytes(out)


def _mutate_record_list(records: list[bytes], rng: random.Random,
                        remake: Callable[[int, bytes], bytes],
                        parse: Callable[[bytes], tuple[int, bytes]]) -> list[bytes]:
    records = list(records)
    for _ in range(rng.randrange(1, 5)):
        if not records:
            break
        i = rng.randrange(len(records))
        kind, body = parse(records[i])
        choice = rng.random()
        if choice < 0.45:
            records[i] = remake(kind, _mutate_fields(body, rng))
        elif choice < 0.55:
            records[i] = remake(kind, body[:rng.randrange(len(body) + 1)])
        elif choice < 0.62:
            records[i] = remake(kind, body + bytes(rng.randrange(1, 9)))
        elif choice < 0.7:
            records[i] = remake(rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x94, 0x9F,
                                            0x13, 0x92, 0x0203, 0x00FD, 0x027E, 0x00BD, 0x0200,
                                            0x00FC, 0x0085, 0x0809, 0x000A, 0x0006, 0x003C)),
                                body)
        elif choice < 0.8:
            del records[i]
        elif choice < 0.9:
            records.insert(i, records[i])
        else:
            j = rng.randrange(len(records))
            records[i], records[j] = records[j], records[i]
    return records


def _parse12(record: bytes) -> tuple[int, bytes]:
    from intake.validation.extent import spans12

    for kind, start, end in spans12(record, 0):
        return kind, record[start:end]
    return 0, b""


def _mutate_records(data: bytes, rng: random.Random) -> bytes:
    records = _mutate_record_list(_split12(data), rng, bf.b12, _parse12)
    out = b"".join(records)
    return mutate_bytes(out, rng, 1) if rng.random() < 0.1 else out


def _parse8(record: bytes) -> tuple[int, bytes]:
    kind = struct.unpack_from("<H", record)[0] if len(record) >= 2 else 0
    return kind, record[4:]


def _b8(kind: int, body: bytes) -> bytes:
    return bf.b8(kind & 0xFFFF, body[:0xFFFF])


# --- the seeds and the cases --------------------------------------------------------------------

_SEEDS: dict[str, bytes] = {}


def seed(fmt: str) -> bytes:
    """The valid workbook a format's cases start from."""
    if fmt not in _SEEDS:
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / f"seed.{fmt}"
            if fmt == "xlsx":
                fill(path, VALID_WERKGEVERS, VALID_DGA)
            elif fmt == "xlsb":
                bf.write_xlsb_parts(path, {n: bf.xlsb_sheet_records(c)
                                           for n, c in _sheets().items()},
                                    shared=[bf.b12(0x9F, struct.pack("<II", 1, 1)),
                                            bf.b12(0x13, b"\0" + bf.wide("gedeeld")),
                                            bf.b12(0xA0)])
            elif fmt == "ods":
                bf.write_ods(path, _sheets())
            else:
                bf.write_xls(path, _sheets())
            _SEEDS[fmt] = path.read_bytes()
    return _SEEDS[fmt]


def case(fmt: str, n: int) -> bytes:
    """Case `n` of format `fmt`: the seed changed where the parser trusts it."""
    rng = random.Random(f"{fmt}:{n}")
    if fmt == "xlsx":
        return _mutate_package(seed(fmt), rng, ("xl/worksheets/sheet1.xml",
                                                "xl/worksheets/sheet2.xml",
                                                "xl/sharedStrings.xml", "xl/workbook.xml",
                                                "xl/_rels/workbook.xml.rels", "xl/styles.xml"))
    if fmt == "ods":
        return _mutate_package(seed(fmt), rng, ("content.xml",))
    if fmt == "xlsb":
        return _mutate_package(seed(fmt), rng, ("xl/worksheets/sheet1.bin",
                                                "xl/worksheets/sheet2.bin",
                                                "xl/sharedStrings.bin", "xl/workbook.bin"))
    sst: dict[str, int] = {}
    sheets = {name: bf.xls_sheet_records(cells, sst) for name, cells in _sheets().items()}
    for name in sheets:
        if rng.random() < 0.6:
            sheets[name] = _mutate_record_list(sheets[name], rng, _b8, _parse8)
    stream = bf.xls_stream(sheets, sst)
    if rng.random() < 0.3:
        stream = b"".join(_mutate_record_list(_split8(stream), rng, _b8, _parse8))
    if rng.random() < 0.1:
        stream = mutate_bytes(stream, rng, rng.randrange(1, 4))
    data = bf.cfb({"Workbook": stream})
    return mutate_bytes(data, rng, 1) if rng.random() < 0.03 else data


def _split8(stream: bytes) -> list[bytes]:
    out, at = [], 0
    while at + 4 <= len(stream):
        length = struct.unpack_from("<H", stream, at + 2)[0]
        out.append(stream[at:at + 4 + length])
        at += 4 + length
    return out


# --- running cases ------------------------------------------------------------------------------

def run_one(path: Path, out: Path, checker: Callable[[Path, Path], Any]) -> str:
    """'ok', 'refused:<reason>' or 'traceback:<one line>' for one file, checked as every door
    checks it (`intake.checking.check`: parsed in an OS-limited child, all outputs written)."""
    from intake.definition.status import Status

    try:
        checked = checker(path, out)
    except BaseException as exc:  # the point: anything in this process is a finding
        line = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return f"traceback:{line[:300]}"
    if checked.status is Status.FAILED:  # a fault of ours in the child, or an output folder
        return f"traceback:{checked.trace or checked.cannot_write}"[:310]
    if not checked.checked:
        return f"refused:{checked.reason}"
    for sheet in ("werkgevers", "dga"):
        counts = checked.counts[sheet]
        if counts["rows"] != counts["accepted"] + counts["rejected"]:
            return "traceback:counts do not add up"
    return "ok"


def worker(fmt: str, start: int, stop: int, inspect: bool = True) -> None:
    """Run cases [start, stop) of `fmt` through one warm child, printing one JSON line per
    case (before: 'begin'); `inspect` False checks without the package inspection, so that
    only the child's limits hold."""
    import shutil

    from intake.checking.check import Settings, bounds, check
    from intake.checking.sandbox import Sandbox
    from intake.validation.limits import Limits
    from intake.validation.validate import Options

    settings = Settings(Options(limits=Limits(inspect=inspect)))
    with tempfile.TemporaryDirectory() as work, Sandbox(bounds(settings.limits)) as box:
        for n in range(start, stop):
            print(json.dumps({"case": n, "begin": True}), flush=True)
            path = Path(work) / f"case.{fmt}"
            path.write_bytes(case(fmt, n))
            out = Path(work) / "out"
            outcome = run_one(path, out, lambda p, o: check(p, o, settings, box))
            shutil.rmtree(out, ignore_errors=True)
            print(json.dumps({"case": n, "outcome": outcome}), flush=True)


def campaign(fmt: str, cases: int, first: int = 0, per_case: float = 60.0,
             inspect: bool = True) -> Counter[str]:
    """Run `cases` cases of `fmt` in worker processes; count outcomes. A worker that dies on a
    case is an 'abort', one that gives no answer for `per_case` seconds a 'hang'; either way
    the next worker goes on with the next case. `campaign.examples` maps each kind of problem
    to the first case that showed it."""
    counts: Counter[str] = Counter()
    examples: dict[str, int] = {}
    n, stop = first, first + cases
    here = Path(__file__).resolve().parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here), os.environ.get(
        "PYTHONPATH", "")]), RUST_BACKTRACE="0")
    while n < stop:
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen([sys.executable, str(here / "fuzzformats.py"), "--worker",
                                     fmt, str(n), str(stop),
                                     *([] if inspect else ["--no-inspection"])],
                                    stdout=subprocess.PIPE,
                                    stderr=errors, env=env)
            assert proc.stdout is not None
            current, pending, killed = n, b"", False
            with selectors.DefaultSelector() as waiting:
                waiting.register(proc.stdout, selectors.EVENT_READ)
                while True:
                    if not waiting.select(timeout=per_case):
                        proc.kill()
                        killed = True
                        counts["hang"] += 1
                        examples.setdefault("hang", current)
                        current += 1
                        break
                    block = os.read(proc.stdout.fileno(), 1 << 16)
                    if not block:
                        break
                    *lines, pending = (pending + block).split(b"\n")
                    for line in lines:
                        item = json.loads(line)
                        current = item["case"]
                        if "outcome" in item:
                            kind = item["outcome"].split(":", 1)[0]
                            counts[kind] += 1
                            examples.setdefault(item["outcome"] if kind == "traceback"
                                                else kind, current)
                            current += 1
            proc.wait()
            proc.stdout.close()
            if proc.returncode != 0 and not killed and current < stop:
                errors.seek(0)
                tail = errors.read().decode("utf-8", "replace").strip()[-200:]
                counts["abort"] += 1
                examples.setdefault(f"abort:{proc.returncode}:{tail}", current)
                current += 1
        n = max(current, n + 1)
    campaign.examples = examples  # type: ignore[attr-defined]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases per format")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--first", type=int, default=0, help="number of the first case")
    parser.add_argument("--no-inspection", action="store_true",
                        help="check without the package inspection: only the limits hold")
    parser.add_argument("--worker", nargs=3, metavar=("FMT", "START", "STOP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fmt, start, stop = args.worker
        worker(fmt, int(start), int(stop), inspect=not args.no_inspection)
        return
    for fmt in args.formats.split(","):
        began = time.time()
        counts = campaign(fmt, args.cases, args.first, inspect=not args.no_inspection)
        examples = campaign.examples  # type: ignore[attr-defined]
        print(json.dumps({"format": fmt, "cases": args.cases, "first": args.first,
                          "inspection": not args.no_inspection,
                          "seconds": round(time.time() - began, 1), "counts": counts,
                          "problems": {k: v for k, v in examples.items()
                                       if k.startswith(("traceback", "abort", "hang"))}}),
              flush=True)


if __name__ == "__main__":
    main()
