"""The small parts of a package (styles, content types, relationships) as a namespace-aware tree
of text positions, so they can be patched as text without losing a byte of what we do not touch.

Elements are found by namespace URI and local name, never by the prefix a writer chose
(`<ns8:Types>`, `<x:cellXfs>` and `<cellXfs>` are all found), and new elements are written with
the prefix in use for their parent's namespace. `mc:AlternateContent` is read as a consumer that
does not understand its Choice reads it: as the content of its Fallback.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html import unescape

from intake.definition.errors import IntakeError

NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS_XML = "http://www.w3.org/XML/1998/namespace"

_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE[^>]*>"
    r"|</([^\s>]+)\s*>"
    r"|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>", re.S)
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_NAME = re.compile(r"<(/?)([A-Za-z_][\w.-]*)(?=[\s/>])")
_QNAMES = re.compile(r"<([A-Za-z_][\w.-]*):[\w.-]+|\s([A-Za-z_][\w.-]*):[\w.-]+\s*=")


class PartError(IntakeError):
    """A part this module cannot read as namespace-aware XML."""

    code = "package-unpatchable"


@dataclass(eq=False)
class Node:
    """One element: its name, namespace, the namespaces in scope and where its text is."""

    prefix: str
    local: str
    ns: str
    attrs: dict[str, str]
    scope: dict[str, str]
    start: int
    head_end: int
    inner_end: int = -1
    end: int = -1
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def self_closing(self) -> bool:
        """True for `<name …/>`."""
        return self.inner_end == self.head_end and self.end == self.head_end

    def content(self) -> list[Node]:
        """The children a consumer sees that does not understand any mc:Choice: every
        mc:AlternateContent stands for the children of its mc:Fallback (none without one)."""
        out: list[Node] = []
        for child in self.children:
            if child.ns == NS_MC and child.local == "AlternateContent":
                for branch in child.children:
                    if branch.ns == NS_MC and branch.local == "Fallback":
                        out += branch.content()
            else:
                out.append(child)
        return out

    def find(self, ns: str, local: str) -> Node | None:
        """The first child (as `content` gives them) with this namespace and local name."""
        return next((c for c in self.content() if c.ns == ns and c.local == local), None)

    def qname(self, local: str) -> str:
        """`local` with the prefix this element uses (an element in its namespace)."""
        return f"{self.prefix}:{local}" if self.prefix else local


def parse(text: str) -> Node:
    """The root element of the XML document `text`. Raises PartError when the text is not
    well-formed, namespace-aware XML (an unbound prefix, a tag left open)."""
    try:
        ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise PartError(f"not well-formed XML: {exc}") from exc
    root: Node | None = None
    stack: list[Node] = []
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None:  # an end tag
            node = stack.pop()
            node.inner_end, node.end = m.start(), m.end()
            continue
        if m.group(2) is None:
            continue  # a comment, processing instruction or CDATA section
        parent = stack[-1] if stack else None
        raw = {k: unescape(v[1:-1]) for k, v in _ATTR.findall(m.group(3))}
        scope = dict(parent.scope) if parent else {"xml": NS_XML}
        for k, v in raw.items():
            if k == "xmlns":
                scope[""] = v
            elif k.startswith("xmlns:"):
                scope[k[6:]] = v
        prefix, _, local = m.group(2).rpartition(":")
        node = Node(prefix, local, scope.get(prefix, ""), raw, scope, m.start(), m.end(),
                    parent=parent)
        if parent is not None:
            parent.children.append(node)
        elif root is None:
            root = node
        if m.group(4):
            node.inner_end = node.end = m.end()
        else:
            stack.append(node)
    if root is None or stack:
        raise PartError("no root element")
    return root


def qualify(fragment: str, prefix: str) -> str:
    """`fragment` (elements written without a prefix) with `prefix` on every element name."""
    if not prefix:
        return fragment
    return _NAME.sub(lambda m: f"<{m.group(1)}{prefix}:{m.group(2)}", fragment)


def portable(text: str, node: Node, scope: dict[str, str]) -> str:
    """The text of `node` as it must be written where `scope` holds: with a declaration for
    every prefix it uses that is bound otherwise (or not at all) there, so an element taken out
    of an mc:Fallback or mc:Choice keeps the meaning of its names."""
    element = text[node.start:node.end]
    used = {""} if not node.prefix else set()
    for m in _QNAMES.finditer(element):
        used.add(m.group(1) or m.group(2))
    used -= {"xmlns", "xml"}
    own = {k[6:] if k.startswith("xmlns:") else "" for k in node.attrs
           if k == "xmlns" or k.startswith("xmlns:")}
    declare = []
    for prefix in sorted(used - own):
        uri = node.scope.get(prefix, "")
        if scope.get(prefix, "") != uri:
            if prefix and not uri:
                raise PartError(f"prefix {prefix} is not bound")
            name = f"xmlns:{prefix}" if prefix else "xmlns"
            declare.append(f' {name}="{uri}"')
    if not declare:
        return element
    at = node.head_end - node.start - (2 if element[:node.head_end - node.start].endswith(
        "/>") else 1)
    return element[:at] + "".join(declare) + element[at:]


def insert_children(text: str, node: Node, children: str,
                    set_attrs: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    """The edits (start, end, replacement) that put `children` last in `node` and set
    `set_attrs` on its start tag; apply them with `apply`."""
    head = text[node.start:node.head_end]
    if set_attrs:
        for name, value in set_attrs.items():
            pattern = re.compile(rf"(\s{re.escape(name)}\s*=\s*)(\"[^\"]*\"|'[^']*')")
            found = pattern.search(head)
            if found:
                head = f'{head[:found.start(2)]}"{value}"{head[found.end(2):]}'
            else:
                cut = len(head) - (2 if head.endswith("/>") else 1)
                head = head[:cut].rstrip() + f' {name}="{value}"' + head[cut:]
    if node.self_closing:
        name = f"{node.prefix}:{node.local}" if node.prefix else node.local
        opened = head[:-2].rstrip() + ">"
        return [(node.start, node.end, f"{opened}{children}</{name}>")]
    return [(node.start, node.head_end, head), (node.inner_end, node.inner_end, children)]


def apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with the edits (start, end, replacement) made; they must not overlap."""
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
