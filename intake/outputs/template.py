"""The Excel template processors fill in, generated from `intake.definition.fields`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from intake.definition.errors import IntakeError
from intake.definition.fields import (
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
from intake.definition.kinds import KINDS, KindSpec
from intake.outputs.layout import row_height

DEFAULT_TEMPLATE_NAME = "werkgevers-aanmelding.xlsx"
#: Rows that get drop-downs and text formatting in the template.
TEMPLATE_ROWS = 5000

#: Excel's limits on a drop-down's texts: a title of 32 characters, a message of 255.
TITLE_LIMIT, MESSAGE_LIMIT = 32, 255
#: What Toelichting says about delivery when `intake template` is not given --submit-to.
DEFAULT_SUBMIT_TO = ("Lever de ingevulde werkmap in zoals met a.s.r. is afgesproken; staat dat "
                     "nergens, vraag het je contactpersoon bij a.s.r.")


class TemplateExists(IntakeError):
    """The target file exists and overwriting was not asked for."""

    code = "template-exists"


def write_template(path: Path, submit_to: str | None = None, force: bool = False) -> Path:
    """Write the blank template to `path` and return it; an existing file only with `force`."""
    if path.exists() and not force:
        raise TemplateExists(
            f"{path} bestaat al en wordt niet overschreven. Kies een andere naam, of geef "
            "--force om het te vervangen.",
            f"{path} already exists and is not overwritten. Choose another name, or pass "
            "--force to replace it.")
    workbook = build_template(submit_to)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def build_template(submit_to: str | None = None) -> Any:
    """The template as an openpyxl Workbook (sheets Werkgevers, DGA, Toelichting, Lijsten)."""
    from openpyxl import Workbook

    workbook = Workbook()
    lists = _lists_sheet(workbook)
    werkgevers = workbook.active
    werkgevers.title = WERKGEVERS.name
    _data_sheet(werkgevers, WERKGEVERS, lists)
    _data_sheet(workbook.create_sheet(DGA.name), DGA, lists)
    _explanation_sheet(workbook.create_sheet(EXPLANATION_SHEET), lists,
                       submit_to or DEFAULT_SUBMIT_TO)
    workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    for sheet in workbook.worksheets:
        _print_landscape(sheet)
    return workbook


def _fit(text: str, limit: int) -> str:
    """`text`, or its longest start of whole words that fits `limit` with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _print_landscape(sheet: Any) -> None:
    """Print A4 landscape, all columns on one page wide, narrow side margins, page numbers."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "&P / &N"


def header_width(label: str, width: float) -> float:
    """A column width at which each word of the bold header `label` fits (the header wraps
    between words, never inside one), or `width` if wider."""
    longest = max((len(word) for word in label.split()), default=0)
    return max(width, round(longest * 1.1 + 2.5, 1))


#: The header row's height: two lines of bold Calibri 11 (a header wraps at most once).
HEADER_HEIGHT = 32


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
        width = header_width(f.label, f.width)
        letter = get_column_letter(column)
        cell = sheet.cell(row=1, column=column, value=f.label)
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        # Typed values are not wrapped: Calc prints a wrapped cell in a row of default height
        # over the row below; unwrapped, a long value stops at a filled neighbour.
        sheet.column_dimensions[letter].width = width
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
            promptTitle=_fit(f.label, TITLE_LIMIT),
            prompt=_fit(f.help_nl, MESSAGE_LIMIT),
            errorTitle="Ongeldige waarde",
            error=_fit(f"Kies bij '{f.label}' een waarde uit de lijst. {f.help_nl}",
                       MESSAGE_LIMIT),
            errorStyle="stop",
        )
        validation.add(cells)
        sheet.add_data_validation(validation)
    sheet.row_dimensions[1].height = HEADER_HEIGHT
    sheet.print_title_rows = "1:1"  # the header on every printed page
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.fields))}1"


#: Column widths of Toelichting: the heading or field, the text, the checklist answer.
EXPLANATION_WIDTHS = {"A": 34, "B": 90, "C": 12}


def _explanation_sheet(sheet: Any, lists: dict[KindSpec, str], submit_to: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    for letter, width in EXPLANATION_WIDTHS.items():
        sheet.column_dimensions[letter].width = width
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
        ("", "", False),
        ("Stap 3: lever de werkmap in", "", True),
        ("", submit_to, False),
        ("", "", False),
        ("Daarna", "a.s.r. vult de polisgegevens aan; Keylane neemt contact op voor de "
         "autorisaties en je krijgt bericht wanneer de koppeling werkt.", False),
    ]
    for row, (a, b, bold) in enumerate(lines, start=1):
        cell_a = sheet.cell(row=row, column=1, value=a or None)
        cell_b = sheet.cell(row=row, column=2, value=b or None)
        for cell in (cell_a, cell_b):
            # The title runs on over the empty cells beside it; everything else wraps.
            cell.alignment = Alignment(wrap_text=row != 1, vertical="top")
            if bold:
                cell.font = Font(bold=True, size=13 if row == 1 else 11)
        height = row_height([(a, EXPLANATION_WIDTHS["A"]), (b, EXPLANATION_WIDTHS["B"])])
        if row == 1:
            height = 20
        if height:
            sheet.row_dimensions[row].height = height
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
