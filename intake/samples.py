"""The sample workbooks in `samples/`: a valid example and one with each typical mistake.

The rows are data the tests use too; `write_samples` fills copies of the real template with them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from intake.fields import CHECKLIST, DGA, EXPLANATION_SHEET, WERKGEVERS
from intake.template import DEFAULT_TEMPLATE_NAME, build_template, write_template

Row = tuple[object, ...]

#: Valid employers, in the order of WERKGEVERS.fields. Every loonheffingennummer passes the
#: elfproef; 001224153L05 keeps its leading zeros.
VALID_WERKGEVERS: tuple[Row, ...] = (
    ("Salarisbureau De Telling B.V.", "salaris@detelling.nl", "Bakkerij Van Dijk B.V.",
     "A020123456", "810662504L01", "8106625", "Maand", "Ja", "Ja"),
    ("Salarisbureau De Telling B.V.", "salaris@detelling.nl", "Café De Kroon V.O.F.",
     "A020654321", "001224153L05", "8106630", "4 weken", "Nee", "Nee"),
    ("Salarisbureau De Telling B.V.", "salaris@detelling.nl", "Coöperatie Zorg Samen U.A.",
     "A020777001", "801234566L01", "8120001", "Maand", "Ja", "Ja"),
    ("Salarisbureau De Telling B.V.", "salaris@detelling.nl", "Installatiebedrijf Jansen & Zn.",
     "A020900017", "812345678L01", "8120456", "Maand", "Nee", "Nee"),
    ("Salarisbureau De Telling B.V.", "salaris@detelling.nl", "Hoveniersbedrijf 't Groene Hart",
     "A020310555", "834567891L02", "8133300", "4 weken", "Ja", "Ja"),
    ("Salarisbureau De Telling B.V.", "salaris@detelling.nl", "Tandartspraktijk Öztürk",
     "A020444888", "865432107L01", "8140007", "Maand", "Ja", "Nee"),
)

#: DGA rows of the valid employers (Werkgever ID, name, personeelsnummer).
VALID_DGA: tuple[Row, ...] = (
    ("8106625", "J. van Dijk", "1001"),
    ("8106625", "M. van Dijk-de Vries", "1002"),
    ("8120001", "A. Bakker", "17"),
    ("8133300", "P. de Groot", "3"),
)

_BUREAU = ("Salarisbureau De Telling B.V.", "salaris@detelling.nl")

#: One typical mistake per row (the comment names the finding it causes). Rows 2 and 3 are
#: correct apart from spelling the validator normalises (with a warning for row 3).
MISTAKE_WERKGEVERS: tuple[Row, ...] = (
    (*_BUREAU, "Bakkerij Van Dijk B.V.", "a020-123.456", "810662504L01", 8106625.0, "maandelijks",
     True, "j"),  # all normalised, no finding
    (*_BUREAU, "Café De Kroon V.O.F.", "A020654321", "1224153L05", "8106630", "4 weken", "nee",
     "n"),  # lhn-normalised (warning)
    ("Salarisbureau De Telling B.V.", "salaris@detelling", "Drukkerij Het Blad B.V.",
     "A020100001", "805551232L01", "8150001", "Maand", "Nee", "Nee"),  # email-invalid
    (*_BUREAU, "", "A020100002", "876543219L01", "8150002", "Maand", "Nee", "Nee"),  # required
    (*_BUREAU, "=HYPERLINK(\"http://example.invalid\",\"Klik\")", "A020100003", "876543219L02",
     "8150003", "Maand", "Nee", "Nee"),  # formula-text
    (*_BUREAU, "Garage Smit", "B120100004", "876543219L03", "8150004", "Maand", "Nee",
     "Nee"),  # contract-prefix
    (*_BUREAU, "Garage Smit Noord", "A020-12X", "876543219L04", "8150005", "Maand", "Nee",
     "Nee"),  # contract-format
    (*_BUREAU, "Schildersbedrijf Kok", "A020100006", "NL876543219B01", "8150006", "Maand", "Nee",
     "Nee"),  # lhn-btw
    (*_BUREAU, "Fietsenmaker Visser", "A020100007", "123456789L01", "8150007", "Maand", "Nee",
     "Nee"),  # lhn-elfproef
    (*_BUREAU, "Kapsalon Mulder", "A020100008", "876543219L00", "8150008", "Maand", "Nee",
     "Nee"),  # lhn-subnumber
    (*_BUREAU, "Bloemist De Boer", "A020100009", "87654321L", "8150009", "Maand", "Nee",
     "Nee"),  # lhn-format
    (*_BUREAU, "Slagerij Bos", "A020100010", "876543219L05", "3fa85f64-5717-4562-b3fc-2c963f66afa6",
     "Maand", "Nee", "Nee"),  # guid-instead-of-id
    (*_BUREAU, "Bouwbedrijf Meijer", "A020100011", "876543219L06", "81O6626", "Maand", "Nee",
     "Nee"),  # digits-only (letter O)
    (*_BUREAU, "Uitzendbureau Vos", "A020100012", "876543219L07", "8150012", "week", "Nee",
     "Nee"),  # verloning-unsupported
    (*_BUREAU, "Architect Peters", "A020100013", "876543219L08", "8150013", "jaarlijks?", "Nee",
     "Nee"),  # verloning-invalid
    (*_BUREAU, "Notaris Hendriks", "A020100014", "876543219L09", "8150014", "Maand", "misschien",
     "Nee"),  # ja-nee-invalid
    (*_BUREAU, "Advocaten Dekker", "A020100015", "876543219L10", "8150015", "Maand", "Nee",
     "Ja"),  # dga-rows-rejected: its DGA rows have errors
    (*_BUREAU, "Accountants Prins", "A020100018", "876543219L13", "8150018", "Maand", "Nee",
     "Ja"),  # dga-missing
    (*_BUREAU, "Transport Brouwer", "A020100016", "876543219L11", "8150016", "Maand", "Nee",
     "Nee"),  # dga-unexpected (a DGA row names 8150016)
    (*_BUREAU, "Makelaardij Wit", "A020100017", "876543219L12", "8150017", "Maand", "Nee",
     "Nee"),  # werkgever-duplicate (with the next row)
    (*_BUREAU, "Makelaardij Wit", "A020100017", "876543219L12", "8150017", "Maand", "Nee",
     "Nee"),  # werkgever-duplicate
)

MISTAKE_DGA: tuple[Row, ...] = (
    ("8106625", "J. van Dijk", "1001"),  # personeelsnummer-duplicate (with the next row)
    ("8106625", "M. van Dijk-de Vries", "1001"),  # personeelsnummer-duplicate
    ("9999999", "K. Onbekend", "5"),  # dga-werkgever-unknown
    ("8150016", "T. Brouwer", "7"),  # makes 8150016 (Nee) an error: dga-unexpected
    ("8150015", "", "9"),  # required (naam); employer 8150015 says Ja: dga-rows-rejected
    ("8150015", "R. Dekker", "12a"),  # digits-only
    ("8150015", "S. Dekker", "13"),  # fine, but held back with its employer
)

#: The step 1 checklist of the mistakes sample: one right not confirmed (a warning).
MISTAKE_CHECKLIST: tuple[str, ...] = ("Ja", "Ja", "Ja", "Ja", "Ja", "Ja", "Ja", "Nee", "Ja")

#: An extra column the validator does not know: a warning, then ignored.
MISTAKE_EXTRA_HEADER = "Opmerking"


def fill(path: Path, werkgevers: Sequence[Row], dga: Sequence[Row],
         extra_header: str | None = None, checklist: Sequence[str] | None = None) -> Path:
    """Write the template filled with `werkgevers` and `dga` rows to `path`, the step 1
    checklist answered with `checklist` (all Ja by default)."""
    workbook = build_template()
    answers = list(checklist) if checklist is not None else ["Ja"] * len(CHECKLIST)
    explanation = workbook[EXPLANATION_SHEET]
    texts = [item.text for item in CHECKLIST]
    for (cell,) in explanation.iter_rows(min_col=2, max_col=2):
        if cell.value in texts:
            explanation.cell(row=cell.row, column=3, value=answers[texts.index(cell.value)])
    for spec, rows in ((WERKGEVERS, werkgevers), (DGA, dga)):
        sheet = workbook[spec.name]
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text typed as '=…, not a formula
    if extra_header:
        sheet = workbook[WERKGEVERS.name]
        column = len(WERKGEVERS.fields) + 1
        sheet.cell(row=1, column=column, value=extra_header)
        sheet.cell(row=2, column=column, value="eerste aanmelding")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_samples(folder: Path) -> list[Path]:
    """Write the blank template and both examples into `folder`; return their paths."""
    return [
        write_template(folder / DEFAULT_TEMPLATE_NAME, force=True),
        fill(folder / "voorbeeld-geldig.xlsx", VALID_WERKGEVERS, VALID_DGA),
        fill(folder / "voorbeeld-fouten.xlsx", MISTAKE_WERKGEVERS, MISTAKE_DGA,
             MISTAKE_EXTRA_HEADER, MISTAKE_CHECKLIST),
    ]


#: The inbox of the batch tests and benchmark: one bureau, many small workbooks.
BUREAU = ("Salarisbureau Noord B.V.", "info@noord.nl")


def lhn(n: int) -> str:
    """The n-th valid loonheffingennummer of a deterministic series (elfproef holds)."""
    base = 10_000_000 + (n * 7919) % 89_000_000
    while True:
        digits = f"{base:08d}"
        check = sum((9 - i) * int(d) for i, d in enumerate(digits)) % 11
        if check < 10:
            return f"{digits}{check}L01"
        base += 1


def employer(n: int, verloning: str = "Maand") -> Row:
    """A valid employer without DGAs, unique by n."""
    return (*BUREAU, f"Werkgever {n}", f"A020{n:06d}", lhn(n), str(9_000_000 + n), verloning,
            "Nee", "Nee")


def write_inbox(folder: Path) -> None:
    """50 files: 20 valid, 10 mixed, 5 unreadable, 10 byte copies, 5 sharing an employer.

    A first batch run gives 25 accepted, 10 partially accepted, 5 unreadable, 10 skipped.
    """
    folder.mkdir(parents=True)
    for i in range(20):
        fill(folder / f"valid_{i:02d}.xlsx", [employer(2 * i), employer(2 * i + 1)], [])
    for i in range(10):
        fill(folder / f"mixed_{i:02d}.xlsx", [employer(100 + 2 * i),
                                              employer(101 + 2 * i, verloning="week")], [])
    for i in range(5):
        (folder / f"unreadable_{i:02d}.xlsx").write_text(f"geen werkmap {i}\n")
    for i in range(10):
        (folder / f"vcopy_{i:02d}.xlsx").write_bytes((folder / f"valid_{i:02d}.xlsx").read_bytes())
    for i in range(5):
        fill(folder / f"zsame_{i:02d}.xlsx", [employer(30 + i), employer(200 + i)], [])
    old = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (old, old))
