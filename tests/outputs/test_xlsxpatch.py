"""The worksheet patcher streams: where the blocks it reads happen to end must not change what
it writes. Each sheet here is patched whole and in blocks of every small size; the outputs must
be the same, and the marks must land on the cells named."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from intake.outputs import xlsxpatch
from intake.outputs.xlsxpatch import SheetPatch, StylePool

STYLES = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<fonts count="1"><font/></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<cellXfs count="2"><xf fontId="0" fillId="0"/><xf fontId="0" fillId="0"/></cellXfs>'
          "</styleSheet>")

#: Rows as Excel, LibreOffice and hostile writers make them: numbered and not, empty and
#: self-closing, with a namespace prefix, text that holds "row>" and ">".
SHEETS = {
    "plain": ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
              "<sheetData>"
              '<row r="1"><c r="A1" t="inlineStr"><is><t>Naam</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>arrow&gt; row></t></is></c></row>\n'
              '<row r="2" spans="1:2"><c r="A2" s="1"><v>5</v></c><c r="B2"><v>6</v></c></row>'
              '<row r="3"/>'
              '<row><c r="A4"><v>7</v></c></row>'
              '<row r="7"><c r="B7"><v>8</v></c></row>'
              "</sheetData><pageMargins/></worksheet>"),
    "prefixed": ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 "<x:sheetData>"
                 '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
                 '<x:row r="2"><x:c r="A2"><x:v>2</x:v></x:c><x:c r="C2"><x:v>3</x:v></x:c>'
                 "</x:row>"
                 "</x:sheetData></x:worksheet>"),
    # every row numbered, as writers put it: out of order, a number twice, marked rows empty
    "numbered": ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 "<sheetData>"
                 '<row r="1"><c r="A1"><v>1</v></c></row>'
                 '<row r="3" spans="1:2"><c r="A3"><v>3</v></c><c r="B3"><v>4</v></c></row>'
                 '<row r="2"><c r="B2"><v>2</v></c></row>'
                 '<row r="30"/>'
                 '<row r="3"><c r="C3"><v>5</v></c></row>'
                 '<row r="300"><c r="A300"><v>6</v></c></row>'
                 "</sheetData></worksheet>"),
}
MARKS = {"plain": {2: {0: "error", 1: "warning"}, 3: {0: "error"}, 4: {0: "warning"},
                   7: {1: "error"}},
         "prefixed": {2: {1: "error", 2: "warning"}},
         "numbered": {3: {1: "error"}, 30: {0: "warning"}, 2: {1: "warning"}}}


def patched(xml: str, marks: dict[int, dict[int, str]], size: int) -> str:
    def chunks() -> Iterator[str]:
        for at in range(0, len(xml), size):
            yield xml[at:at + size]

    patch = SheetPatch(marks={row: dict(cols) for row, cols in marks.items()})  # type: ignore[misc]
    return "".join(xlsxpatch._patched_pieces(chunks(), patch, StylePool(STYLES)))


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_block_ends_do_not_change_the_output(name: str) -> None:
    xml = SHEETS[name]
    whole = patched(xml, MARKS[name], len(xml))
    for size in range(1, 80):
        assert patched(xml, MARKS[name], size) == whole, size


def test_marks_land_on_the_cells_named_and_nothing_else_changes() -> None:
    out = patched(SHEETS["plain"], MARKS["plain"], 5)
    styles = dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*?\ss="(\d+)"', out))
    assert set(styles) == {"A2", "B2", "A3", "A4", "B7"}  # A3: a mark on a row without cells
    assert styles["A2"] != styles["B2"]  # an error and a warning differ
    assert styles["A3"] == styles["A2"] and styles["A4"] == styles["B2"]
    assert 'tabSelected' not in out
    assert "arrow&gt; row></t>" in out and out.endswith("<pageMargins/></worksheet>")
    unmarked = re.sub(r'\ss="\d+"', "", out)
    assert '<row r="2"><c r="A2"><v>5</v></c>' in unmarked  # spans dropped on a marked row
    assert '<row r="1"><c r="A1"' in unmarked


def test_numbered_rows_are_found_by_their_number_as_by_visiting_every_row() -> None:
    """Where every row is numbered, only the marked rows are visited; the rows found (out of
    order, a number twice, a self-closing row) are those that visiting every row finds."""
    xml = SHEETS["numbered"]
    marks = MARKS["numbered"]
    body = xml[xml.index("<sheetData>") + 11:xml.index("</sheetData>")]
    quick, after = xlsxpatch._rows_to_patch(body, len(body), 1, marks, False)  # type: ignore[arg-type]
    visited = [(m.start(), n) for m, n in xlsxpatch._rows_to_patch(
        body.replace("<row ", "<row  "), len(body), 1, marks, False)[0]]  # the general path
    assert [n for _, n in visited] == [3, 2, 30, 3]
    assert [n for _, n in quick] == [n for _, n in visited]
    assert [body[m.start():m.end()] for m, _ in quick] == [
        '<row r="3" spans="1:2">', '<row r="2">', '<row r="30"/>', '<row r="3">']
    assert after == 301
    out = patched(xml, marks, 7)
    assert set(re.findall(r'<c r="([A-Z]+\d+)"[^>]*?\ss="\d+"', out)) == {"B3", "B2", "A30"}


def test_a_row_with_its_cells_out_of_order_gets_each_mark_once() -> None:
    """A writer's row with its cells in reverse order (E, D, C, B): the marks on C and E land
    on the cells where they stand, the mark on A (no cell) gets one new cell, and no cell is
    written twice (before, C was added in front of E and the real C followed: Excel repairs
    such a sheet)."""
    cells = "".join(f'<c r="{col}5"><v>{n}</v></c>' for n, col in enumerate("EDCB"))
    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<sheetData><row r="5">{cells}</row></sheetData></worksheet>')
    out = patched(xml, {5: {0: "error", 2: "error", 4: "warning"}}, len(xml))
    refs = re.findall(r'<c r="([A-Z]+)5"', out)
    assert sorted(refs) == ["A", "B", "C", "D", "E"]  # each once
    styles = dict(re.findall(r'<c r="([A-Z]+)5"[^>]*?\ss="(\d+)"', out))
    assert set(styles) == {"A", "C", "E"}
    assert styles["A"] == styles["C"] != styles["E"]  # two errors, one warning
    assert re.sub(r'\ss="\d+"', "", out).count("<v>") == 4  # every value kept
