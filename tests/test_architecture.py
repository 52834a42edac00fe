"""The folders show the parts, and the parts lean one way: every import of `intake`'s modules
(at the top, inside functions, for type checking alike) goes to the same part or to one below,
and no module reaches itself through its imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "intake"
#: The parts, lowest first: a part may import only from itself and the parts before it.
LAYERS = ("definition", "validation", "outputs", "checking", "batch", "web", "cli")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the intake modules it imports (a name imported from a package counts as its
    submodule when there is one)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("intake")}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.startswith("intake"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    # The facade (`from intake import validate_workbook`) loads its names on first use and
    # names them only for type checkers: it sits on top, with the command line.
    graph["intake"] = set()
    return graph


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:
        return None  # the package itself: the public facade
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def test_intake_is_its_parts_and_the_command_line() -> None:
    """Every module lives in a part (or is the command line, the facade or `python -m`)."""
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "cli.py"]
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} \
        == {*LAYERS[:-1], "templates"}


def test_no_part_reaches_up() -> None:
    """A part imports only from itself and the parts below it."""
    wrong = []
    for module, imported in _imports().items():
        mine = _layer(module)
        if mine is None:
            continue
        wrong += [f"{module} -> {other}" for other in sorted(imported)
                  if (theirs := _layer(other)) is not None and theirs > mine]
    assert wrong == []


def test_no_import_circles() -> None:
    """No module reaches itself through the modules it imports."""
    graph = _imports()
    circles: list[list[str]] = []

    def visit(module: str, path: list[str], done: set[str]) -> None:
        for other in sorted(graph.get(module, ())):
            if other in path:
                circles.append([*path[path.index(other):], other])
            elif other not in done:
                visit(other, [*path, other], done)
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module], done)
    assert circles == []


def test_the_web_reads_the_ledger_through_its_read_interface() -> None:
    """SQL in the web intake touches only its own tables (web_*, in its own file or the keys in
    the attached ledger) and SQLite's schema table; the ledger's own are read through
    `intake.batch.views`."""
    import re

    tables = set()
    for path in (PACKAGE / "web").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        tables |= set(re.findall(r"(?:FROM|JOIN|INTO|UPDATE)\s+(?:ledger\.)?(\w+)", text))
    assert tables and all(t.startswith("web_") or t == "sqlite_master" for t in tables), tables

