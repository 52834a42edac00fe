"""One bureau's message: what its files' outcomes mean for it, as an e-mail draft.

The text is built from the bureau's own files only (their status, counts, cross-file notes and
feedback workbooks), so it says nothing that is not so for that bureau: "verbeter" only where a
file has red cells, the conflict's own advice where a row differs from an earlier registration,
Keylane only when something was delivered. It speaks to the bureau as "je", in the run's
language. Python's `email` package writes the message (policy SMTP: CRLF, folded headers,
encoded words only where RFC 2047 allows them); `check` reads the bytes back and refuses a
message whose headers or recipient are not exactly the ones meant.
"""

from __future__ import annotations

import datetime as dt
import email
import html
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from intake.definition.messages import UI, Lang
from intake.definition.registration import shown_day
from intake.outputs.layout import local_time
from intake.outputs.terminal import printable

#: Used when `intake batch --messages` is given no --messages-from.
DEFAULT_FROM = "\"a.s.r. salariskoppeling\" <salariskoppeling@asr.nl>"
#: Feedback workbooks attached to one message, in bytes, at most (base64 adds a third: about
#: 14 MB of message, under the 20-25 MB most mail servers take).
ATTACH_CAP = 10 * 1024 * 1024
#: The headers a message has, and no other.
HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "X-Unsent", "MIME-Version",
           "Content-Type")
#: Statuses whose file has a feedback workbook with red cells to correct.
_FIXABLE = ("partially accepted", "rejected")

WORDS: dict[Lang, dict[str, str]] = {
    "nl": {
        "subject": "Salariskoppeling a.s.r.: je aanmeldingen van {date}",
        "hello": "Beste {name},", "hello_anon": "Beste salarisverwerker,",
        "intro": "a.s.r. heeft in de verwerking van {when} (verwerking {run}) {files} van "
                 "jullie verwerkt.",
        "file": "bestand", "files": "bestanden",
        "werkgever": "werkgever", "werkgevers": "werkgevers",
        "fout": "fout", "fouten": "fouten",
        "delivered": "Aangeleverd aan a.s.r. en Keylane: {delivered} van {rows}.",
        "before": "Niet opnieuw aangeleverd: {n}, al eerder aangemeld met dezelfde gegevens.",
        "held": "Niet aangeleverd: {n}, met {errors} in de rood gemarkeerde cellen.",
        "held_whole": "Niet aangeleverd: {n}, door {errors} in de werkmap als geheel.",
        "fix": "Verbeter de rode cellen in {feedback}, sla het op en lever het opnieuw aan "
               "zoals je {workbook} aanleverde; wat al is aangeleverd wordt niet nog eens "
               "aangeleverd.",
        "fix_all": "Verbeter de rode cellen in {feedback}, sla het op en lever het opnieuw aan "
                   "zoals je {workbook} aanleverde.",
        "fix_whole": "Herstel in {workbook} wat bij de fouten staat (het gaat om de werkmap als "
                     "geheel, niet om een cel), sla het op en lever het opnieuw aan zoals je het "
                     "aanleverde.",
        "nothing": "Je hoeft hiervoor niets te doen.",
        "corrected": "Die zijn in dezelfde verwerking alsnog aangeleverd met {files}; je hoeft "
                     "dit bestand niet meer te verbeteren.",
        "attached": "De feedbackwerkmap {feedback} zit in de bijlage.",
        "kept": "De feedbackwerkmap {feedback} ({mb} MB) is te groot om mee te sturen; a.s.r. "
                "bewaart hem bij verwerking {run}. Vraag erom als je hem nodig hebt.",
        "about_feedback": "Een feedbackwerkmap is je eigen werkmap met de fouten en "
                          "waarschuwingen gemarkeerd en een blad Controle met de volgende stap.",
        "keylane": "Keylane neemt contact met je op voor de verdere inrichting van de "
                   "aangeleverde werkgevers.",
        "regards": "Met vriendelijke groet,",
        "subject_news": "Salariskoppeling a.s.r.: de stand van je aanmeldingen op {date}",
        "intro_news": "Er is nieuws over werkgevers die je eerder bij a.s.r. hebt aangemeld.",
        "news": "De stand van je aanmeldingen",
        "live": "{name} (Werkgever ID {id}): de salariskoppeling is gerealiseerd. De eerste "
                "uitwisseling van gegevens is op {date}.",
        "refused": "{name} (Werkgever ID {id}): de aanmelding is afgewezen. Reden: {reason} "
                   "Los dit op en meld de werkgever daarna opnieuw aan als je de koppeling "
                   "nog wilt.",
    },
    "en": {
        "subject": "a.s.r. payroll link: your registrations of {date}",
        "hello": "Dear {name},", "hello_anon": "Dear payroll processor,",
        "intro": "In its run of {when} (run {run}) a.s.r. processed {files} of yours.",
        "file": "file", "files": "files",
        "werkgever": "employer", "werkgevers": "employers",
        "fout": "error", "fouten": "errors",
        "delivered": "Delivered to a.s.r. and Keylane: {delivered} of {rows}.",
        "before": "Not delivered again: {n}, registered before with the same data.",
        "held": "Not delivered: {n}, with {errors} in the cells marked red.",
        "held_whole": "Not delivered: {n}, because of {errors} in the workbook as a whole.",
        "fix": "Correct the red cells in {feedback}, save it and submit it again the way you "
               "submitted {workbook}; what was delivered is not delivered again.",
        "fix_all": "Correct the red cells in {feedback}, save it and submit it again the way "
                   "you submitted {workbook}.",
        "fix_whole": "Correct in {workbook} what the errors say (they are about the workbook "
                     "as a whole, not a cell), save it and submit it again the way you "
                     "submitted it.",
        "nothing": "There is nothing you need to do about it.",
        "corrected": "They were delivered in the same run with {files}; you need not correct "
                     "this file any more.",
        "attached": "The feedback workbook {feedback} is attached.",
        "kept": "The feedback workbook {feedback} ({mb} MB) is too large to send along; a.s.r. "
                "keeps it with run {run}. Ask for it if you need it.",
        "about_feedback": "A feedback workbook is your own workbook with the errors and warnings "
                          "marked and a Controle sheet with the next step.",
        "keylane": "Keylane will contact you to set up the employers delivered.",
        "regards": "Kind regards,",
        "subject_news": "a.s.r. payroll link: where your registrations stand on {date}",
        "intro_news": "There is news about employers you registered with a.s.r. before.",
        "news": "Where your registrations stand",
        "live": "{name} (Employer ID {id}): the payroll link is live. The first exchange of "
                "data is on {date}.",
        "refused": "{name} (Employer ID {id}): the registration was refused. Reason: {reason} "
                   "Resolve this, then register the employer again if you still want the link.",
    },
}


@dataclass(frozen=True)
class Feedback:
    """A file's feedback workbook: its name as attached, where it is, its size."""

    name: str
    path: Path
    size: int


@dataclass(frozen=True)
class Block:
    """What one file came to, for its bureau: a title and the sentences under it."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Letter:
    """A message's text: the paragraphs before the files, one block per file, the rest."""

    subject: str
    opening: tuple[str, ...]
    blocks: tuple[Block, ...]
    closing: tuple[str, ...]

    def plain(self) -> str:
        """The text part."""
        parts = ["\n\n".join(self.opening), ""]
        for block in self.blocks:
            parts.append(f"- {block.title}")
            parts += [f"  {line}" for line in block.lines]
        parts += ["", "\n\n".join(self.closing)]
        return "\n".join(parts) + "\n"

    def html(self) -> str:
        """The HTML part: the same words, every one escaped."""
        e = html.escape
        items = "".join(f"<li><strong>{e(b.title)}</strong>"
                        + "".join(f"<br>{e(line)}" for line in b.lines) + "</li>"
                        for b in self.blocks)
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
                + "".join(f"<p>{e(p)}</p>" for p in self.opening)
                + f"<ul>{items}</ul>"
                + "".join(f"<p>{e(p)}</p>".replace("\n", "<br>") for p in self.closing)
                + "</body></html>\n")


def sender_address(text: str) -> Address:
    """The From of the messages (`Name <address>` or an address), checked: one ASCII address
    that passes the e-mail rule of E-mail salarisverwerker. ValueError says why not."""
    from intake.batch.addresses import ascii_address

    header = policy.default.header_factory("From", text)
    addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    if len(addresses) != 1 or header.defects or not addresses[0].domain:
        raise ValueError(f"not one e-mail address: {text!r}")
    found = ascii_address(addresses[0].addr_spec)
    if isinstance(found, str):
        raise ValueError(f"{addresses[0].addr_spec!r}: {found}")
    return Address(display_name=addresses[0].display_name, username=found.username,
                   domain=found.domain)


def feedback_of(f: Mapping[str, Any], run_dir: Path) -> Feedback | None:
    """The feedback workbook in the file's output folder (`<name>-feedback.xlsx`), if any."""
    output = f.get("output")
    if not output:
        return None
    folder = (run_dir / str(output)).resolve()
    if folder.parent != run_dir.resolve() or not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob("*-feedback*.xls*") if p.is_file())
    if not found:
        return None
    return Feedback(attachment_name(found[0].name), found[0], found[0].stat().st_size)


def attachment_name(name: str) -> str:
    """A file name fit for Content-Disposition: no control or invisible characters, no
    slashes or quotes, at most 120 characters (the end, with the suffix, kept)."""
    from intake.batch.addresses import visible

    cleaned = "".join("_" if ch in '/\\"' else ch for ch in visible(name, "_"))
    return cleaned if len(cleaned) <= 120 else "~" + cleaned[-119:]


def _count(n: int, one: str, more: str) -> str:
    return f"{n} {one if n == 1 else more}"


def _block(f: Mapping[str, Any], notes: Sequence[Mapping[str, Any]],
           feedback: Feedback | None, attached: bool, run_id: str, lang: Lang) -> Block:
    """What file `f` came to: delivered, not delivered and why, what to do."""
    w = WORDS[lang]
    name = printable(str(f["name"]))
    status = str(f["status"])
    counts = f.get("counts") or {}
    rows = counts.get("werkgevers") or {}
    lines: list[str] = []
    total, accepted = int(rows.get("rows", 0)), int(rows.get("accepted", 0))
    delivered = int((f.get("delivered") or {}).get("werkgevers", 0))
    held_rows = total - accepted
    conflicts = [n for n in notes if n.get("severity") == "error"]
    if total:
        lines.append(w["delivered"].format(delivered=delivered,
                                           rows=_count(total, w["werkgever"], w["werkgevers"])))
    if accepted > delivered:
        lines.append(w["before"].format(n=_count(accepted - delivered, w["werkgever"],
                                                 w["werkgevers"])))
    if held_rows:
        errors = int(counts.get("errors", 0))
        held = "held" if counts.get("marked", True) else "held_whole"
        lines.append(w[held].format(n=_count(held_rows, w["werkgever"], w["werkgevers"]),
                                    errors=_count(errors, w["fout"], w["fouten"])))
    for note in conflicts:
        lines.append(printable(f"{note.get('sheet')}!{note.get('cell')}: {note.get('message')} "
                               f"{note.get('hint') or ''}".strip()))
    if f.get("corrected_by"):
        lines.append(w["corrected"].format(files=", ".join(map(str, f["corrected_by"]))))
    elif status in _FIXABLE and int(counts.get("errors", 0)) > len(conflicts):
        # every error about the workbook as a whole (no header, a sheet too large): no red cell
        fix = "fix" if delivered else "fix_all" if counts.get("marked", True) else "fix_whole"
        lines.append(w[fix].format(feedback=feedback.name if feedback else name, workbook=name))
    elif f.get("error") and status not in ("accepted", *_FIXABLE):
        lines.append(printable(str(f["error"])))
    elif total and not held_rows:
        lines.append(w["nothing"])
    if feedback is not None:
        lines.append(w["attached"].format(feedback=feedback.name) if attached else
                     w["kept"].format(feedback=feedback.name, run=run_id,
                                      mb=f"{feedback.size / 1024 / 1024:.1f}"))
    title = f"{name}: {UI[lang].get('st_' + status, status)}"
    return Block(title, tuple(lines))


def news_block(news: Sequence[Mapping[str, Any]], lang: Lang) -> Block:
    """The registrations of a bureau that went live (with the date of the first exchange) or
    were refused (and why) since its last message."""
    w = WORDS[lang]
    lines = []
    for n in news:
        name = printable(str(n.get("werkgever_naam") or n["werkgever_id"]))
        if n["state"] == "live":
            lines.append(w["live"].format(name=name, id=n["werkgever_id"],
                                          date=shown_day(str(n.get("first_exchange")), lang)))
        else:
            reason = printable(str(n.get("reason") or "")).strip()
            if reason and reason[-1] not in ".!?":
                reason += "."
            lines.append(w["refused"].format(name=name, id=n["werkgever_id"], reason=reason))
    return Block(w["news"], tuple(lines))


def letter(name: str, files: Sequence[Mapping[str, Any]], summary: Mapping[str, Any],
           feedback: Mapping[str, Feedback], attached: set[str], lang: Lang,
           news: Sequence[Mapping[str, Any]] = ()) -> Letter:
    """The words of one bureau's message about `files` (its own) in the run of `summary`, and
    about its registrations that went live or were refused (`news`)."""
    w = WORDS[lang]
    run = summary["run"]
    notes = summary.get("cross_file") or []
    blocks = tuple(_block(f, [n for n in notes if n.get("file") == f["name"]],
                          feedback.get(f["name"]), f["name"] in attached, run["id"], lang)
                   for f in files)
    if news:
        blocks += (news_block(news, lang),)
    intro = w["intro"].format(when=local_time(run.get("started_at")), run=run["id"],
                              files=_count(len(files), w["file"], w["files"])) if files \
        else w["intro_news"]
    opening = (w["hello"].format(name=name) if name else w["hello_anon"], intro)
    closing = []
    if feedback:
        closing.append(w["about_feedback"])
    if any(int((f.get("delivered") or {}).get("werkgevers", 0)) for f in files):
        closing.append(w["keylane"])
    closing.append(f"{w['regards']}\na.s.r.")
    date = local_time(run.get("started_at")).split(" ")[0]
    subject = w["subject" if files else "subject_news"].format(date=date)
    return Letter(subject, opening, blocks, tuple(closing))


def compose(to: Address, words: Letter, sender: Address,
            attachments: Sequence[Feedback]) -> EmailMessage:
    """The message: headers, a plain and an HTML part, the attachments. (The subject and the
    Message-ID fit on their header line: Python 3.11 reads a folded one back with a space.)"""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = words.subject
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message["X-Unsent"] = "1"
    message.set_content(words.plain())
    message.add_alternative(words.html(), subtype="html")
    for item in attachments:
        kind = mimetypes.guess_type(item.path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(item.path.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=item.name)
    return message


def check(data: bytes, to: Address, sender: Address) -> None:
    """Read the message back as a mail client would; ValueError unless it has exactly our
    headers, once each, one recipient (the one meant) and our sender."""
    parsed = email.message_from_bytes(data, policy=policy.default)
    keys = [k.lower() for k in parsed]
    if sorted(keys) != sorted(h.lower() for h in HEADERS):
        raise ValueError(f"unexpected headers: {keys}")
    recipients = parsed["To"].addresses
    if len(recipients) != 1 or recipients[0].addr_spec != to.addr_spec:
        raise ValueError(f"recipient read back as {recipients!r}")
    if recipients[0].display_name != to.display_name:
        raise ValueError(f"display name read back as {recipients[0].display_name!r}")
    if [a.addr_spec for a in parsed["From"].addresses] != [sender.addr_spec]:
        raise ValueError("sender read back wrong")
