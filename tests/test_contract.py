"""The published contract: current with the code, and standard tools accept a real delivery
against it (and reject a broken one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frictionless
import jsonschema
import pytest

from intake.contract import contract_files

from conftest import run_intake

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.mark.parametrize("name", sorted(contract_files()))
def test_schemas_folder_is_current(name: str) -> None:
    """schemas/ holds exactly what `intake schema` generates now (run it after a change)."""
    assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == contract_files()[name]


def _delivery(tmp_path: Path, sample: str) -> Path:
    out = tmp_path / "delivery"
    run_intake("validate", str(SAMPLES / sample), "--out", str(out))
    done = run_intake("schema", "--out", str(out))
    assert done.returncode == 0
    return out


@pytest.mark.parametrize("sample", ["voorbeeld-geldig.xlsx", "voorbeeld-fouten.xlsx"])
def test_frictionless_accepts_a_real_delivery(tmp_path: Path, sample: str) -> None:
    """`frictionless validate datapackage.json` passes on the CSVs intake wrote."""
    report = frictionless.validate(_delivery(tmp_path, sample) / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_rejects_a_broken_delivery(tmp_path: Path) -> None:
    """The schemas have teeth: a bad loonheffingennummer, a formula and an orphan DGA fail."""
    out = _delivery(tmp_path, "voorbeeld-geldig.xlsx")
    werkgevers = (out / "werkgevers.csv").read_text(encoding="utf-8")
    werkgevers += ("=cmd,x@y.nl,Bakkerij,A020123456,81066250L01,9000001,week,ja,nee,9\r\n")
    (out / "werkgevers.csv").write_text(werkgevers, encoding="utf-8")
    dga = (out / "dga.csv").read_text(encoding="utf-8") + "1234567,Wees,5,9\r\n"
    (out / "dga.csv").write_text(dga, encoding="utf-8")
    report = frictionless.validate(out / "datapackage.json")
    errors = {(e[0], e[1]) for e in report.flatten(["type", "fieldName"])}
    assert ("constraint-error", "salarisverwerker_naam") in errors
    assert ("constraint-error", "loonheffingennummer") in errors
    assert ("constraint-error", "verloning") in errors
    assert any(kind == "foreign-key" for kind, _ in errors)


def test_report_json_matches_its_schema(tmp_path: Path) -> None:
    """report.json of the mistakes sample is valid against report.schema.json."""
    out = _delivery(tmp_path, "voorbeeld-fouten.xlsx")
    schema = json.loads((out / "report.schema.json").read_text(encoding="utf-8"))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    report["findings"][0]["code"] = "made-up-code"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, schema)


def test_docs_name_every_code_and_field() -> None:
    """schemas/README.md lists every finding code and every field label."""
    from intake.fields import SHEETS
    from intake.messages import CATALOGUE

    page = contract_files()["README.md"]
    for code in CATALOGUE:
        assert f"`{code}`" in page
    for spec in SHEETS:
        for f in spec.fields:
            assert f.label in page and f"`{f.name}`" in page


def test_schema_command_default_folder(tmp_path: Path) -> None:
    """`intake schema` without --out writes into ./schemas."""
    shutil.rmtree(tmp_path / "schemas", ignore_errors=True)
    assert run_intake("schema", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == sorted(contract_files())


def test_readme_rules_table_is_generated_from_the_kinds() -> None:
    """The README's table of cell rules holds, verbatim, the lines generated from the kinds."""
    from intake.contract import rules_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rules_table() in readme


def test_every_kind_in_use_is_in_the_contract_and_the_readme() -> None:
    """Each field's kind shows its rules (by code) in the contract page and the README table."""
    from intake.contract import rules_table
    from intake.fields import SHEETS
    from intake.rules import rules_for

    page, table = contract_files()["README.md"], rules_table()
    for spec in SHEETS:
        for f in spec.fields:
            for check in rules_for(f):
                assert f"`{check.code}`" in page and f"`{check.code}`" in table, check.code
