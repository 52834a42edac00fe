"""The sample workbooks in `samples/`: a valid example and one with each typical mistake.

The rows are data the tests use too; `write_samples` fills copies of the real template with them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from intake.definition.fields import CHECKLIST, DGA, EXPLANATION_SHEET, WERKGEVERS, SheetSpec
from intake.outputs.template import DEFAULT_TEMPLATE_NAME, build_template, write_template

Row = tuple[object, ...]


def werkgever(**values: object) -> Row:
    """An employer row with its values named by field (a field not named gets its example)."""
    return row_of(WERKGEVERS, values)


def dga(**values: object) -> Row:
    """A DGA row with its values named by field (a field not named gets its example)."""
    return row_of(DGA, values)


def row_of(spec: SheetSpec, values: Mapping[str, object]) -> Row:
    """The values named by field as a row in the sheet's column order; a field not named gets
    its example value, so a field added to the sheet needs no change to any row."""
    if unknown := set(values) - {f.name for f in spec.fields}:
        raise TypeError(f"{spec.name} has no field {sorted(unknown)}")
    return tuple(values.get(f.name, f.example) for f in spec.fields)


#: The bureau of the sample workbooks.
_TELLING = {"salarisverwerker_naam": "Salarisbureau De Telling B.V.",
            "salarisverwerker_email": "salaris@detelling.nl"}

#: Valid employers, written by field name. Every loonheffingennummer passes the elfproef;
#: 001224153L05 keeps its leading zeros.
VALID_WERKGEVERS: tuple[Row, ...] = (
    werkgever(**_TELLING, werkgever_naam="Bakkerij Van Dijk B.V.",
        raamwerkcontractnummer="A020123456", loonheffingennummer="810662504L01",
        werkgever_id="8106625", verloning="Maand", dertiende_maand="Ja", dga_in_verloning="Ja"),
    werkgever(**_TELLING, werkgever_naam="Café De Kroon V.O.F.",
        raamwerkcontractnummer="A020654321", loonheffingennummer="001224153L05",
        werkgever_id="8106630", verloning="4 weken", dertiende_maand="Nee",
        dga_in_verloning="Nee"),
    werkgever(**_TELLING, werkgever_naam="Coöperatie Zorg Samen U.A.",
        raamwerkcontractnummer="A020777001", loonheffingennummer="801234566L01",
        werkgever_id="8120001", verloning="Maand", dertiende_maand="Ja", dga_in_verloning="Ja"),
    werkgever(**_TELLING, werkgever_naam="Installatiebedrijf Jansen & Zn.",
        raamwerkcontractnummer="A020900017", loonheffingennummer="812345678L01",
        werkgever_id="8120456", verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),
    werkgever(**_TELLING, werkgever_naam="Hoveniersbedrijf 't Groene Hart",
        raamwerkcontractnummer="A020310555", loonheffingennummer="834567891L02",
        werkgever_id="8133300", verloning="4 weken", dertiende_maand="Ja", dga_in_verloning="Ja"),
    werkgever(**_TELLING, werkgever_naam="Tandartspraktijk Öztürk",
        raamwerkcontractnummer="A020444888", loonheffingennummer="865432107L01",
        werkgever_id="8140007", verloning="Maand", dertiende_maand="Ja", dga_in_verloning="Nee"),
)

#: DGA rows of the valid employers (Werkgever ID, name, personeelsnummer).
VALID_DGA: tuple[Row, ...] = (
    dga(werkgever_id="8106625", naam="J. van Dijk", personeelsnummer="1001"),
    dga(werkgever_id="8106625", naam="M. van Dijk-de Vries", personeelsnummer="1002"),
    dga(werkgever_id="8120001", naam="A. Bakker", personeelsnummer="17"),
    dga(werkgever_id="8133300", naam="P. de Groot", personeelsnummer="3"),
)

#: One typical mistake per row (the comment names the finding it causes). Rows 2 and 3 are
#: correct apart from spelling the validator normalises (with a warning for row 3).
MISTAKE_WERKGEVERS: tuple[Row, ...] = (
    werkgever(**_TELLING, werkgever_naam="Bakkerij Van Dijk B.V.",
        raamwerkcontractnummer="a020-123.456", loonheffingennummer="810662504L01",
        werkgever_id=8106625.0, verloning="maandelijks", dertiende_maand=True,
        dga_in_verloning="j"),  # all normalised, no finding
    # lhn-normalised (warning)
    werkgever(**_TELLING, werkgever_naam="Café De Kroon V.O.F.",
        raamwerkcontractnummer="A020654321", loonheffingennummer="1224153L05",
        werkgever_id="8106630", verloning="4 weken", dertiende_maand="nee", dga_in_verloning="n"),
    # email-invalid
    werkgever(salarisverwerker_naam="Salarisbureau De Telling B.V.",
        salarisverwerker_email="salaris@detelling", werkgever_naam="Drukkerij Het Blad B.V.",
        raamwerkcontractnummer="A020100001", loonheffingennummer="805551232L01",
        werkgever_id="8150001", verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),
    werkgever(**_TELLING, werkgever_naam="", raamwerkcontractnummer="A020100002",
        loonheffingennummer="876543219L01", werkgever_id="8150002", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # required
    # formula-text
    werkgever(**_TELLING, werkgever_naam='=HYPERLINK("http://example.invalid","Klik")',
        raamwerkcontractnummer="A020100003", loonheffingennummer="876543219L02",
        werkgever_id="8150003", verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),
    werkgever(**_TELLING, werkgever_naam="Garage Smit", raamwerkcontractnummer="B120100004",
        loonheffingennummer="876543219L03", werkgever_id="8150004", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # contract-prefix
    werkgever(**_TELLING, werkgever_naam="Garage Smit Noord", raamwerkcontractnummer="A020-12X",
        loonheffingennummer="876543219L04", werkgever_id="8150005", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # contract-format
    # lhn-btw
    werkgever(**_TELLING, werkgever_naam="Schildersbedrijf Kok",
        raamwerkcontractnummer="A020100006", loonheffingennummer="NL876543219B01",
        werkgever_id="8150006", verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),
    # lhn-elfproef
    werkgever(**_TELLING, werkgever_naam="Fietsenmaker Visser",
        raamwerkcontractnummer="A020100007", loonheffingennummer="123456789L01",
        werkgever_id="8150007", verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),
    werkgever(**_TELLING, werkgever_naam="Kapsalon Mulder", raamwerkcontractnummer="A020100008",
        loonheffingennummer="876543219L00", werkgever_id="8150008", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # lhn-subnumber
    werkgever(**_TELLING, werkgever_naam="Bloemist De Boer", raamwerkcontractnummer="A020100009",
        loonheffingennummer="87654321L", werkgever_id="8150009", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # lhn-format
    werkgever(**_TELLING, werkgever_naam="Slagerij Bos", raamwerkcontractnummer="A020100010",
        loonheffingennummer="876543219L05", werkgever_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),  # guid-instead-of-id
    # digits-only (letter O)
    werkgever(**_TELLING, werkgever_naam="Bouwbedrijf Meijer",
        raamwerkcontractnummer="A020100011", loonheffingennummer="876543219L06",
        werkgever_id="81O6626", verloning="Maand", dertiende_maand="Nee", dga_in_verloning="Nee"),
    werkgever(**_TELLING, werkgever_naam="Uitzendbureau Vos", raamwerkcontractnummer="A020100012",
        loonheffingennummer="876543219L07", werkgever_id="8150012", verloning="week",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # verloning-unsupported
    werkgever(**_TELLING, werkgever_naam="Architect Peters", raamwerkcontractnummer="A020100013",
        loonheffingennummer="876543219L08", werkgever_id="8150013", verloning="jaarlijks?",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # verloning-invalid
    werkgever(**_TELLING, werkgever_naam="Notaris Hendriks", raamwerkcontractnummer="A020100014",
        loonheffingennummer="876543219L09", werkgever_id="8150014", verloning="Maand",
        dertiende_maand="misschien", dga_in_verloning="Nee"),  # ja-nee-invalid
    # dga-rows-rejected: its DGA rows have errors
    werkgever(**_TELLING, werkgever_naam="Advocaten Dekker", raamwerkcontractnummer="A020100015",
        loonheffingennummer="876543219L10", werkgever_id="8150015", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Ja"),
    werkgever(**_TELLING, werkgever_naam="Accountants Prins", raamwerkcontractnummer="A020100018",
        loonheffingennummer="876543219L13", werkgever_id="8150018", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Ja"),  # dga-missing
    werkgever(**_TELLING, werkgever_naam="Transport Brouwer", raamwerkcontractnummer="A020100016",
        loonheffingennummer="876543219L11", werkgever_id="8150016", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # dga-unexpected (a DGA row names 8150016)
    werkgever(**_TELLING, werkgever_naam="Makelaardij Wit", raamwerkcontractnummer="A020100017",
        loonheffingennummer="876543219L12", werkgever_id="8150017", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # werkgever-duplicate (with the next row)
    werkgever(**_TELLING, werkgever_naam="Makelaardij Wit", raamwerkcontractnummer="A020100017",
        loonheffingennummer="876543219L12", werkgever_id="8150017", verloning="Maand",
        dertiende_maand="Nee", dga_in_verloning="Nee"),  # werkgever-duplicate
)

MISTAKE_DGA: tuple[Row, ...] = (
    # personeelsnummer-duplicate (with the next row)
    dga(werkgever_id="8106625", naam="J. van Dijk", personeelsnummer="1001"),
    # personeelsnummer-duplicate
    dga(werkgever_id="8106625", naam="M. van Dijk-de Vries", personeelsnummer="1001"),
    dga(werkgever_id="9999999", naam="K. Onbekend", personeelsnummer="5"),  # dga-werkgever-unknown
    # makes 8150016 (Nee) an error: dga-unexpected
    dga(werkgever_id="8150016", naam="T. Brouwer", personeelsnummer="7"),
    # required (naam); employer 8150015 says Ja: dga-rows-rejected
    dga(werkgever_id="8150015", naam="", personeelsnummer="9"),
    dga(werkgever_id="8150015", naam="R. Dekker", personeelsnummer="12a"),  # digits-only
    # fine, but held back with its employer
    dga(werkgever_id="8150015", naam="S. Dekker", personeelsnummer="13"),
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


#: The status file of the shipped valid example (`intake status import`): one registration
#: completed by a.s.r., one in set-up at Keylane, one live with the date of its first exchange,
#: one refused with its reason; the other two stay delivered.
STATUS_SAMPLE_NAME = "status-voorbeeld.csv"
STATUS_SAMPLE: tuple[tuple[int, str, str, str], ...] = (
    (0, "completed", "", ""),
    (1, "setup", "", ""),
    (2, "live", "2027-01-15", ""),
    # the reason only: the bureau's message adds what to do (solve it, then submit again)
    (3, "refused", "", "Het raamwerkcontract is beëindigd; vraag bij a.s.r. een nieuw contract "
                       "aan."),
)


def status_sample_text() -> str:
    """The sample status file for the valid example's employers: a CSV (`,`, UTF-8) headed by
    the contract's column names (the import also takes the labels)."""
    import csv
    import io

    from intake.definition.fields import STATUS

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in STATUS.fields])
    ids = {name: WERKGEVERS.fields.index(WERKGEVERS.field(name))
           for name in ("werkgever_id", "loonheffingennummer")}
    for n, state, date, reason in STATUS_SAMPLE:
        row = VALID_WERKGEVERS[n]
        writer.writerow([row[ids["werkgever_id"]], row[ids["loonheffingennummer"]], state,
                         date, reason])
    return out.getvalue()


def write_status_sample(folder: Path) -> Path:
    """Write the sample status file into `folder`; return its path."""
    path = folder / STATUS_SAMPLE_NAME
    path.write_text(status_sample_text(), encoding="utf-8")
    return path


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
    return werkgever(salarisverwerker_naam=BUREAU[0], salarisverwerker_email=BUREAU[1],
                     werkgever_naam=f"Werkgever {n}", raamwerkcontractnummer=f"A020{n:06d}",
                     loonheffingennummer=lhn(n), werkgever_id=str(9_000_000 + n),
                     verloning=verloning, dertiende_maand="Nee", dga_in_verloning="Nee")


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
