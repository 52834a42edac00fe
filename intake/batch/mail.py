"""`intake batch --messages`: a ready message per bureau, written as an .eml file, never sent.

One message per bureau e-mail address (the E-mail salarisverwerker of its files' rows), in
Dutch: per file what was delivered, what was held back and why, with each file's feedback
workbook attached. A file whose rows name no bureau (unreadable, no rows) has no addressee;
the operator sees it on index.html. The standard library's `email` package writes the files.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

from intake.batch.pages import local_time
from intake.definition.messages import UI
from intake.outputs.files import atomic_write_bytes

FOLDER = "berichten"


def _plural(n: int, one: str, more: str) -> str:
    return f"{n} {one if n == 1 else more}"


def _file_lines(f: Mapping[str, Any], notes: Sequence[Mapping[str, Any]],
                attachment: str | None) -> list[str]:
    counts = f.get("counts") or {}
    rows = counts.get("werkgevers") or {}
    delivered = int((f.get("delivered") or {}).get("werkgevers", 0))
    lines = [f"- {f['name']}: {UI['nl'].get('st_' + f['status'], f['status'])}."]
    if rows:
        total = _plural(int(rows.get("rows", 0)), "werkgever", "werkgevers")
        lines.append(f"  {rows.get('accepted', 0)} van {total} goedgekeurd; {delivered} "
                     "aangeleverd aan a.s.r. en Keylane.")
    if f["status"] in ("partially accepted", "rejected") and rows:
        where = f"zie de bijlage {attachment}" if attachment else "zie het rapport"
        lines.append(f"  {_plural(int(counts.get('errors', 0)), 'fout', 'fouten')}, "
                     f"{_plural(int(counts.get('warnings', 0)), 'waarschuwing', 'waarschuwingen')}"
                     f": {where}.")
    elif f.get("error") and f["status"] != "accepted":
        lines.append(f"  {f['error']}")
    for note in notes:
        lines.append(f"  Niet aangeleverd of let op, {note.get('sheet')}!{note.get('cell')}: "
                     f"{note.get('message')}")
    return lines


def write_messages(summary: Mapping[str, Any], run_dir: Path) -> list[Path]:
    """Write RUN/berichten/<e-mail>.eml for every bureau of the run; return the paths."""
    per_address: dict[str, dict[str, Any]] = {}
    for f in summary["files"]:
        for name, email in (f.get("counts") or {}).get("bureaus") or []:
            if not email or "@" not in email:
                continue
            entry = per_address.setdefault(email.lower(), {"name": name, "email": email,
                                                           "files": []})
            if f not in entry["files"]:
                entry["files"].append(f)
    written = []
    run = summary["run"]
    for address, entry in sorted(per_address.items()):
        message = EmailMessage()
        local, _, domain = entry["email"].partition("@")
        try:
            message["To"] = Address(display_name=entry["name"], username=local, domain=domain)
        except (ValueError, IndexError):
            message["To"] = formataddr((entry["name"], entry["email"]))
        message["Subject"] = (f"Jouw aanmeldingen voor de a.s.r.-salariskoppeling: verwerking "
                              f"{run['id']}")
        n = len(entry["files"])
        lines = [f"Beste {entry['name'] or 'salarisverwerker'},", "",
                 f"In de verwerking van {local_time(run['started_at'])} (verwerking "
                 f"{run['id']}) {'is' if n == 1 else 'zijn'} "
                 f"{_plural(n, 'bestand', 'bestanden')} van jullie verwerkt:", ""]
        attachments = []
        for f in entry["files"]:
            notes = [n for n in summary.get("cross_file", []) if n.get("file") == f["name"]]
            # The feedback workbook carries the file's own name (<name>-feedback.xlsx).
            feedback = sorted((run_dir / f["output"]).glob("*-feedback*.xls*")) \
                if f.get("output") else []
            name = None
            if feedback:
                name = feedback[0].name
                attachments.append((name, feedback[0]))
            lines += _file_lines(f, notes, name)
        fix = any(f["status"] in ("partially accepted", "rejected") for f in entry["files"])
        lines += ["", "In de bijlage staat per bestand de feedbackwerkmap: je eigen werkmap met "
                  "de fouten en waarschuwingen gemarkeerd en een blad Controle, dat ook zegt wat "
                  "de volgende stap is."
                  + (" Verbeter de rode cellen en lever dat bestand opnieuw aan." if fix else ""),
                  "",
                  "Met vriendelijke groet,", "a.s.r."]
        message.set_content("\n".join(lines))
        for filename, path in attachments:
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            maintype, subtype = kind.split("/", 1)
            message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                                   filename=filename)
        target = run_dir / FOLDER / f"{address}.eml"
        atomic_write_bytes(target, bytes(message))
        written.append(target)
    return written
