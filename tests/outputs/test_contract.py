"""The published contract: current with the code, and standard tools accept a real delivery
against it (and reject a broken one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frictionless
import jsonschema
import pytest

from intake.outputs.contract import contract_files

from conftest import run_intake

ROOT = Path(__file__).resolve().parents[2]
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
    from intake.definition.fields import SHEETS
    from intake.definition.messages import CATALOGUE

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


def test_the_integrators_page_is_current_with_the_field_list() -> None:
    """docs/integrator.md holds, verbatim, the table of cell rules generated from the kinds and
    the fields' own checks, and the template's columns in the field list's order."""
    from intake.outputs.contract import rules_table, template_columns, with_generated

    readme = (ROOT / "docs" / "integrator.md").read_text(encoding="utf-8")
    assert rules_table() in readme, "run python samples/build_samples.py"
    assert template_columns() in readme, "run python samples/build_samples.py"
    assert with_generated(readme) == readme


def test_every_kind_in_use_is_in_the_contract_and_the_readme() -> None:
    """Each field's kind shows its rules (by code) in the contract page and the rules table."""
    from intake.definition.fields import SHEETS
    from intake.outputs.contract import rules_table
    from intake.validation.rules import rules_for

    page, table = contract_files()["README.md"], rules_table()
    for spec in SHEETS:
        for f in spec.fields:
            for check in rules_for(f):
                assert f"`{check.code}`" in page and f"`{check.code}`" in table, check.code


def _check(package: Path) -> None:
    """`frictionless validate` on `package` passes."""
    report = frictionless.validate(package)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.parametrize("dialect", ["standard", "excel-nl"])
def test_each_delivery_folder_describes_its_own_csvs(tmp_path: Path, dialect: str) -> None:
    """`intake validate --csv-dialect D` writes a datapackage.json beside its CSVs that
    frictionless accepts as is: the dialect's delimiter and encoding, the schemas inline."""
    out = tmp_path / "delivery"
    run_intake("validate", str(SAMPLES / "voorbeeld-geldig.xlsx"), "--out", str(out),
               "--csv-dialect", dialect)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    (resource, _) = package["resources"]
    delimiter = ";" if dialect == "excel-nl" else ","
    assert resource["dialect"]["delimiter"] == delimiter
    assert (out / "werkgevers.csv").read_bytes().startswith(b"\xef\xbb\xbf") == (
        dialect == "excel-nl")
    assert package["asr:delivery"] == {"csv_dialect": dialect, "contract_prefixes": ["A020"],
                                       "combined": False}
    _check(out / "datapackage.json")


def test_the_published_package_rejects_an_excel_nl_delivery(tmp_path: Path) -> None:
    """The reason a delivery carries its own package: schemas/datapackage.json (standard CSV)
    does not fit the excel-nl CSVs."""
    out = tmp_path / "delivery"
    run_intake("validate", str(SAMPLES / "voorbeeld-geldig.xlsx"), "--out", str(out),
               "--csv-dialect", "excel-nl")
    assert run_intake("schema", "--out", str(out)).returncode == 0
    assert not frictionless.validate(out / "datapackage.json").valid


def test_a_batch_runs_combined_delivery_checks(tmp_path: Path) -> None:
    """`intake batch --csv-dialect excel-nl`: the run's combined CSVs (with bron_bestand) and
    each file's CSVs pass `frictionless validate` against the datapackage.json beside them;
    summary.json is valid against summary.schema.json, and not when a status is made up."""
    from intake.outputs.contract import SUMMARY_SCHEMA_ID, summary_schema
    from intake.outputs.samples import employer, fill

    inbox = tmp_path / "in"
    fill(inbox / "a.xlsx", [employer(1), employer(2, verloning="week")], [])
    fill(inbox / "=b.xlsx", [employer(3)], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0",
               "--csv-dialect", "excel-nl")
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    package = json.loads((run / "datapackage.json").read_text(encoding="utf-8"))
    names = [f["name"] for f in package["resources"][0]["schema"]["fields"]]
    assert names[-2:] == ["bron_bestand", "bron_rij"]
    assert package["asr:delivery"]["combined"] is True
    assert len((run / "werkgevers.csv").read_text(encoding="utf-8-sig").splitlines()) == 3
    _check(run / "datapackage.json")
    _check(run / "a.xlsx" / "datapackage.json")
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    schema = summary_schema()
    assert schema["$id"] == SUMMARY_SCHEMA_ID
    jsonschema.validate(summary, schema)
    summary["files"][0]["status"] = "made-up"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(summary, schema)


def test_a_delivery_under_another_contract_prefix_checks(tmp_path: Path) -> None:
    """With --contract-prefix B020 the delivery's datapackage.json and `intake schema
    --contract-prefix B020` both accept B020 numbers; the default contract rejects them."""
    from intake.outputs.samples import employer, fill

    from conftest import replace

    book = fill(tmp_path / "b020.xlsx",
                [replace(employer(1), raamwerkcontractnummer="B020000001")], [])
    out = tmp_path / "delivery"
    done = run_intake("validate", str(book), "--out", str(out), "--contract-prefix", "B020")
    assert done.returncode == 0, done.stdout + done.stderr
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["asr:delivery"]["contract_prefixes"] == ["B020"]
    _check(out / "datapackage.json")
    published = tmp_path / "contract"
    assert run_intake("schema", "--out", str(published), "--contract-prefix", "b-020"
                      ).returncode == 0
    for name in ("werkgevers.csv", "dga.csv"):
        shutil.copy(out / name, published / name)
    _check(published / "datapackage.json")
    assert run_intake("schema", "--out", str(published)).returncode == 0
    errors = frictionless.validate(published / "datapackage.json").flatten(["type",
                                                                            "fieldName"])
    assert ["constraint-error", "raamwerkcontractnummer"] in errors


def test_report_schema_has_an_id() -> None:
    """report.schema.json names itself ($id) and counts delivered beside accepted."""
    from intake.outputs.contract import REPORT_SCHEMA_ID, report_schema

    schema = report_schema()
    assert schema["$id"] == REPORT_SCHEMA_ID
    assert "delivered" in schema["properties"]["summary"]["properties"]["werkgevers"][
        "properties"]


def test_the_sample_status_file_is_current_and_meets_its_schema(tmp_path: Path) -> None:
    """samples/status-voorbeeld.csv is what the samples' builder writes now, and frictionless
    accepts it against schemas/status.schema.json; a row with an unknown state or a date that
    is none it rejects, as the import does."""
    from intake.outputs.samples import STATUS_SAMPLE_NAME, status_sample_text

    sample = SAMPLES / STATUS_SAMPLE_NAME
    assert sample.read_text(encoding="utf-8") == status_sample_text()
    schema = frictionless.Schema.from_descriptor(
        json.loads((ROOT / "schemas" / "status.schema.json").read_text(encoding="utf-8")))
    copy = tmp_path / "voorbeeld.csv"
    shutil.copyfile(sample, copy)
    report = frictionless.validate(frictionless.Resource(copy.name, schema=schema,
                                                         basepath=str(tmp_path)))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    bad = tmp_path / "status.csv"
    bad.write_text(status_sample_text() + "8133300,834567891L02,klaar,morgen,\n",
                   encoding="utf-8")
    report = frictionless.validate(frictionless.Resource(bad.name, schema=schema,
                                                         basepath=str(tmp_path)))
    assert report.flatten(["rowNumber", "fieldName", "type"]) == [
        [6, "status", "constraint-error"], [6, "eerste_uitwisseling", "constraint-error"]]


def test_history_json_and_the_runs_news_match_their_schemas(tmp_path: Path) -> None:
    """After a batch of the valid sample and the shipped status file: `intake history --json`
    (the funnel, and one employer's deliveries and states) is valid against
    history.schema.json, and the next run's summary.json with its registrations and messages
    against summary.schema.json; a state the ledger does not know, or a key too many in a
    record, is not."""
    from intake.outputs.contract import HISTORY_SCHEMA_ID, history_schema, summary_schema
    from intake.outputs.samples import STATUS_SAMPLE_NAME, employer, fill

    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copyfile(SAMPLES / "voorbeeld-geldig.xlsx", inbox / "voorbeeld-geldig.xlsx")
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0").returncode == 0
    done = run_intake("status", "import", str(SAMPLES / STATUS_SAMPLE_NAME), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    schema = history_schema()
    assert schema["$id"] == HISTORY_SCHEMA_ID
    funnel = json.loads(run_intake("history", "--out", str(out), "--json").stdout)
    assert sum(funnel["states"].values()) == 6
    jsonschema.validate(funnel, schema)
    one = json.loads(run_intake("history", "8120001", "--out", str(out), "--json").stdout)
    assert [s["state"] for s in one["states"]] == ["delivered", "live"]
    jsonschema.validate(one, schema)

    fill(inbox / "later.xlsx", [employer(1)], [])
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0",
                      "--messages").returncode == 0
    (run,) = sorted(p for p in out.iterdir() if (p / "summary.json").is_file()
                    and "later.xlsx" in (p / "summary.json").read_text(encoding="utf-8"))
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert [(n["werkgever_id"], n["state"]) for n in summary["registrations"]] == [
        ("8120001", "live"), ("8120456", "refused")]
    assert [m["registrations"] for m in summary["messages"]["written"]] == [
        [], ["8120001", "8120456"]]  # Noord's file, De Telling's news
    jsonschema.validate(summary, summary_schema())

    for broken, against in ((dict(funnel, states={**funnel["states"], "klaar": 1}), schema),
                            (dict(one, states=[dict(one["states"][0], state="klaar")]), schema),
                            (dict(summary, registrations=[dict(summary["registrations"][0],
                                                               extra=1)]), summary_schema())):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, against)


def test_status_import_json_matches_its_schema(tmp_path: Path) -> None:
    """`intake status import --json` of the shipped status file with messages (changes and the
    news told), of the same file again (repeat_of, nothing changed) and of a file with
    findings is valid against status-import.schema.json; a state it never records is not."""
    from intake.outputs.contract import STATUS_IMPORT_SCHEMA_ID, status_import_schema
    from intake.outputs.samples import STATUS_SAMPLE_NAME

    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copyfile(SAMPLES / "voorbeeld-geldig.xlsx", inbox / "voorbeeld-geldig.xlsx")
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0").returncode == 0
    schema = status_import_schema()
    assert schema["$id"] == STATUS_IMPORT_SCHEMA_ID
    sample = str(SAMPLES / STATUS_SAMPLE_NAME)
    first = json.loads(run_intake("status", "import", sample, "--out", str(out), "--messages",
                                  "--json").stdout)
    assert first["changed"] == 4 and len(first["news"]["registrations"]) == 2
    again = json.loads(run_intake("status", "import", sample, "--out", str(out),
                                  "--json").stdout)
    assert again["repeat_of"]["changed"] == 4 and again["news"] is None
    bad = tmp_path / "fout.csv"
    bad.write_text("werkgever_id,loonheffingennummer,status,eerste_uitwisseling\n"
                   "8106625,810662504L01,klaar,\n9999999,810662504L01,setup,\n",
                   encoding="utf-8")
    findings = json.loads(run_intake("status", "import", str(bad), "--out", str(out),
                                     "--json").stdout)
    assert [f["code"] for f in findings["findings"]] == ["state-invalid",
                                                         "status-unknown-employer"]
    for result in (first, again, findings):
        jsonschema.validate(result, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(first, changes=[dict(first["changes"][0],
                                                      state="delivered")]), schema)
