"""Print pyproject's runtime dependencies pinned at their floors (`>=X` becomes `==X`).

Every dependency must name exactly one lower bound with `>=`: a dependency without one has no
floor that CI can test, so this script refuses it (exit 1). Extras and environment markers are
kept, so `pandera[polars]>=0.26` prints `pandera[polars]==0.26` and a Windows-only dependency
stays Windows-only. Standard library only: it runs before any venv exists.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<extras>\[[^\]]*\])?\s*"
    r">=\s*(?P<floor>[0-9][A-Za-z0-9.+!-]*)\s*(?P<marker>;.*)?$")


def floor_pins(pyproject: Path) -> list[str]:
    """Each runtime dependency of `pyproject` as `name[extras]==floor; marker`."""
    with pyproject.open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    pins = []
    for requirement in dependencies:
        match = REQUIREMENT.match(requirement)
        if match is None:
            raise ValueError(f"{requirement!r} has no single '>=' floor")
        marker = f"; {match['marker'][1:].strip()}" if match["marker"] else ""
        pins.append(f"{match['name']}{match['extras'] or ''}=={match['floor']}{marker}")
    return pins


def main() -> int:
    """Print the pins of the pyproject.toml named on the command line (default: the repo's)."""
    pyproject = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / \
        "pyproject.toml"
    try:
        print("\n".join(floor_pins(pyproject)))
    except ValueError as exc:
        print(f"floor_pins: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
