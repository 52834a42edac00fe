"""Every finding code in the catalogue is produced by some input built here: no code is dead,
and each is reachable from a real workbook (or a real batch run)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import hostile
import openpyxl
import pytest

from intake.batch.run import BatchOptions, run_batch
from intake.definition.fields import DGA, LISTS_SHEET, SHEETS, WERKGEVERS
from intake.definition.messages import CATALOGUE
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, employer, fill, lhn
from intake.validation.limits import Limits
from intake.validation.validate import Options, validate_workbook

from conftest import replace

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
W = VALID_WERKGEVERS


def _edited(folder: Path, name: str, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """The valid sample, changed by `edit` (openpyxl) and saved under `name`."""
    book = openpyxl.load_workbook(fill(folder / f"bron-{name}", W, VALID_DGA))
    edit(book)
    book.save(folder / name)
    return folder / name


def _drop_column(book: openpyxl.Workbook) -> None:
    book[WERKGEVERS.name].delete_cols(6)


def _twice_a_column(book: openpyxl.Workbook) -> None:
    book[WERKGEVERS.name]["J1"] = WERKGEVERS.fields[5].label


def _no_header(book: openpyxl.Workbook) -> None:
    sheet = book[WERKGEVERS.name]
    for cell in sheet[1]:
        cell.value = "x"


def _no_rows(book: openpyxl.Workbook) -> None:
    book[WERKGEVERS.name].delete_rows(2, len(W))


def _no_werkgevers(book: openpyxl.Workbook) -> None:
    del book[WERKGEVERS.name]


def _no_dga_sheet(book: openpyxl.Workbook) -> None:
    del book[DGA.name]


def _old_template(book: openpyxl.Workbook) -> None:
    book[LISTS_SHEET]["E1"] = 1


CELL_ROWS = [
    replace(W[0], werkgever_naam="Bak\u00adkerij"),  # invisible-characters
    replace(W[1], werkgever_naam="Bak\x85kerij"),  # control-characters (C1: NEL)
    replace(W[2], werkgever_naam="B" * 101),  # too-long
    replace(W[4], werkgever_id="2024-03-01"),  # date-instead-of-number
    replace(W[5], loonheffingennummer="810662504L02", werkgever_id="8106625"),  # multiple-lhn
    # each check of one field alone, on the value it says it refuses
    *[replace(W[1], **{f.name: c.fails_on}) for f in WERKGEVERS.fields for c in f.checks],
]
#: The DGA rows, with each check of one DGA field on the value it refuses.
CELL_DGA = [*VALID_DGA, *[replace(VALID_DGA[0], **{f.name: c.fails_on})
                          for f in DGA.fields for c in f.checks]]


def test_every_check_of_one_field_says_what_it_refuses() -> None:
    """A field's own check names a value it refuses, and refuses it (its code is then
    produced by the workbook below)."""
    for spec in SHEETS:
        for f in spec.fields:
            for c in f.checks:
                assert c.fails_on is not None and not c.test(c.fails_on), (f.name, c.code)


def _codes(result: object) -> set[str]:
    return {f.code for f in result.findings}  # type: ignore[attr-defined]


@pytest.mark.slow
def test_every_catalogue_code_is_produced(tmp_path: Path) -> None:
    """The samples, the hostile workbooks, one-change workbooks and a batch run together give
    every code of the catalogue."""
    seen = _codes(validate_workbook(SAMPLES / "voorbeeld-fouten.xlsx"))
    seen |= _codes(validate_workbook(fill(tmp_path / "cellen.xlsx", CELL_ROWS, CELL_DGA)))
    for builder in (hostile.merged_header, hostile.hidden_rows_and_columns,
                    hostile.formula_without_value, hostile.formula_errors, hostile.macros,
                    hostile.external_link, hostile.hidden_sheet, hostile.macro_and_dialog_sheets):
        seen |= _codes(validate_workbook(builder(tmp_path)))
    for name, edit in [("kolom-weg.xlsx", _drop_column), ("dubbel.xlsx", _twice_a_column),
                       ("kop.xlsx", _no_header), ("leeg.xlsx", _no_rows),
                       ("geen-werkgevers.xlsx", _no_werkgevers), ("geen-dga.xlsx", _no_dga_sheet),
                       ("oud.xlsx", _old_template)]:
        seen |= _codes(validate_workbook(_edited(tmp_path, name, edit)))
    valid = fill(tmp_path / "geldig.xlsx", W, VALID_DGA)
    seen |= _codes(validate_workbook(valid, Options(limits=Limits(max_rows=2))))
    seen |= _codes(validate_workbook(valid, Options(limits=Limits(max_cells=10))))

    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    fill(inbox / "a.xlsx", [employer(1)], [])
    fill(inbox / "b.xlsx", [employer(1), employer(3)], [])
    run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    fill(inbox / "c.xlsx", [employer(2), employer(1)], [])
    # the same employer with other data; an earlier employer's loonheffingennummer
    fill(inbox / "d.xlsx", [replace(employer(1), dertiende_maand="Ja")], [])
    fill(inbox / "e.xlsx", [replace(employer(5), loonheffingennummer=lhn(3))], [])
    second = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    run_batch(BatchOptions(inbox=inbox / "d.xlsx", out_dir=out, settle_seconds=0, force=True,
                           redeliver=("9000001",)))
    for run_dir in out.iterdir():
        if (run_dir / "summary.json").is_file():
            summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
            seen |= {note["code"] for note in summary["cross_file"]}
    assert second.run_dir.is_dir()
    seen |= _status_codes(tmp_path, out / "intake.sqlite")
    seen |= _after_refusal(tmp_path, inbox, out)
    assert sorted(set(CATALOGUE) - seen) == []


def _after_refusal(tmp_path: Path, inbox: Path, out: Path) -> set[str]:
    """The codes of the runs after a.s.r. refused employer 3: the file that delivered it,
    checked again (not delivered again), and a new file (delivered again)."""
    from intake.batch.ledger import Ledger
    from intake.batch.statusimport import ImportOptions, import_status

    path = tmp_path / "afgewezen.csv"
    path.write_text("werkgever_id,loonheffingennummer,status,eerste_uitwisseling,reden\n"
                    f"9000003,{lhn(3)},refused,,geen polis\n", encoding="utf-8")
    ledger = Ledger(out / "intake.sqlite")
    try:
        import_status(ledger, path, ImportOptions())
    finally:
        ledger.close()
    # b.xlsx delivered employer 3 before the refusal: checked again, it is no new delivery
    same = run_batch(BatchOptions(inbox=inbox / "b.xlsx", out_dir=out, settle_seconds=0,
                                  force=True))
    fill(inbox / "f.xlsx", [employer(3)], [])
    run = run_batch(BatchOptions(inbox=inbox / "f.xlsx", out_dir=out, settle_seconds=0))
    codes = set()
    for done in (same, run):
        summary = json.loads((done.run_dir / "summary.json").read_text(encoding="utf-8"))
        codes |= {note["code"] for note in summary["cross_file"]}
    return codes


def _status_codes(tmp_path: Path, ledger_path: Path) -> set[str]:
    """The codes of a status file with every problem a status import finds."""
    import datetime as dt

    from intake.batch.ledger import Ledger
    from intake.batch.statusimport import ImportOptions, import_status

    path = tmp_path / "status.csv"
    path.write_text("\n".join([
        "werkgever_id,loonheffingennummer,status,eerste_uitwisseling,reden",
        f"9000001,{lhn(1)},live,2026-12-20,", f"9000001,{lhn(1)},live,2026-12-20,",
        f"9000002,{lhn(2)},live,,", f"9000003,{lhn(3)},refused,,",
        f"9000005,{lhn(3)},live,2020-01-01,", f"9000099,{lhn(99)},klaar,morgen,",
        f"9000077,{lhn(77)},completed,,"]) + "\n",
        encoding="utf-8")
    backward = tmp_path / "terug.csv"
    backward.write_text(f"werkgever_id,loonheffingennummer,status\n9000002,{lhn(2)},completed\n",
                        encoding="utf-8")
    ledger = Ledger(ledger_path)
    try:
        options = ImportOptions(today=dt.date(2026, 12, 7))
        codes = {f.code for f in import_status(ledger, path, options).findings}
        single = tmp_path / "vooruit.csv"
        single.write_text(f"werkgever_id,loonheffingennummer,status\n9000002,{lhn(2)},setup\n",
                          encoding="utf-8")
        import_status(ledger, single, options)
        codes |= {f.code for f in import_status(ledger, backward, options).findings}
        ahead = tmp_path / "vooruit-2062.csv"
        ahead.write_text("werkgever_id,loonheffingennummer,status,eerste_uitwisseling\n"
                         f"9000005,{lhn(3)},live,2062-01-15\n", encoding="utf-8")
        codes |= {f.code for f in import_status(ledger, ahead, options).findings}
        for day in ("2026-12-20", "2027-01-10"):  # live, then live with another date
            live = tmp_path / f"live-{day}.csv"
            live.write_text("werkgever_id,loonheffingennummer,status,eerste_uitwisseling\n"
                            f"9000002,{lhn(2)},live,{day}\n", encoding="utf-8")
            codes |= {f.code for f in import_status(ledger, live, options).findings}
        book = openpyxl.Workbook()  # a plain number past Excel's last day in a date column
        sheet = book.active
        assert sheet is not None
        sheet.title = "Status"
        sheet.append(["werkgever_id", "loonheffingennummer", "status", "eerste_uitwisseling"])
        sheet.append([9000004, lhn(4), "live", 3_000_000])
        book.save(tmp_path / "getal.xlsx")
        codes |= {f.code for f in import_status(ledger, tmp_path / "getal.xlsx",
                                                options).findings}
    finally:
        ledger.close()
    return codes
