"""Realistic workbooks for the benchmarks: N employers, 25% with a DGA row, 5% with a mistake.

Written with openpyxl's write-only mode (fast, low memory) in the template's layout.
"""

from __future__ import annotations

import random
from pathlib import Path

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.samples import dga, lhn, werkgever

MISTAKES = (
    ("loonheffingennummer", "123456789L01"),  # elfproef
    ("verloning", "week"),  # unsupported period
    ("salarisverwerker_email", "geen-adres"),  # e-mail
    ("werkgever_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),  # GUID
    ("raamwerkcontractnummer", "B020123456"),  # contract prefix
)


def write_workbook(path: Path, employers: int, seed: int = 7) -> Path:
    """Write a workbook with `employers` rows; a quarter have one DGA, 5% carry one mistake."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    werkgevers = book.create_sheet(WERKGEVERS.name)
    dga_sheet = book.create_sheet(DGA.name)
    werkgevers.append([f.label for f in WERKGEVERS.fields])
    dga_sheet.append([f.label for f in DGA.fields])
    for n in range(employers):
        has_dga = n % 4 == 0
        row: dict[str, object] = {
            "salarisverwerker_naam": f"Salarisbureau {n // 500}",
            "salarisverwerker_email": f"salaris{n // 500}@bureau.nl",
            "werkgever_naam": f"Werkgever {n} B.V.", "raamwerkcontractnummer": f"A020{n:06d}",
            "loonheffingennummer": lhn(n), "werkgever_id": str(5_000_000 + n),
            "verloning": rng.choice(("Maand", "4 weken")),
            "dertiende_maand": rng.choice(("Ja", "Nee")),
            "dga_in_verloning": "Ja" if has_dga else "Nee"}
        if rng.random() < 0.05:
            name, value = rng.choice(MISTAKES)
            row[name] = value
        werkgevers.append(list(werkgever(**row)))
        if has_dga:
            dga_sheet.append(list(dga(werkgever_id=str(5_000_000 + n),
                                      naam=f"DGA van werkgever {n}",
                                      personeelsnummer=str(1000 + n % 97))))
    book.save(path)
    return path
