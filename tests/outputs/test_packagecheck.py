"""The check of our own feedback package: every real workbook's feedback (and that of its
variant with a Werkgevers sheet) passes it, each kind of damage a patch could do is found, and a
package the patch would break is handed out as the values copy instead."""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oddpackages import parts_of, with_prefix, write_parts

from intake.definition.messages import UI
from intake.outputs.feedback import patch_package, write_feedback
from intake.outputs.packagecheck import RowPairs, _patched_rows, feedback_problems
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.outputs.xlsxpatch import xml_text
from intake.validation.validate import validate_workbook

from conftest import replace

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld"
PACKAGES = sorted(p for p in REALWORLD.glob("*.xls[xm]") if zipfile.is_zipfile(p))
#: Files that take seconds each (tens of thousands of findings on their variant).
LARGE = {"SheetJS__large_strings.xlsx", "tafia__tests_issue_174.xlsx"}
#: Packages the patcher refuses before writing (no styles part; a styles part without cell
#: formats): they get the values copy, as the other tests of these files show.
REFUSED = {"tealeg__testdocs_noStylesAndSharedStringsTest.xlsx",
           "tafia__tests_nonstandard-xml-ns-prefix.xlsx"}


def is_values_copy(feedback: Path) -> bool:
    """True when the Controle sheet says the workbook is a copy of the values."""
    with zipfile.ZipFile(feedback) as package:
        text = b"".join(package.read(n) for n in package.namelist() if n.endswith(".xml"))
    return any(xml_text(UI[lang]["values_copy"]).encode() in text for lang in ("nl", "en"))


@pytest.mark.skipif(not PACKAGES, reason=f"the real-world workbooks are not at {REALWORLD}")
@pytest.mark.parametrize("variant", [False, True], ids=["as-is", "werkgevers"])
@pytest.mark.parametrize("source", [
    pytest.param(p, marks=pytest.mark.slow) if p.name in LARGE else p
    for p in PACKAGES if p.name not in REFUSED], ids=lambda p: p.name)
def test_every_real_files_feedback_passes_the_check(tmp_path: Path, source: Path,
                                                    variant: bool) -> None:
    """The patched package of every real .xlsx/.xlsm (and of its variant whose cells get
    marked) passes the check as it is, so no real file falls back to the values copy."""
    from validation.test_realworld import werkgevers_variant

    if variant:
        made = werkgevers_variant(source, tmp_path / f"variant{source.suffix}")
        if made is None:
            pytest.skip(f"{source.name} has no worksheet")
        source = made
    target = tmp_path / f"patched{source.suffix}"
    fed = patch_package(source, target, validate_workbook(source), "nl")
    assert feedback_problems(source, target) == []
    assert feedback_problems(source, target, fed) == []
    # The rows paired while patching are the rows found by reading both packages back.
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(target) as after:
        for part, pairs in fed.items():
            again = _patched_rows(before, after, part)
            assert again is not None and pairs.patched() == again.patched(), part


def _base(folder: Path) -> Path:
    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="123"), *VALID_WERKGEVERS[1:]]
    return fill(folder / "bron.xlsx", rows, VALID_DGA)


def _edit(part: str, change: Callable[[str], str]) -> Callable[[dict[str, bytes]], None]:
    def edit(parts: dict[str, bytes]) -> None:
        name = next(n for n in parts if re.fullmatch(part, n))
        parts[name] = change(parts[name].decode()).encode()
    return edit


DAMAGE = {
    "element in no namespace": (_edit(r"\[Content_Types\]\.xml", lambda t: with_prefix(
        t, "ns8").replace("</ns8:Types>", '<Override PartName="/a" ContentType="b"/></ns8:Types>')),
        "in no namespace"),
    "unbound prefix": (_edit(r"xl/styles\.xml", lambda t: t.replace("</styleSheet>",
                                                                   "<q:x/></styleSheet>")),
                       "not XML"),
    "count": (_edit(r"xl/styles\.xml", lambda t: re.sub(
        r'(<cellXfs count=")(\d+)', lambda m: f"{m.group(1)}{int(m.group(2)) + 5}", t)),
        "children"),
    "style index": (_edit(r"xl/worksheets/sheet\d\.xml", lambda t: re.sub(
        r'(<c\b[^>]*\ss=")\d+', r"\g<1>9999", t, count=1)), "cellXfs has"),
    "two selected tabs": (_edit(r"xl/worksheets/sheet1\.xml", lambda t: re.sub(
        r"<sheetView\b", '<sheetView tabSelected="1"', t, count=1)), "2 tabs are selected"),
    # A mark added beside the cell it should have styled (the patch did, on a row whose cells
    # stood out of order): well-formed, and Excel repairs it.
    "a cell twice": (_edit(r"xl/worksheets/sheet1\.xml", lambda t: re.sub(
        r'(<c r="B2"[^>]*?(?:/>|>.*?</c>))', r"\g<1>\g<1>", t, count=1)), "a cell twice"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_the_check_finds_each_kind_of_damage(tmp_path: Path, damage: str) -> None:
    """A feedback package damaged the way a patch could damage it is refused, naming why;
    undamaged it passes."""
    source = _base(tmp_path)
    good = tmp_path / "goed.xlsx"
    patch_package(source, good, validate_workbook(source), "nl")
    assert feedback_problems(source, good) == []
    parts = parts_of(good)
    edit, words = DAMAGE[damage]
    edit(parts)
    problems = feedback_problems(source, write_parts(tmp_path / "stuk.xlsx", parts))
    assert problems and any(words in p for p in problems), problems


def test_notes_are_added_to_a_drawing_whatever_its_prefixes(tmp_path: Path) -> None:
    """openpyxl writes a comments drawing with the VML namespaces as `ns0:` to `ns2:`: our note
    shapes (written `v:`, `o:`, `x:`) get those prefixes declared, so the feedback is patched,
    passes the check and keeps the user's note beside ours; checked again, our old shapes are
    found and replaced, not doubled."""
    import openpyxl
    from openpyxl.comments import Comment

    source = _base(tmp_path)
    book = openpyxl.load_workbook(source)
    book["Werkgevers"]["A1"].comment = Comment("eigen opmerking", "gebruiker")
    book.save(source)
    assert b"ns1:shape" in next(data for name, data in parts_of(source).items()
                                if name.endswith(".vml"))
    feedback = write_feedback(validate_workbook(source), tmp_path / "out")
    assert not is_values_copy(feedback)
    assert feedback_problems(source, feedback) == []
    again = write_feedback(validate_workbook(feedback), tmp_path / "out2")
    assert not is_values_copy(again) and feedback_problems(feedback, again) == []
    vml = next(data for name, data in parts_of(again).items() if name.endswith(".vml"))
    assert vml.count(b"ObjectType=\"Note\"") == 2  # the user's note and our one on E2


def test_a_part_the_patch_cannot_write_gives_the_values_copy(tmp_path: Path) -> None:
    """A comments drawing that binds `x:` to another namespace cannot take our note shapes:
    the values copy is handed out, and the Controle sheet says so."""
    import openpyxl
    from openpyxl.comments import Comment

    source = _base(tmp_path)
    book = openpyxl.load_workbook(source)
    book["DGA"]["A1"].comment = Comment("eigen opmerking", "gebruiker")
    book.save(source)
    parts = parts_of(source)
    vml = next(n for n in parts if n.endswith(".vml"))
    parts[vml] = parts[vml].replace(b"<xml ", b'<xml xmlns:x="urn:example:other" ', 1)
    odd = write_parts(tmp_path / "vml.xlsx", parts)
    assert is_values_copy(write_feedback(validate_workbook(odd), tmp_path / "out"))


def _left_open(text: str) -> str:
    return text.replace("</sheetData>", "<row></sheetData>", 1)


def _style_past_the_end_halfway(text: str) -> str:
    half = text.index('<c r="', len(text) // 2)
    return text[:half] + '<c s="9999"' + text[half + 2:]


def _unbound_prefix_in_row(number: int) -> Callable[[str], str]:
    def change(text: str) -> str:
        at = text.index(f'<row r="{number}"')
        return text[:at] + text[at:].replace("<c ", "<q:c ", 1).replace("</c>", "</q:c>", 1)
    return change


def _a_row_removed_and_damage(text: str) -> str:
    """One row fewer (the pieces no longer pair up with the source's) and an unbound prefix in
    a row the patch left as it was."""
    start = text.index('<row r="2000"')
    text = text[:start] + text[text.index("</row>", start) + 6:]
    return _unbound_prefix_in_row(2500)(text)


@pytest.mark.parametrize(("change", "words"), [(_left_open, "not XML"),
                                               (_style_past_the_end_halfway, "cellXfs has"),
                                               (_unbound_prefix_in_row(1500), "not XML"),
                                               (_a_row_removed_and_damage, "not XML")])
def test_a_large_sheet_is_checked_in_one_pass(tmp_path: Path, change: Callable[[str], str],
                                              words: str) -> None:
    """A worksheet over the size parsed as a tree (1 MB) is still checked: a tag left open at
    its end, a style index past the end of cellXfs halfway down, each found."""
    from intake.outputs.packagecheck import TREE_LIMIT
    from intake.outputs.samples import employer

    rows = [employer(n) for n in range(3000)]
    source = fill(tmp_path / "groot.xlsx", rows, [])
    good = tmp_path / "goed.xlsx"
    patch_package(source, good, validate_workbook(source), "nl")
    assert feedback_problems(source, good) == []
    parts = parts_of(good)
    assert len(parts["xl/worksheets/sheet1.xml"]) > TREE_LIMIT
    _edit(r"xl/worksheets/sheet1\.xml", change)(parts)
    problems = feedback_problems(source, write_parts(tmp_path / "stuk.xlsx", parts))
    assert problems and any(words in p for p in problems), problems


def test_rows_the_patch_left_as_they_were_are_not_judged(tmp_path: Path) -> None:
    """A large sheet is checked as far as the patch changed it: a row of the source that is
    no namespace-aware XML (an unbound prefix), left as it was, is the writer's; the same
    damage in a row where the source has none is ours and found."""
    from intake.outputs.samples import employer

    rows = [employer(n) for n in range(3000)]
    rows[1199] = replace(rows[1199], loonheffingennummer="123")  # row 1201 gets a mark
    source = fill(tmp_path / "groot.xlsx", rows, [])
    parts = parts_of(source)
    name = "xl/worksheets/sheet1.xml"
    _edit(r"xl/worksheets/sheet1\.xml", _unbound_prefix_in_row(1500))(parts)
    quirky = write_parts(tmp_path / "eigenaardig.xlsx", parts)
    feedback = tmp_path / "feedback.xlsx"
    patch_package(quirky, feedback, validate_workbook(quirky), "nl")
    assert b"<q:c " in parts_of(feedback)[name]
    assert feedback_problems(quirky, feedback) == []
    damaged = parts_of(feedback)
    _edit(r"xl/worksheets/sheet1\.xml", _unbound_prefix_in_row(1201))(damaged)
    problems = feedback_problems(quirky, write_parts(tmp_path / "stuk.xlsx", damaged))
    assert problems and any("not XML" in p for p in problems), problems


_SHEET = (b'<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="2"><c r="A2" s="1"/></row>'
          b'<row r="3"><c r="A3"/></row></sheetData></worksheet>')


@settings(max_examples=200, deadline=None)
@given(cut_old=st.lists(st.integers(0, len(_SHEET)), max_size=6),
       cut_new=st.lists(st.integers(0, len(_SHEET) + 5), max_size=6),
       old_first=st.booleans())
def test_rows_pair_however_the_blocks_are_cut(cut_old: list[int], cut_new: list[int],
                                              old_first: bool) -> None:
    """Fed in blocks cut anywhere (inside a tag, inside `</row>`), in either order, the pairs
    keep the start, the one changed row and the end: row 2's style changed, rows 1 and 3 and
    the end as they were. A row more in the new part pairs up with nothing: None."""
    new = _SHEET.replace(b'<c r="A2" s="1"/>', b'<c r="A2" s="9"/>')

    def blocks(data: bytes, cuts: list[int]) -> list[bytes]:
        edges = [0, *sorted(c for c in cuts if c <= len(data)), len(data)]
        return [data[a:b] for a, b in itertools.pairwise(edges)]

    def fed(old: bytes, patched: bytes) -> bytes | None:
        pairs = RowPairs()
        sides = [(pairs.old, blocks(old, cut_old)), (pairs.new, blocks(patched, cut_new))]
        for side, pieces in sides if old_first else sides[::-1]:
            for piece in pieces:
                side(piece)
        return pairs.patched()

    assert fed(_SHEET, new) == (b'<worksheet><sheetData><row r="1"><c r="A1"/></row>'
                                b'<row r="2"><c r="A2" s="9"/></row></sheetData></worksheet>')
    assert fed(_SHEET, _SHEET.replace(b"</sheetData>", b'<row r="4"/></row></sheetData>')) \
        is None


def test_a_cell_the_writer_had_twice_is_not_ours_to_refuse(tmp_path: Path) -> None:
    """A source whose marked row already holds a cell twice (a writer's quirk): its feedback
    passes the check; only a cell the patch doubled is refused (see "a cell twice" above)."""
    source = _base(tmp_path)
    parts = parts_of(source)
    name = next(n for n in parts if re.fullmatch(r"xl/worksheets/sheet1\.xml", n))
    text = parts[name].decode()
    doubled = re.sub(r'(<c r="A2"[^>]*?(?:/>|>.*?</c>))', r"\g<1>\g<1>", text, count=1)
    assert doubled != text
    parts[name] = doubled.encode()
    quirky = write_parts(tmp_path / "dubbel.xlsx", parts)
    feedback = tmp_path / "feedback.xlsx"
    patch_package(quirky, feedback, validate_workbook(quirky), "nl")
    assert feedback_problems(quirky, feedback) == []


def test_a_row_end_tag_in_cdata_does_not_refuse_a_good_patch(tmp_path: Path) -> None:
    """A marked row with a CDATA section that holds "</row>": the rows cut at that text do
    not parse alone, so the whole sheet decides; it is well-formed, and the patched package
    is handed out, not the values copy."""
    source = _base(tmp_path)
    parts = parts_of(source)
    name = "xl/worksheets/sheet1.xml"
    cdata = '<c r="Z2" t="inlineStr"><is><t><![CDATA[a</row>b]]></t></is></c></row>'
    text = parts[name].decode()
    end = text.index("</row>", text.index('<row r="2"'))
    parts[name] = (text[:end] + cdata + text[end + len("</row>"):]).encode()
    quirky = write_parts(tmp_path / "cdata.xlsx", parts)
    feedback = tmp_path / "feedback.xlsx"
    fed = patch_package(quirky, feedback, validate_workbook(quirky), "nl")
    assert b"CDATA[a</row>b]]" in parts_of(feedback)[name]
    assert feedback_problems(quirky, feedback, fed) == []
    assert feedback_problems(quirky, feedback) == []
    write_feedback(validate_workbook(quirky), tmp_path / "uit")
    assert not is_values_copy(tmp_path / "uit" / "cdata-feedback.xlsx")
