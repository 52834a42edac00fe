"""Packages shaped as other programs write them, made from an openpyxl package by rewriting its
XML: prefixed roots (`<ns8:Types>`, `<ns3:Relationships>`, an `x:` styles.xml without a default
namespace), mc:AlternateContent inside cellXfs as Hancell writes it, and a selected tab that is
a chart, dialog or macro sheet."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS_X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"


def parts_of(path: Path) -> dict[str, bytes]:
    """Every part of the package, by name, in order."""
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def write_parts(target: Path, parts: dict[str, bytes]) -> Path:
    """A package holding `parts`."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return target


def with_prefix(xml: str, prefix: str) -> str:
    """`xml` whose root declares a default namespace, with that namespace bound to `prefix`
    instead and every element name prefixed: no default namespace is left."""
    xml = re.sub(r'\sxmlns="([^"]*)"', rf' xmlns:{prefix}="\1"', xml, count=1)
    return re.sub(r"<(/?)([A-Za-z_][\w.-]*)(?=[\s/>])", rf"<\1{prefix}:\2", xml)


def prefixed_package(source: Path, target: Path) -> Path:
    """`source` with [Content_Types].xml as `<ns8:Types>`, every .rels as
    `<ns3:Relationships>` and styles.xml as `<x:styleSheet>`, none with a default namespace."""
    parts = parts_of(source)
    for name, data in parts.items():
        if name == "[Content_Types].xml":
            parts[name] = with_prefix(data.decode(), "ns8").encode()
        elif name.endswith(".rels"):
            parts[name] = with_prefix(data.decode(), "ns3").encode()
        elif name == "xl/styles.xml":
            parts[name] = with_prefix(data.decode(), "x").encode()
    return write_parts(target, parts)


def hancell_styles(source: Path, target: Path) -> Path:
    """`source` with styles.xml prefixed `x:` and each cell format after the first wrapped as
    Hancell writes it: an mc:AlternateContent whose Choice holds the format with an attribute
    in a namespace declared only on the Choice, and whose Fallback holds it plainly. cellXfs'
    count counts both, as Hancell's does."""
    parts = parts_of(source)
    styles = with_prefix(parts["xl/styles.xml"].decode(), "x")
    opening = re.search(r"<x:cellXfs\b[^>]*>", styles)
    assert opening is not None
    close = styles.index("</x:cellXfs>")
    xfs = re.findall(r"<x:xf\b[^>]*?(?:/>|>.*?</x:xf>)", styles[opening.end():close], re.S)
    assert len(xfs) >= 2, "the source needs at least two cell formats"
    choice = '<x:xf x14ac:quotePrefix="0" '
    wrapped = [xfs[0]] + [
        f'<mc:AlternateContent xmlns:mc="{NS_MC}"><mc:Choice Requires="x14ac" '
        f'xmlns:x14ac="{NS_X14AC}">{xf.replace("<x:xf ", choice, 1)}'
        f"</mc:Choice><mc:Fallback>{xf}</mc:Fallback></mc:AlternateContent>" for xf in xfs[1:]]
    start = re.sub(r'\scount="\d+"', "", opening.group(0))[:-1] + \
        f' count="{len(xfs) * 2 - 1}">'
    parts["xl/styles.xml"] = (styles[:opening.start()] + start + "".join(wrapped)
                              + styles[close:]).encode()
    return write_parts(target, parts)


def with_chart_sheet_selected(source: Path, target: Path) -> Path:
    """`source` (openpyxl can load it) with a chart sheet added last, the selected tab."""
    book = openpyxl.load_workbook(source)
    chart_sheet = book.create_chartsheet("Grafiek")
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = False
    chart_sheet.sheetViews.sheetView[0].tabSelected = True
    book.active = book._sheets.index(chart_sheet)
    book.save(target)
    return target


#: kind → (relationship type, content type, part XML) of a sheet openpyxl cannot write.
OTHER_SHEETS = {
    "dialogsheet": (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml",
        f'<dialogsheet xmlns="{NS_MAIN}"><sheetViews><sheetView tabSelected="1" '
        'workbookViewId="0"/></sheetViews><pageMargins left="0.7" right="0.7" top="0.75" '
        'bottom="0.75" header="0.3" footer="0.3"/></dialogsheet>'),
    "macrosheet": (
        "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
        "application/vnd.ms-excel.macrosheet+xml",
        '<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" '
        f'xmlns="{NS_MAIN}"><sheetViews><sheetView tabSelected="1" workbookViewId="0"/>'
        "</sheetViews><sheetData/></xm:macrosheet>"),
}


def with_other_sheet_selected(source: Path, target: Path, kind: str) -> Path:
    """`source` with a dialog or macro sheet added last as the one selected tab."""
    rel_type, content_type, xml = OTHER_SHEETS[kind]
    parts = parts_of(source)
    part = f"xl/{kind}s/sheet1.xml"
    parts[part] = xml.encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>').encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", f'<Relationship Id="rIdOdd1" Type="{rel_type}" '
        f'Target="{kind}s/sheet1.xml"/></Relationships>').encode()
    book = parts["xl/workbook.xml"].decode()
    count = len(re.findall(r"<sheet\b", book))
    book = book.replace("</sheets>", f'<sheet xmlns:r="http://schemas.openxmlformats.org/'
                        f'officeDocument/2006/relationships" name="Odd" sheetId="{count + 1}" '
                        'r:id="rIdOdd1"/></sheets>')
    book = re.sub(r'\sactiveTab="\d+"', "", book)
    parts["xl/workbook.xml"] = re.sub(r"<workbookView\b", f'<workbookView activeTab="{count}"',
                                      book, count=1).encode()
    for name, data in parts.items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            parts[name] = re.sub(rb'\stabSelected="(1|true)"', b"", data)
    return write_parts(target, parts)


def selected_tabs(path: Path) -> list[str]:
    """The parts of the package whose sheet view is selected."""
    out = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if re.search(r"(?:work|chart|dialog|macro)sheets/[^/]+\.xml$", name) and re.search(
                    rb"<(?:\w+:)?sheetView\b[^>]*tabSelected=\"(?:1|true)\"",
                    package.read(name)):
                out.append(name)
    return out
