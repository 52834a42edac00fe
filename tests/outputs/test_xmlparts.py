"""The small parts of a package read as a namespace-aware tree: elements found whatever prefix
the writer chose, mc:AlternateContent read as its Fallback, new elements in the prefix in use."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from intake.outputs.xmlparts import (
    PartError,
    apply,
    insert_children,
    parse,
    portable,
    qualify,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
HANCELL = (f'<x:styleSheet xmlns:x="{MAIN}"><x:cellXfs count="3"><x:xf fontId="0"/>'
           f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="a" xmlns:a="{AC}">'
           '<x:xf a:k="1" fontId="1"/></mc:Choice><mc:Fallback><x:xf fontId="2"/></mc:Fallback>'
           "</mc:AlternateContent></x:cellXfs></x:styleSheet>")


def test_elements_are_found_by_namespace_whatever_their_prefix() -> None:
    """`x:cellXfs` and `cellXfs` in the main namespace are both found; one in no namespace
    is not."""
    for text in (HANCELL, f'<styleSheet xmlns="{MAIN}"><cellXfs/></styleSheet>'):
        assert parse(text).find(MAIN, "cellXfs") is not None
    assert parse("<styleSheet><cellXfs/></styleSheet>").find(MAIN, "cellXfs") is None


def test_alternate_content_is_read_as_its_fallback() -> None:
    """The formats of cellXfs are those a consumer sees that skips the Choice: two, not three."""
    xfs = parse(HANCELL).find(MAIN, "cellXfs")
    assert xfs is not None
    assert [c.attrs["fontId"] for c in xfs.content()] == ["0", "2"]


def test_an_element_taken_out_of_its_scope_keeps_its_namespaces() -> None:
    """A format copied out of the Choice declares the prefix it was given there, so the copy
    parses where it is put."""
    xfs = parse(HANCELL).find(MAIN, "cellXfs")
    assert xfs is not None
    choice = xfs.children[1].children[0].children[0]
    copy = portable(HANCELL, choice, xfs.scope)
    assert f'xmlns:a="{AC}"' in copy
    ET.fromstring(f'<x:cellXfs xmlns:x="{MAIN}">{copy}</x:cellXfs>')


def test_new_children_go_last_in_the_prefix_in_use_with_the_count_set() -> None:
    """Children added to `<x:cellXfs count="3">` are `x:xf`, after the others, count updated;
    a self-closing parent is opened up."""
    xfs = parse(HANCELL).find(MAIN, "cellXfs")
    assert xfs is not None
    text = apply(HANCELL, insert_children(HANCELL, xfs, qualify("<xf fontId=\"9\"/>", "x"),
                                          {"count": "3"}))
    root = ET.fromstring(text)
    cell_xfs = root.find(f"{{{MAIN}}}cellXfs")
    assert cell_xfs is not None and cell_xfs.get("count") == "3"
    assert cell_xfs[-1].tag == f"{{{MAIN}}}xf" and cell_xfs[-1].get("fontId") == "9"
    empty = f'<ns8:Types xmlns:ns8="{MAIN}"/>'
    root_node = parse(empty)
    opened = apply(empty, insert_children(empty, root_node, qualify("<Default/>", "ns8")))
    assert opened == f'<ns8:Types xmlns:ns8="{MAIN}"><ns8:Default/></ns8:Types>'


@pytest.mark.parametrize("text", ['<x:a xmlns:x="u"><y:b/></x:a>', "<a><b></a>", ""])
def test_what_is_not_namespace_aware_xml_is_refused(text: str) -> None:
    """An unbound prefix, a tag left open, no element: PartError, never a guess."""
    with pytest.raises(PartError):
        parse(text)
