"""The published data contract, generated from the field definitions and the message catalogue.

`intake schema` writes it into `schemas/`: a Frictionless Table Schema per CSV and a
datapackage.json describing the delivery, a JSON Schema of report.json, and a page for people.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from intake import __version__
from intake.definition.fields import DGA, SHEETS, STATUS, WERKGEVERS, Field, SheetSpec
from intake.definition.kinds import DEFAULT_CONTRACT_PREFIXES, KINDS, FieldShape
from intake.definition.messages import CATALOGUE
from intake.outputs.files import atomic_write_text
from intake.outputs.report import REPORT_FORMAT_VERSION
from intake.validation.rules import rules_for

#: The JSON Schemas' identifiers (URNs: nothing is fetched from them).
REPORT_SCHEMA_ID = f"urn:asr-loket-intake:report:{REPORT_FORMAT_VERSION}"
SUMMARY_SCHEMA_ID = "urn:asr-loket-intake:batch-summary:1"
HISTORY_SCHEMA_ID = "urn:asr-loket-intake:history:1"
STATUS_IMPORT_SCHEMA_ID = "urn:asr-loket-intake:status-import:1"

PRIMARY_KEYS = {"werkgevers": ["werkgever_id", "loonheffingennummer"],
                "dga": ["werkgever_id", "personeelsnummer"],
                "status": ["werkgever_id", "loonheffingennummer"]}


def _constraints(f: Field, prefixes: Sequence[str]) -> dict[str, Any]:
    return f.kind.constraints(FieldShape(max_length=f.max_length), prefixes) | (
        {} if f.required else {"required": False})


def table_schema(spec: SheetSpec, prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
                 combined: bool = False) -> dict[str, Any]:
    """The Frictionless Table Schema of the CSV of `spec`; `combined`: the batch run's CSV,
    which names the file of each row (`bron_bestand`) before `bron_rij`."""
    fields: list[dict[str, Any]] = []
    for f in spec.fields:
        rules = "; ".join(r.describe_en for r in rules_for(f, prefixes))
        entry: dict[str, Any] = {
            "name": f.name, "title": f.label, "type": "string",
            "description": f"{f.help_en} Rules: {rules}.",
            "constraints": _constraints(f, prefixes),
        }
        if f.kind.email_format:
            entry["format"] = "email"
        fields.append(entry)
    if spec is STATUS:
        return {"fields": fields, "primaryKey": PRIMARY_KEYS[spec.csv_name],
                "missingValues": [""]}
    if combined:
        fields.append({"name": "bron_bestand", "title": "Bronbestand", "type": "string",
                       "description": "The name of the submitted workbook this row comes from "
                       "(control characters written as \\uXXXX, a leading ' before =, +, - "
                       "or @).", "constraints": {"required": True}})
    fields.append({"name": "bron_rij", "title": "Bronrij", "type": "integer",
                   "description": "The Excel row number of this row in the submitted workbook.",
                   "constraints": {"required": True, "minimum": 2}})
    schema: dict[str, Any] = {"fields": fields, "primaryKey": PRIMARY_KEYS[spec.csv_name],
                              "missingValues": [""]}
    if spec is DGA:
        schema["foreignKeys"] = [{"fields": ["werkgever_id"], "reference": {
            "resource": WERKGEVERS.csv_name, "fields": ["werkgever_id"]}}]
    return schema


#: Per CSV dialect (intake.outputs.export.FORMATS): the Frictionless dialect and encoding.
_DIALECTS: dict[str, tuple[dict[str, Any], str]] = {
    "standard": ({"delimiter": ",", "header": True}, "utf-8"),
    "excel-nl": ({"delimiter": ";", "header": True}, "utf-8-sig"),
}


def datapackage(dialect: str = "standard",
                prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
                inline: bool = False, combined: bool = False) -> dict[str, Any]:
    """datapackage.json: the two CSVs of one delivery with their schemas.

    The published one (schemas/) points at the schema files beside it; the one written into a
    delivery folder (`inline`) holds its schemas, so the folder checks on its own:
    `frictionless validate datapackage.json`. `dialect` is the CSV dialect chosen, `prefixes`
    the contract prefixes in force, `combined` the batch run's delivery (with bron_bestand)."""
    frictionless_dialect, encoding = _DIALECTS[dialect]
    package: dict[str, Any] = {
        "name": "asr-loket-werkgevers",
        "title": "Aanmelding werkgevers a.s.r.-salariskoppeling (Loket.nl)",
        "version": __version__,
        "resources": [{
            "name": spec.csv_name,
            "path": f"{spec.csv_name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": encoding,
            "dialect": dict(frictionless_dialect),
            "schema": table_schema(spec, prefixes, combined) if inline
            else f"{spec.csv_name}.schema.json",
        } for spec in SHEETS],
    }
    if inline or tuple(prefixes) != tuple(DEFAULT_CONTRACT_PREFIXES) or dialect != "standard":
        package["asr:delivery"] = {"csv_dialect": dialect,
                                   "contract_prefixes": list(prefixes),
                                   "combined": combined}
    return package


def write_datapackage(out_dir: Path, dialect: str = "standard",
                      prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
                      combined: bool = False) -> Path:
    """Write the datapackage.json of the delivery in `out_dir`; return its path."""
    path = out_dir / "datapackage.json"
    atomic_write_text(path, json.dumps(datapackage(dialect, prefixes, inline=True,
                                                   combined=combined),
                                       ensure_ascii=False, indent=2) + "\n")
    return path


def report_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of report.json."""
    from intake.definition.status import CHECKED, NOT_CHECKED

    counts: dict[str, Any] = {
        "type": "object", "required": ["rows", "accepted", "rejected"],
        "properties": {k: {"type": "integer", "minimum": 0}
                       for k in ("rows", "accepted", "rejected", "delivered")}}
    nullable_string = {"type": ["string", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": REPORT_SCHEMA_ID,
        "title": "report.json of intake validate",
        "type": "object",
        "required": ["format_version", "status"],
        "description": "A checked file (status accepted, partially accepted or rejected) has "
                       "its summary and findings; a file that could not be checked has an error "
                       "saying why.",
        "if": {"properties": {"status": {"enum": [str(s) for s in CHECKED]}}},
        "then": {"required": ["summary", "findings"]},
        "else": {"required": ["error"]},
        "properties": {
            "format_version": {"const": REPORT_FORMAT_VERSION},
            "status": {"enum": [str(s) for s in (*CHECKED, *NOT_CHECKED)]},
            "error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "detail": {"type": "string"}}},
            "summary": {
                "type": "object",
                "required": ["werkgevers", "dga", "errors", "warnings", "valid"],
                "properties": {"werkgevers": counts, "dga": counts,
                               "errors": {"type": "integer", "minimum": 0},
                               "warnings": {"type": "integer", "minimum": 0},
                               "valid": {"type": "boolean"}},
            },
            "findings": {"type": "array", "items": {
                "type": "object",
                "required": ["severity", "code", "sheet", "row", "column", "cell", "field",
                             "value", "message"],
                "properties": {
                    "severity": {"enum": ["error", "warning"]},
                    "code": {"enum": sorted(CATALOGUE)},
                    "sheet": nullable_string,
                    "row": {"type": ["integer", "null"], "minimum": 1},
                    "column": {"type": ["string", "null"], "pattern": "^[A-Z]{1,3}$"},
                    "cell": {"type": ["string", "null"], "pattern": "^[A-Z]{1,3}[0-9]+$"},
                    "field": {"enum": [None, *sorted({f.name for s in SHEETS
                                                      for f in s.fields})]},
                    "value": nullable_string,
                    "message": {"type": "string"},
                    "hint": {"type": "string"},
                },
            }},
            "workbook": {"type": "object", "properties": {
                "name": {"type": "string"}, "sha256": {"type": "string"},
                "sheets": {"type": "array", "items": {"type": "string"}}}},
            "options": {"type": "object"},
            "generator": {"type": "object"},
            "generated_at": {"type": "string"},
        },
    }


def summary_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of a batch run's summary.json."""
    from intake.definition.status import Status

    count = {"type": "integer", "minimum": 0}
    pair = {"type": "object", "required": ["werkgevers", "dga"],
            "properties": {"werkgevers": count, "dga": count}}
    finding = report_schema()["properties"]["findings"]["items"]
    note = {**finding, "required": ["file", *finding["required"]],
            "properties": {"file": {"type": "string"}, **finding["properties"]}}
    text = {"type": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SUMMARY_SCHEMA_ID,
        "title": "summary.json of an intake batch run",
        "type": "object",
        "required": ["run", "files", "totals", "werkgevers", "delivery", "cross_file"],
        "properties": {
            "run": {"type": "object", "required": ["id", "started_at", "status"],
                    "properties": {"id": text, "started_at": text,
                                   "finished_at": {"type": ["string", "null"]},
                                   "status": {"enum": ["running", "finished", "stopped",
                                                      "interrupted"]},
                                   "inbox": text}},
            "files": {"type": "array", "items": {
                "type": "object", "required": ["name", "status"],
                "properties": {
                    "name": text, "status": {"enum": [str(s) for s in Status]},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "size": count, "error": text, "output": text, "same_as": text,
                    "moved_to": text, "processed_at": text, "delivered": pair,
                    "corrected_by": {"type": "array", "items": text},
                    "counts": {"type": "object", "properties": {
                        "werkgevers": report_schema()["properties"]["summary"]["properties"][
                            "werkgevers"],
                        "dga": report_schema()["properties"]["summary"]["properties"]["dga"],
                        "errors": count, "warnings": count, "conflicts": count,
                        "same_as": text, "run": text,
                        "marked": {"type": "boolean", "description": "Whether an error is "
                                   "about a cell (marked red in the feedback workbook)."},
                        "bureaus": {"type": "array", "items": {
                            "type": "array", "items": text, "minItems": 2, "maxItems": 2}}}},
                },
            }},
            "totals": {"type": "object", "propertyNames": {"enum": [str(s) for s in Status]},
                       "additionalProperties": count},
            "werkgevers": {"type": "object",
                           "required": ["rows", "accepted", "rejected", "delivered"],
                           "properties": {k: count for k in ("rows", "accepted", "rejected",
                                                             "delivered")}},
            "delivery": pair,
            "cross_file": {"type": "array", "items": note},
            "registrations": {
                "type": "array", "items": news_record(),
                "description": "The registrations that went live or were refused since the "
                               "last messages (with --messages: told in this run's)."},
            "messages": messages_schema(),
        },
    }


#: What each JSON type of `intake.definition.registration`'s records is in a JSON Schema.
_RECORD_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "text or null": {"type": ["string", "null"]},
    "time": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}"},
    "day": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "day or null": {"type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "count": {"type": "integer", "minimum": 0},
}


def _record(fields: dict[str, str], **narrower: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema of one of the ledger's records: every key required, no other key."""
    return {"type": "object", "required": list(fields), "additionalProperties": False,
            "properties": {name: narrower.get(name, _RECORD_TYPES[kind])
                           for name, kind in fields.items()}}


def news_record() -> dict[str, Any]:
    """One change a bureau is told of (summary.json's `registrations`)."""
    from intake.definition.registration import NEWS_RECORD, TOLD

    return _record(NEWS_RECORD, state={"enum": [str(s) for s in TOLD]})


def messages_schema() -> dict[str, Any]:
    """summary.json's `messages` (a run with --messages): each message written, and who got
    none and why."""
    text = {"type": "string"}
    texts = {"type": "array", "items": text}
    unsent = {"type": "object", "required": ["bureau", "email", "file", "reason"],
              "properties": {k: text for k in ("bureau", "email", "file", "reason", "message",
                                                "key")}}
    return {"type": "object", "required": ["folder", "written", "not_written", "no_address"],
            "properties": {
                "folder": text,
                "written": {"type": "array", "items": {
                    "type": "object",
                    "required": ["bureau", "email", "message", "files", "registrations",
                                 "attached", "not_attached"],
                    "properties": {"bureau": text, "email": text, "message": text,
                                   "files": texts, "registrations": texts, "attached": texts,
                                   "not_attached": texts}}},
                "not_written": {"type": "array", "items": unsent},
                "no_address": {"type": "array", "items": unsent},
                "earlier": {"type": "array", "items": {
                    "type": "object", "required": ["run", "written"],
                    "properties": {"run": text, "written": {"type": "boolean"}}}}}}


def history_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of `intake history --json`: the funnel (registrations per
    state, the bounds, those waiting longer, oldest first), or with a Werkgever ID that
    employer's deliveries and states."""
    from intake.definition.registration import (
        DELIVERY_RECORD,
        ORDER,
        STATE_RECORD,
        WAITING_DAYS,
        WAITING_RECORD,
        State,
    )

    count = {"type": "integer", "minimum": 0}
    states = [str(s) for s in (*ORDER, State.REFUSED)]
    waits = [str(s) for s in WAITING_DAYS]
    funnel = {
        "type": "object", "title": "intake history --json",
        "required": ["states", "waiting_days", "waiting"], "additionalProperties": False,
        "properties": {
            "states": {"type": "object", "required": states, "additionalProperties": False,
                       "description": "How many registrations are in each state now.",
                       "properties": {s: count for s in states}},
            "waiting_days": {"type": "object", "propertyNames": {"enum": waits},
                             "additionalProperties": count,
                             "description": "The bound per state, in days (live and refused "
                                            "are ends and never wait)."},
            "waiting": {"type": "array", "items": _record(WAITING_RECORD,
                                                          state={"enum": waits}),
                        "description": "The registrations in their state longer than its "
                                       "bound, oldest first."}}}
    employer = {
        "type": "object", "title": "intake history WERKGEVER_ID --json",
        "required": ["werkgever_id", "deliveries", "states"], "additionalProperties": False,
        "properties": {
            "werkgever_id": {"type": "string"},
            "deliveries": {"type": "array", "items": _record(DELIVERY_RECORD)},
            "states": {"type": "array", "items": _record(STATE_RECORD, state={
                "enum": [str(s) for s in State]}),
                       "description": "Every state its registrations had, oldest first, "
                                      "with when (UTC) and the source: batch <run> or status "
                                      "<file>:<row>."}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": HISTORY_SCHEMA_ID,
        "title": "intake history --json",
        "description": "The registrations after delivery (the manual's steps 3 and 4): the "
                       "funnel, or one employer's deliveries and states.",
        "oneOf": [funnel, employer],
    }


def status_import_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of `intake status import --json`: the rows taken, the changes
    recorded, the findings, the earlier import of the same content, the messages written."""
    from intake.definition.registration import CHANGE_RECORD, IMPORT_RECORD, ORDER, State

    count = {"type": "integer", "minimum": 0}
    text = {"type": "string"}
    recorded = [str(s) for s in (*ORDER[1:], State.REFUSED)]
    finding = report_schema()["properties"]["findings"]["items"]
    finding["properties"]["field"] = {"enum": [None, *(f.name for f in STATUS.fields)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": STATUS_IMPORT_SCHEMA_ID,
        "title": "intake status import --json",
        "type": "object",
        "required": ["file", "name", "sha256", "rows", "changed", "unchanged", "repeated",
                     "rejected", "valid", "repeat_of", "news", "changes", "findings"],
        "additionalProperties": False,
        "properties": {
            "file": text, "name": text,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            **{k: count for k in ("rows", "changed", "unchanged", "repeated", "rejected")},
            "valid": {"type": "boolean"},
            "repeat_of": {"oneOf": [{"type": "null"}, _record(IMPORT_RECORD)],
                          "description": "The first earlier import of the same content "
                                         "(sha256), if any."},
            "news": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["folder", "registrations", "messages"],
                "additionalProperties": False,
                "properties": {"folder": text,
                               "registrations": {"type": "array", "items": news_record()},
                               "messages": messages_schema()}}],
                     "description": "With --messages: the changes told and the messages "
                                    "written (null: no news)."},
            "changes": {"type": "array", "items": _record(CHANGE_RECORD,
                                                          state={"enum": recorded})},
            "findings": {"type": "array", "items": finding},
        },
    }


def status_schema() -> dict[str, Any]:
    """The Table Schema of the status file `intake status import` reads (a CSV, or the sheet
    Status of a workbook): what a.s.r. or Keylane sends in. Beyond what the schema says, the
    import checks each row against the ledger (an employer delivered, a move forward, live with
    a date not too far back, refused with a reason, each employer once)."""
    schema = table_schema(STATUS)
    schema["description"] = (
        "A status file for `intake status import`: one row per registration (Werkgever ID + "
        "loonheffingennummer) with the state it reached. Also checked against the ledger: the "
        "employer was delivered; states only move forward (delivered, completed, setup, live; "
        "refused before live); live needs eerste_uitwisseling, not further back or ahead than "
        "the bounds (90 days back and 365 ahead unless --max-days-back, --max-days-ahead); "
        "refused needs reden; each employer once; a row an earlier import of the same file "
        "recorded is not recorded again. A CSV "
        "separated by ; or , (UTF-8, or Windows-1252), or a workbook with a sheet Status.")
    return schema


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def docs(prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES) -> str:
    """schemas/README.md: every field with its labels, aliases, rules and source; every code."""
    lines = [
        "# The data contract",
        "",
        "Generated by `intake schema` from `intake/definition/fields.py`, "
        "`intake/definition/kinds.py` and `intake/definition/messages.py`; do not edit by hand. "
        "The rules' sources are listed per field (the manual is *Handleiding aanmelden werkgever "
        "Loket*).",
        "",
        "Files: `werkgevers.schema.json` and `dga.schema.json` (Frictionless Table Schemas), "
        "`datapackage.json` (the two CSVs of one delivery; check one with `frictionless "
        "validate datapackage.json` next to the CSVs), `status.schema.json` (the status file "
        "of `intake status import`), `report.schema.json` (JSON Schema of "
        "report.json), `summary.schema.json` (JSON Schema of the summary.json of an `intake batch` "
        "run, with the registrations that went live or were refused and the bureau messages), "
        "`history.schema.json` (JSON Schema of `intake history --json`: the registrations per "
        "state and those waiting, or one employer's deliveries and states), "
        "`status-import.schema.json` (JSON Schema of `intake status import --json`). Every "
        "delivery "
        "folder (`intake validate`, each file and each run of `intake "
        "batch`) holds its own datapackage.json, with the CSV dialect chosen, the contract "
        "prefixes in force and, for a run, `bron_bestand`. The check digit (elfproef) of the "
        "loonheffingennummer and e-mail syntax "
        "beyond the `email` format cannot be expressed in a Table Schema; the validator checks "
        "them. The contract pattern assumes the accepted prefixes "
        f"{', '.join(prefixes)} (`intake schema --contract-prefix` for others).",
        "",
    ]
    for spec in SHEETS:
        lines += [f"## Sheet `{spec.name}` → `{spec.csv_name}.csv`", "",
                  "| CSV column | Dutch label | English label | also recognised as | rules | "
                  "regels | source |", "|---|---|---|---|---|---|---|"]
        for f in spec.fields:
            rules = ["required (`required`)"] + [f"{r.describe_en} (`{r.code}`)"
                                                 for r in rules_for(f, prefixes)]
            regels = ["verplicht"] + [r.describe_nl for r in rules_for(f, prefixes)]
            aliases = ", ".join(f"`{a}`" for a in f.aliases)
            lines.append(f"| `{f.name}` | {_md(f.label)} | {_md(f.label_en)} | {_md(aliases)} "
                         f"| {_md('; '.join(rules))} | {_md('; '.join(regels))} "
                         f"| {_md(f.source)} |")
        lines += ["| `bron_rij` | | Source row | | the Excel row number | het Excel-rijnummer "
                  "| |", ""]
    lines += ["## The status file → `status.schema.json`", "",
              "What a.s.r. or Keylane sends in for `intake status import` (a CSV or a sheet "
              "`Status`); the import also checks each row against the ledger.", "",
              "| column | Dutch label | English label | also recognised as | rules | regels |",
              "|---|---|---|---|---|---|"]
    for f in STATUS.fields:
        first = ["required (`required`)"] if f.required else ["optional"]
        rules = first + [f"{r.describe_en} (`{r.code}`)" for r in rules_for(f, prefixes)]
        regels = (["verplicht"] if f.required else ["mag leeg"]) + [
            r.describe_nl for r in rules_for(f, prefixes)]
        aliases = ", ".join(f"`{a}`" for a in f.aliases)
        lines.append(f"| `{f.name}` | {_md(f.label)} | {_md(f.label_en)} | {_md(aliases)} "
                     f"| {_md('; '.join(rules))} | {_md('; '.join(regels))} |")
    lines += ["", "## Finding codes", "",
              "| code | severity | Dutch message | English message |", "|---|---|---|---|"]
    for code, entry in sorted(CATALOGUE.items()):
        lines.append(f"| `{code}` | {entry.severity} | {_md(entry.nl[0])} | "
                     f"{_md(entry.en[0])} |")
    return "\n".join(lines) + "\n"


def rules_table() -> str:
    """The table of the cell rules in docs/integrator.md: one line per kind, naming its
    fields."""
    lines = ["| field | rule (codes) |", "|---|---|", "| all fields | required (`required`) |"]
    for kind in KINDS:
        fields = {f.label: f for spec in SHEETS for f in spec.fields if f.kind is kind}
        if not fields:
            continue
        rule = kind.readme
        limits = sorted({f.max_length for f in fields.values() if f.max_length is not None})
        if limits:
            rule += f"; at most {' or '.join(map(str, limits))} characters (`too-long`)"
        lines.append(f"| {', '.join(fields)} | {_md(rule)} |")
    for spec in SHEETS:
        for f in spec.fields:
            if f.checks:
                own = "; ".join(f"{c.describe_en} (`{c.code}`)" for c in f.checks)
                lines.append(f"| {f.label} | also: {_md(own)} |")
    return "\n".join(lines) + "\n"


def template_columns() -> str:
    """The sheets of the template and their columns, in order: the list in
    docs/integrator.md."""
    lines: list[str] = []
    for spec in SHEETS:
        items = [f"`{f.label}`," for f in spec.fields]
        items[-1] = items[-1][:-1] + ";"
        line = f"- sheet **{spec.name}**:"
        for item in items:  # wrapped between columns, never inside a name
            if len(line) + 1 + len(item) > 100:
                lines.append(line)
                line = " "
            line += " " + item
        lines.append(line)
    return "\n".join(lines) + "\n"


#: Where each generated part of docs/integrator.md starts, and the first line after it.
_GENERATED = (("| field | rule (codes) |", "| employers |", rules_table),
              ("- sheet **Werkgevers**:", "- a DGA row belongs", template_columns))


def with_generated(readme: str) -> str:
    """`readme` (docs/integrator.md) with its cell-rules table and its list of the template's
    columns replaced by what the field list gives now."""
    for first, after, make in _GENERATED:
        start = readme.index(first)
        end = readme.index(after, start)
        readme = readme[:start] + make() + readme[end:]
    return readme


def contract_files(prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES) -> dict[str, str]:
    """Every file of the contract, by name, as text, for the contract prefixes in force."""
    def dump(data: Any) -> str:
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    files = {f"{spec.csv_name}.schema.json": dump(table_schema(spec, prefixes))
             for spec in SHEETS}
    files["status.schema.json"] = dump(status_schema())
    files["datapackage.json"] = dump(datapackage(prefixes=prefixes))
    files["report.schema.json"] = dump(report_schema())
    files["summary.schema.json"] = dump(summary_schema())
    files["history.schema.json"] = dump(history_schema())
    files["status-import.schema.json"] = dump(status_import_schema())
    files["README.md"] = docs(prefixes)
    return files


def write_contract(out_dir: Path,
                   prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES) -> list[Path]:
    """Write the contract files into `out_dir`; return their paths."""
    paths = []
    for name, text in contract_files(prefixes).items():
        atomic_write_text(out_dir / name, text)
        paths.append(out_dir / name)
    return paths
