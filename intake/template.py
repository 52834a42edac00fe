"""The Excel template processors fill in, generated from `intake.fields`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from intake.fields import (
    CHECKLIST,
    DGA,
    EXPLANATION_SHEET,
    LISTS_SHEET,
    TEMPLATE_VERSION,
    TEMPLATE_VERSION_LABEL,
    WERKGEVERS,
    Kind,
    SheetSpec,
)
from intake.kinds import KINDS, KindSpec

DEFAULT_TEMPLATE_NAME = "werkgevers-aanmelding.xlsx"
#: Rows that get drop-downs and text formatting in the template.
TEMPLATE_ROWS = 5000

def write_template(path: Path) -> Path:
    """Write the blank template to `path` and return it."""
    workbook = build_template()
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def build_template() -> Any:
    """The template as an openpyxl Workbook (sheets Werkgevers, DGA, Toelichting, Lijsten)."""
    from openpyxl import Workbook

    workbook = Workbook()
    lists = _lists_sheet(workbook)
    werkgevers = workbook.active
    werkgevers.title = WERKGEVERS.name
    _data_sheet(werkgevers, WERKGEVERS, lists)
    _data_sheet(workbook.create_sheet(DGA.name), DGA, lists)
    _explanation_sheet(workbook.create_sheet(EXPLANATION_SHEET), lists)
    workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    return workbook


def _lists_sheet(workbook: Any) -> dict[KindSpec, str]:
    sheet = workbook.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    ranges = {}
    for column, kind in enumerate((k for k in KINDS if k.choices), start=1):
        letter = chr(64 + column)
        sheet.cell(row=1, column=column, value=kind.list_title)
        for row, choice in enumerate(kind.choices, start=2):
            sheet.cell(row=row, column=column, value=choice)
        ranges[kind] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(kind.choices) + 1}"
    # The version stamp: a label and the version beside it, read back by the validator.
    sheet["D1"] = TEMPLATE_VERSION_LABEL
    sheet["E1"] = TEMPLATE_VERSION
    from openpyxl.workbook.defined_name import DefinedName

    workbook.defined_names["IntakeSjabloonversie"] = DefinedName(
        "IntakeSjabloonversie", attr_text=f"{LISTS_SHEET}!$E$1")
    return ranges


def _data_sheet(sheet: Any, spec: SheetSpec, lists: dict[KindSpec, str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    header_fill = PatternFill("solid", fgColor="1F4E79")
    for column, f in enumerate(spec.fields, start=1):
        letter = get_column_letter(column)
        cell = sheet.cell(row=1, column=column, value=f.label)
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[letter].width = f.width
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if f.kind.text_format:
            # Kept as text, so Excel keeps leading zeros and does not turn long numbers into
            # 8,1E+06. A column style: Excel and Calc give it to every cell typed into it.
            sheet.column_dimensions[letter].number_format = "@"
        validation = DataValidation(
            type="list" if f.kind in lists else None,
            formula1=f"={lists[f.kind]}" if f.kind in lists else None,
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=f.kind in lists,
            promptTitle=f.label[:32],
            prompt=f.help_nl[:255],
            errorTitle=f"Ongeldige waarde: {f.label}"[:32],
            error=f"Kies een waarde uit de lijst. {f.help_nl}"[:255],
            errorStyle="stop",
        )
        validation.add(cells)
        sheet.add_data_validation(validation)
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.fields))}1"


def _explanation_sheet(sheet: Any, lists: dict[KindSpec, str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 96
    sheet.column_dimensions["C"].width = 12
    checklist_rows: list[int] = []
    lines: list[tuple[str, str, bool]] = [
        ("Aanmelden werkgevers voor de a.s.r.-salariskoppeling met Loket.nl", "", True),
        ("", "", False),
        ("Stap 1: controleer in Loket.nl", "", True),
        ("", "Voor de koppeling is een Loket.nl-gebruiker nodig. Vul bij elk punt Ja in als het "
         "klopt.", False),
    ]
    for kind, heading in (("voorwaarde", "Voorwaarden gebruiker"), ("recht", "Rechten gebruiker")):
        lines.append((heading, "", True))
        for item in CHECKLIST:
            if item.kind == kind:
                checklist_rows.append(len(lines) + 1)
                lines.append(("", item.text, False))
    lines += [
        ("", "Ontbreken rechten? Vraag ze aan bij de helpdesk van Loket.nl: api@loket.nl.", False),
        ("", "", False),
        ("Stap 2: vul de werkmap in", "", True),
        ("", "Blad Werkgevers: één rij per werkgever. Blad DGA: één rij per DGA in de verloning, "
         "met het Werkgever ID van de werkgever waar de DGA bij hoort.", False),
        ("", "", False),
        ("Kolom", "Wat vul je in", True),
        *((f.label, f.help_nl, False) for f in WERKGEVERS.fields),
        ("", "", False),
        ("Blad DGA", "", True),
        *((f.label, f.help_nl, False) for f in DGA.fields),
        ("", "", False),
        ("Waar vind ik het Werkgever ID?", "In Loket.nl: onderdeel Werkgever, tabblad "
         "Bedrijfsgegevens, veld 'Werkgever ID'. Niet zichtbaar? Ga naar de nieuwe versie van "
         "Loket via de blauwe link rechtsboven. Het is een nummer (zoals 8106625), geen lange "
         "code met streepjes.", False),
        ("Raamwerkcontractnummer", "Het contractnummer van de relatie bij a.s.r.; begint "
         "doorgaans met A020.", False),
        ("", "", False),
        ("Daarna", "a.s.r. vult de polisgegevens aan; Keylane neemt contact op voor de "
         "autorisaties en je krijgt bericht wanneer de koppeling werkt.", False),
    ]
    for row, (a, b, bold) in enumerate(lines, start=1):
        cell_a = sheet.cell(row=row, column=1, value=a or None)
        cell_b = sheet.cell(row=row, column=2, value=b or None)
        for cell in (cell_a, cell_b):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if bold:
                cell.font = Font(bold=True, size=13 if row == 1 else 11)
    sheet.cell(row=checklist_rows[0] - 1, column=3, value="Klopt het?").font = Font(bold=True)
    answer_fill = PatternFill("solid", fgColor="FFF2F2F2")
    validation = DataValidation(
        type="list", formula1=f"={lists[Kind.JA_NEE]}", allow_blank=True,
        showInputMessage=True, showErrorMessage=True, promptTitle="Klopt het?",
        prompt="Kies Ja als dit punt in Loket.nl in orde is.", errorTitle="Ja of Nee",
        error="Kies Ja of Nee.", errorStyle="stop")
    for row in checklist_rows:
        sheet.cell(row=row, column=3).fill = answer_fill
        validation.add(f"C{row}")
    sheet.add_data_validation(validation)
