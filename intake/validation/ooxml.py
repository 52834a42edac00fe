"""Reading the parts of an OOXML package: namespaces (transitional and strict), attributes of a
start tag, the relationships of a part. Shared by the package inspection, the reader and the
feedback patcher."""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from html import unescape

NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: Strict OOXML (ISO/IEC 29500 strict, `conformance="strict"`) uses other namespace URIs.
NS_REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
NS_MAIN_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"

_ATTR = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


@dataclass(frozen=True)
class Namespaces:
    """The namespace URIs of a package: transitional (what most programs write) or strict."""

    main: str
    rel: str

    def rel_type(self, kind: str) -> str:
        """The relationship type URI of `kind` (worksheet, comments, vmlDrawing …)."""
        return f"{self.rel}/{kind}"


TRANSITIONAL = Namespaces(NS_MAIN, NS_REL)
STRICT = Namespaces(NS_MAIN_STRICT, NS_REL_STRICT)


def namespaces_of(book_xml: str) -> Namespaces:
    """STRICT when the workbook part's root element is in the strict namespace."""
    root = re.search(r"<(?:(\w+):)?workbook\b([^>]*)>", book_xml)
    if root is None:
        return TRANSITIONAL
    declared = attrs(root.group(2)).get(f"xmlns:{root.group(1)}" if root.group(1) else "xmlns")
    return STRICT if declared == NS_MAIN_STRICT else TRANSITIONAL


def is_rel(rel_type: str, kind: str) -> bool:
    """True when `rel_type` is the relationship type `kind` in either namespace."""
    return rel_type in (TRANSITIONAL.rel_type(kind), STRICT.rel_type(kind))


def attrs(tag: str) -> dict[str, str]:
    """The attributes of an XML start tag, unescaped."""
    return {k: unescape(v[1:-1]) for k, v in _ATTR.findall(tag)}


@dataclass
class Relationship:
    """One relationship of a part: id, type, and the target as a package path."""

    id: str
    type: str
    target: str
    external: bool = False


def read_rels(package: zipfile.ZipFile, part: str) -> list[Relationship]:
    """The relationships of `part` (e.g. xl/workbook.xml), with targets resolved to paths."""
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_path not in package.namelist():
        return []
    with package.open(rels_path) as stream:  # relationship parts are small: at most 4 MB
        text = stream.read(1 << 22).decode("utf-8", "replace")
    out = []
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", text):
        a = attrs(tag)
        external = a.get("TargetMode") == "External"
        target = a.get("Target", "")
        if not external:
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
        out.append(Relationship(a.get("Id", ""), a.get("Type", ""), target, external))
    return out


def rels_path_of(part: str) -> str:
    """The path of the relationships part of `part`."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")
