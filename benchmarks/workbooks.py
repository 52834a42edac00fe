"""Realistic workbooks for the benchmarks: N employers, 25% with a DGA row, 5% with a mistake.

Written with openpyxl's write-only mode (fast, low memory) in the template's layout.
"""

from __future__ import annotations

import random
from pathlib import Path

from intake.fields import DGA, WERKGEVERS
from intake.samples import lhn

MISTAKES = (
    (4, "123456789L01"),          # elfproef
    (6, "week"),                  # unsupported period
    (1, "geen-adres"),            # e-mail
    (5, "3fa85f64-5717-4562-b3fc-2c963f66afa6"),  # GUID
    (3, "B020123456"),            # contract prefix
)


def write_workbook(path: Path, employers: int, seed: int = 7) -> Path:
    """Write a workbook with `employers` rows; a quarter have one DGA, 5% carry one mistake."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    werkgevers = book.create_sheet(WERKGEVERS.name)
    dga = book.create_sheet(DGA.name)
    werkgevers.append([f.label for f in WERKGEVERS.fields])
    dga.append([f.label for f in DGA.fields])
    for n in range(employers):
        has_dga = n % 4 == 0
        row: list[object] = [
            f"Salarisbureau {n // 500}", f"salaris{n // 500}@bureau.nl", f"Werkgever {n} B.V.",
            f"A020{n:06d}", lhn(n), str(5_000_000 + n), rng.choice(("Maand", "4 weken")),
            rng.choice(("Ja", "Nee")), "Ja" if has_dga else "Nee"]
        if rng.random() < 0.05:
            index, value = rng.choice(MISTAKES)
            row[index] = value
        werkgevers.append(row)
        if has_dga:
            dga.append([str(5_000_000 + n), f"DGA van werkgever {n}", str(1000 + n % 97)])
    book.save(path)
    return path
