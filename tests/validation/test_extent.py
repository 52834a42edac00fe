"""The worksheet scan's shortcut (one search proving every cell lies in the box its first and
last cells span) must give exactly the range that visiting every cell gives, on sheets of every
shape: cells in and out of order, empty cells, cells without a reference, odd references."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.definition.cells import column_letter
from intake.validation import extent
from intake.validation.inspection import Inspection, Refused

#: (column index, row number, empty, written with its reference, reference spelled oddly)
Cell = tuple[int, int, bool, bool, bool]

cells = st.tuples(
    st.one_of(st.integers(0, 12), st.integers(0, 18000)),
    st.one_of(st.integers(1, 40), st.integers(1, 2_000_000)),
    st.booleans(), st.booleans(), st.booleans())


def sheet_xml(rows: list[list[Cell]]) -> bytes:
    out = []
    for row in rows:
        number = row[0][1] if row else 1
        tags = []
        for col, r, empty, with_ref, odd in row:
            letters = column_letter(col)
            ref = f"${letters.lower()}${r}" if odd else f"{letters}{r}"
            attrs = f' r="{ref}"' if with_ref else ""
            tags.append(f"<c{attrs} s=\"1\"/>" if empty else f"<c{attrs}><v>1</v></c>")
        out.append(f'<row r="{number}">{"".join(tags)}</row>')
    return ('<worksheet><sheetData>' + "".join(out) + "</sheetData></worksheet>").encode()


def scanned(xml: bytes, block: int, shortcut: bool | str,
            monkeypatch: pytest.MonkeyPatch) -> Inspection:
    """The inspection of one sheet fed in blocks of `block` bytes. `shortcut`: True for the
    one-search proof piece by piece, "batch" for the batched counts of polars (every batch of
    any size, batches of `block` bytes), False for visiting every cell."""
    inspection = Inspection()
    scan = extent._XmlSheetScan("Blad1", inspection)
    if shortcut == "batch":
        monkeypatch.setattr(extent, "BATCH_MIN_BYTES", 0)
        monkeypatch.setattr(extent, "BATCH_BYTES", block)
        monkeypatch.setattr(scan, "_bounded", lambda xml: False)  # only the batch may prove
    else:
        monkeypatch.setattr(extent, "BATCH_MIN_BYTES", 1 << 40)  # piece by piece
        if not shortcut:
            monkeypatch.setattr(scan, "_bounded", lambda xml: False)
    for at in range(0, len(xml), block):
        scan.feed(xml[at:at + block])
    scan.finish()
    monkeypatch.undo()
    inspection.sheet_end = (scan.row, scan.col)  # type: ignore[attr-defined]
    return inspection


def ranges(xml: bytes, block: int, shortcut: bool | str, monkeypatch: pytest.MonkeyPatch) -> object:
    inspection = scanned(xml, block, shortcut, monkeypatch)
    return (inspection.ranges.get("Blad1"),
            *inspection.sheet_end)  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=6), min_size=1, max_size=12),
       regular=st.booleans(), block=st.sampled_from([40, 97, 1 << 20]),
       shortcut=st.sampled_from([True, "batch"]))
def test_shortcut_gives_the_range_of_visiting_every_cell(
        rows: list[list[Cell]], regular: bool, block: int, shortcut: bool | str) -> None:
    if regular:  # the common shape: plain references, rows in order, the shortcut applies
        rows = [[(c, n + 1, e, True, False) for c, _, e, _, _ in row] for n, row in
                enumerate(rows)]
    xml = sheet_xml(rows)
    with pytest.MonkeyPatch.context() as mp:
        assert ranges(xml, block, shortcut, mp) == ranges(xml, block, False, mp)


def _regular(count: int) -> list[list[Cell]]:
    return [[(c, n, False, True, False) for c in range(9)] for n in range(1, count + 1)]


def _with(rows: list[list[Cell]], at: int, tag: str) -> bytes:
    """The sheet of `rows` with `tag` written inside row `at` (before its end tag)."""
    xml = sheet_xml(rows)
    end = xml.index(b"</row>", xml.index(f'<row r="{at}"'.encode()))
    return xml[:end] + tag.encode() + xml[end:]


@pytest.mark.parametrize(("name", "xml"), [
    ("regular", sheet_xml(_regular(4000))),
    ("a cell after the last row", sheet_xml(_regular(4000)).replace(
        b"</sheetData>", b'<c r="AB5000"><v>1</v></c></sheetData>')),
    ("XFD1048576 mid-file", _with(_regular(4000), 2000, '<c r="XFD1048576"><v>1</v></c>')),
    ("an out-of-order row", _with(_regular(4000), 2000, '</row><row r="9000"><c r="B9000">'
                                  '<v>1</v></c>')),
    ("a cell without a reference", _with(_regular(4000), 2000, "<c><v>1</v></c>")),
    ("a prefixed cell", _with(_regular(4000), 2000, '<x:c r="M2000"><x:v>1</x:v></x:c>')),
    ("a $ reference", _with(_regular(4000), 2000, '<c r="$M$2000"><v>1</v></c>')),
    ("a lower-case reference", _with(_regular(4000), 2000, '<c r="m2000"><v>1</v></c>')),
    ("an attribute before the reference", _with(_regular(4000), 2000,
                                                '<c s="1" r="M2000"><v>1</v></c>')),
    ("a tab after the tag name", _with(_regular(4000), 2000, '<c\tr="M2000"><v>1</v></c>')),
    ("an empty cell far out", _with(_regular(4000), 2000, '<c r="ZZ2000" s="1"/>')),
    ("a hidden row and an error value", _with(_regular(4000), 3000, '<c r="J3000" t="e">'
                                              '<v>#N/A</v></c>').replace(
        b'<row r="17">', b'<row r="17" hidden="1">')),
    ("a formula without a value", _with(_regular(4000), 3999, '<c r="J3999"><f>A1+1</f></c>')),
])
@pytest.mark.parametrize("block", [1 << 12, 1 << 16])
def test_batched_counts_give_what_visiting_every_cell_gives(
        name: str, xml: bytes, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hostile variants of a regular sheet of 4,000 rows: the batched counts prove the
    box or fall back, and the range, the position after the last cell, the hidden rows, the
    error values and the formulas without a value are those of visiting every cell."""
    def seen(shortcut: bool | str) -> tuple[object, ...]:
        found = scanned(xml, block, shortcut, monkeypatch)
        return (found.ranges.get("Blad1"), found.sheet_end,  # type: ignore[attr-defined]
                dict(found.hidden_rows), dict(found.formula_errors),
                dict(found.formulas_without_value))

    assert seen("batch") == seen(False)


def test_the_batched_counts_prove_a_regular_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the regular sheet the batch proves the box itself (no piece is visited), so the
    comparison above is not a comparison of the fallback with itself."""
    visited: list[bytes] = []
    monkeypatch.setattr(extent._XmlSheetScan, "_scan_piece",
                        lambda self, xml: visited.append(xml))
    found = scanned(sheet_xml(_regular(4000)), 1 << 16, "batch", monkeypatch)
    assert found.ranges["Blad1"] == extent.Box(0, 0, 3999, 8)
    assert visited == []


def test_a_cell_beyond_the_sampled_box_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows in order, but one cell in the middle lies far right and far down: the box of the
    first and last cells would miss it; the search finds it and the cells are visited."""
    rows: list[list[Cell]] = [[(c, n, False, True, False) for c in range(3)]
                              for n in range(1, 3000)]
    rows[1500].append((16000, 1_000_000, False, True, False))
    box, _, _ = ranges(sheet_xml(rows), 1 << 20, True, monkeypatch)
    assert box == extent.Box(0, 0, 999_999, 16000)


@pytest.mark.parametrize(("low", "high", "inside", "outside"), [
    (b"A", b"I", [b"A", b"E", b"I"], [b"J", b"Z", b"AA", b"XFD"]),
    (b"C", b"AB", [b"C", b"Z", b"AA", b"AB"], [b"A", b"B", b"AC", b"BA", b"AAA"]),
    (b"1", b"100001", [b"1", b"9", b"99999", b"100000", b"100001"],
     [b"100002", b"200000", b"1000000"]),
    (b"17", b"230", [b"17", b"99", b"100", b"229", b"230"], [b"1", b"9", b"16", b"231", b"1000"]),
])
def test_outside_pattern(low: bytes, high: bytes, inside: list[bytes],
                         outside: list[bytes]) -> None:
    import re

    alphabet = extent._LETTERS if low.isalpha() else extent._DIGITS
    pattern = re.compile(extent._outside(low, high, alphabet))
    assert [v for v in inside if pattern.fullmatch(v)] == []
    assert [v for v in outside if not pattern.fullmatch(v)] == []


def test_a_cell_after_the_last_row_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """calamine reads a cell that follows the last </row> and builds the range up to it."""
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
           b'<c r="AB3000"><v>1</v></c></sheetData></worksheet>')
    box, _, _ = ranges(xml, 1 << 20, True, monkeypatch)
    assert box == extent.Box(0, 0, 2999, 27)


def _package_listing(tmp_path: Path, count: int) -> zipfile.ZipFile:
    path = tmp_path / f"sheets{count}.xlsx"
    entries = "".join(f'<sheet name="S{i}" sheetId="{i + 1}" r:id="rId1"/>' for i in range(count))
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/workbook.xml", (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{entries}</sheets></workbook>"))
    return zipfile.ZipFile(path)


@pytest.mark.parametrize(("count", "said"), [(1001, "lists 1,001 sheets"),
                                             (100_000, "lists at least ")])
def test_a_workbook_listing_more_sheets_than_the_limit_is_refused(
        tmp_path: Path, count: int, said: str) -> None:
    """More sheets than max_sheets are refused before any is measured; where the list is
    longer than what is read of it, the count says "at least"."""
    with _package_listing(tmp_path, count) as package:
        with pytest.raises(Refused) as refused:
            extent.scanners_for(package, set(package.namelist()), Inspection(), max_sheets=1000)
        assert refused.value.reason == "too-many-sheets"
        assert said in refused.value.detail
        extent.scanners_for(package, set(package.namelist()), Inspection(), max_sheets=0)


@given(st.integers(0, 100_000), st.integers(0, 1_000_000), st.integers(0, 2))
def test_at_least_matches_exactly_the_numbers_from_its_bound(bound: int, number: int,
                                                             zeros: int) -> None:
    """at_least(n) matches a decimal number (with or without leading zeros) when it is n or
    more, and never one below."""
    import re

    written = ("0" * zeros + str(number)).encode()
    matched = re.fullmatch(extent.at_least(bound), written) is not None
    assert matched == (number >= bound)
