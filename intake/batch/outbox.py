"""`intake batch --messages`: one draft message per bureau per run in RUN/berichten/, never
sent, and an account of them in the run's summary.json for the operator.

Bureaus are told apart by their address (E-mail salarisverwerker, lowercased), as the files'
rows name them. A file goes to each valid address its rows name, but to no more than
MAX_ADDRESSES_PER_FILE: a workbook naming more is the operator's (listed, no message), so the
messages of a run are at most that many per file and each feedback is attached once per
message. A bureau without a valid address gets no message and is listed. A message that cannot
be written (a disk error, a check that fails) does not stop the others: it is listed as not
written, and the next run with --messages writes it (`catch_up`), reading what was written
from the earlier run's summary.json (`messages`) and that the run asked for messages from the
ledger.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from intake.batch.addresses import MESSAGE_NAME, Recipient, message_name, recipient
from intake.batch.ledger import Ledger
from intake.batch.mail import ATTACH_CAP, Feedback, check, compose, feedback_of, letter
from intake.batch.pages import run_page
from intake.definition.messages import Lang
from intake.outputs.files import atomic_write_bytes, atomic_write_text

FOLDER = "berichten"
#: A file naming more addresses than this gets no message: the operator decides.
MAX_ADDRESSES_PER_FILE = 3
#: How many earlier runs the next run looks at for messages not written.
CATCH_UP_RUNS = 14
#: Statuses of files that have no message of their own in this run.
_NOT_OURS = ("skipped", "waiting")

#: Why a bureau got no message, for the operator (summary.json, index.html, stderr).
REASONS: dict[Lang, dict[str, str]] = {
    "nl": {
        "address": "geen geldig e-mailadres ({code}); geen bericht geschreven",
        "non-ascii-local-part": "e-mailadres met niet-ASCII-tekens vóór de @: alleen te "
                                "schrijven met SMTPUTF8; geen bericht geschreven, stuur zelf",
        "too-many": "het bestand noemt {n} e-mailadressen (meer dan {max}); geen berichten "
                    "geschreven, stuur de feedback zelf",
        "failed": "bericht niet geschreven ({error}); de volgende verwerking met --messages "
                  "probeert het opnieuw",
        "news": "geen geldig e-mailadres voor het nieuws over Werkgever ID {id} ({state}); "
                "geen bericht geschreven, vertel het de salarisverwerker zelf",
    },
    "en": {
        "address": "no valid e-mail address ({code}); no message written",
        "non-ascii-local-part": "e-mail address with non-ASCII characters before the @: only "
                                "writable with SMTPUTF8; no message written, send it yourself",
        "too-many": "the file names {n} e-mail addresses (more than {max}); no messages "
                    "written, send the feedback yourself",
        "failed": "message not written ({error}); the next run with --messages tries again",
        "news": "no valid e-mail address for the news about Employer ID {id} ({state}); no "
                "message written, tell the payroll processor yourself",
    },
}


@dataclass(frozen=True)
class Unsent:
    """A bureau (or a file) that got no message, and why. `key` is set when the next run
    should write it."""

    bureau: str
    email: str
    file: str
    reason: str
    message: str = ""
    key: str = ""

    def to_json(self) -> dict[str, str]:
        """Its entry in summary.json's `messages`."""
        entry = {"bureau": self.bureau, "email": self.email, "file": self.file,
                 "reason": self.reason}
        return entry | ({"message": self.message, "key": self.key} if self.key else {})


@dataclass(frozen=True)
class Planned:
    """One message: to whom, about which files, under which file name."""

    to: Recipient
    raw_email: str
    files: tuple[Mapping[str, Any], ...]
    name: str
    #: Its registrations that went live or were refused since its last message.
    news: tuple[Mapping[str, Any], ...] = ()


@dataclass
class Plan:
    """A run's messages, and who gets none."""

    messages: list[Planned] = field(default_factory=list)
    no_address: list[Unsent] = field(default_factory=list)
    not_written: list[Unsent] = field(default_factory=list)


def plan(summary: Mapping[str, Any], lang: Lang) -> Plan:
    """Who gets a message about which of the run's files (a function of the summary only, so
    the next run plans the same names)."""
    reasons = REASONS[lang]
    result = Plan()
    groups: dict[str, tuple[Recipient, str, list[Mapping[str, Any]]]] = {}
    listed: set[tuple[str, str]] = set()
    for f in summary["files"]:
        named = (f.get("counts") or {}).get("bureaus") or []
        if f.get("status") in _NOT_OURS or not named:
            continue
        valid: dict[str, tuple[Recipient, str]] = {}
        for name, raw in named:
            found = recipient(str(name), str(raw))
            if isinstance(found, Recipient):
                valid.setdefault(found.key, (found, str(raw)))
            elif (str(name), str(raw)) not in listed:
                listed.add((str(name), str(raw)))
                text = reasons.get(found) or reasons["address"].format(code=found)
                unsent = Unsent(str(name), str(raw), str(f["name"]), text)
                (result.not_written if found in reasons else result.no_address).append(unsent)
        if len(valid) > MAX_ADDRESSES_PER_FILE:
            result.not_written.append(Unsent(
                "", "", str(f["name"]), reasons["too-many"].format(
                    n=len(valid), max=MAX_ADDRESSES_PER_FILE)))
            continue
        for key, (to, raw) in valid.items():
            groups.setdefault(key, (to, raw, []))[2].append(f)
    news: dict[str, list[Mapping[str, Any]]] = {}
    for n in summary.get("registrations") or []:
        found = recipient(str(n.get("bureau") or ""), str(n.get("email") or ""))
        if isinstance(found, Recipient):
            groups.setdefault(found.key, (found, str(n["email"]), []))
            news.setdefault(found.key, []).append(n)
        else:  # no message can tell it (an address pruned or never valid): the operator's
            result.no_address.append(Unsent(str(n.get("bureau") or ""), str(n.get("email") or ""),
                                            "", reasons["news"].format(id=n["werkgever_id"],
                                                                       state=n["state"])))
    width = max(3, len(str(len(groups))))
    for number, key in enumerate(sorted(groups), 1):
        to, raw, files = groups[key]
        result.messages.append(Planned(to, raw, tuple(files),
                                       message_name(number, to.address.display_name, width),
                                       tuple(news.get(key, ()))))
    return result


def _attachments(files: Sequence[Mapping[str, Any]], run_dir: Path, cap: int,
                 ) -> tuple[dict[str, Feedback], list[Feedback]]:
    """Each file's feedback, and those attached: in file order while they fit in `cap`."""
    feedback: dict[str, Feedback] = {}
    attached: list[Feedback] = []
    room = cap
    for f in files:
        found = feedback_of(f, run_dir)
        if found is None:
            continue
        feedback[str(f["name"])] = found
        if found.size <= room and found.path not in {a.path for a in attached}:
            attached.append(found)
            room -= found.size
    return feedback, attached


def _write_one(item: Planned, summary: Mapping[str, Any], run_dir: Path, lang: Lang,
               sender: Address, cap: int) -> dict[str, Any]:
    """Compose, check and write one message; its entry in `messages.written`."""
    folder = run_dir / FOLDER
    if not MESSAGE_NAME.fullmatch(item.name):
        raise ValueError(f"not a message name: {item.name!r}")
    target = folder / item.name
    if target.parent != folder:
        raise ValueError(f"outside {FOLDER}: {item.name!r}")
    feedback, attached = _attachments(item.files, run_dir, cap)
    names = {name for name, fb in feedback.items() if fb in attached}
    words = letter(item.to.address.display_name, item.files, summary, feedback, names, lang,
                   item.news)
    message = compose(item.to.address, words, sender, attached)
    data = bytes(message)
    check(data, item.to.address, sender)
    folder.mkdir(exist_ok=True)
    atomic_write_bytes(target, data)
    return {"bureau": item.to.address.display_name, "email": item.to.address.addr_spec,
            "message": item.name, "files": [str(f["name"]) for f in item.files],
            "registrations": [str(n["werkgever_id"]) for n in item.news],
            "attached": [fb.name for fb in attached],
            "not_attached": [str(fb.path.relative_to(run_dir)) for fb in feedback.values()
                             if fb not in attached]}


def write(items: Sequence[Planned], summary: Mapping[str, Any], run_dir: Path, lang: Lang,
          sender: Address, cap: int = ATTACH_CAP) -> tuple[list[dict[str, Any]], list[Unsent]]:
    """Write each message; one that fails is returned as not written, the rest go on."""
    written: list[dict[str, Any]] = []
    failed: list[Unsent] = []
    for item in items:
        try:
            written.append(_write_one(item, summary, run_dir, lang, sender, cap))
        except Exception as exc:  # any one message: reported, the next one still written
            error = traceback.format_exception_only(type(exc), exc)[-1].strip()[:300]
            failed.append(Unsent(item.to.address.display_name, item.to.address.addr_spec,
                                 ", ".join(str(f["name"]) for f in item.files),
                                 REASONS[lang]["failed"].format(error=error),
                                 item.name, item.to.key))
    return written, failed


def record(written: Sequence[Mapping[str, Any]], the_plan: Plan,
           failed: Sequence[Unsent]) -> dict[str, Any]:
    """summary.json's `messages`: what was written, who got none and why."""
    return {"folder": FOLDER, "written": list(written),
            "not_written": [u.to_json() for u in (*the_plan.not_written, *failed)],
            "no_address": [u.to_json() for u in the_plan.no_address]}


def news(ledger: Ledger) -> list[dict[str, Any]]:
    """The registrations that went live or were refused since the last run with messages, each
    with its bureau (name, address) and employer name from its latest delivery: summary.json's
    `registrations`, from which the messages are planned (so the next run plans them again if
    a message was not written)."""
    found = []
    for r in ledger.untold():
        data = json.loads(r["data"] or "{}")
        found.append({"id": r["id"], "werkgever_id": r["werkgever_id"],
                      "loonheffingennummer": r["loonheffingennummer"],
                      "werkgever_naam": data.get("werkgever_naam", ""),
                      "bureau": data.get("salarisverwerker_naam", ""),
                      "email": data.get("salarisverwerker_email", ""), "state": r["state"],
                      "at": r["at"], "first_exchange": r["first_exchange"],
                      "reason": r["reason"]})
    return found


def write_messages(summary: Mapping[str, Any], run_dir: Path, lang: Lang, sender: Address,
                   cap: int = ATTACH_CAP) -> dict[str, Any]:
    """Write the run's messages (feedback attached up to `cap` bytes per message); return
    summary.json's `messages` for it."""
    the_plan = plan(summary, lang)
    written, failed = write(the_plan.messages, summary, run_dir, lang, sender, cap)
    return record(written, the_plan, failed)


def catch_up(ledger: Ledger, out_dir: Path, run_id: str, lang: Lang,
             sender: Address) -> list[dict[str, Any]]:
    """Write what earlier runs that asked for messages did not write (their summary.json has
    no `messages`, or lists some as not written with a key); update their summary.json.
    Returns what was done, per message: run, bureau, email, message, written or reason."""
    done: list[dict[str, Any]] = []
    for run in ledger.runs()[:CATCH_UP_RUNS + 1]:
        options = json.loads(run["options"] or "{}")
        path = out_dir / run["id"] / "summary.json"
        if run["id"] == run_id or not options.get("messages") or run["status"] == "running":
            continue
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        earlier = summary.get("messages")
        retry = None if earlier is None else {u["key"] for u in earlier["not_written"]
                                              if u.get("key")}
        if retry == set():
            continue
        the_plan = plan(summary, lang)
        items = [p for p in the_plan.messages if retry is None or p.to.key in retry]
        written, failed = write(items, summary, out_dir / run["id"], lang, sender)
        if earlier is None:
            summary["messages"] = record(written, the_plan, failed)
        else:
            again = {u.key for u in failed}
            earlier["written"] += written
            earlier["not_written"] = [u for u in earlier["not_written"]
                                      if not u.get("key") or u["key"] in again]
        save(out_dir / run["id"], summary, lang)
        done += [{"run": run["id"], "bureau": w["bureau"], "email": w["email"],
                  "message": w["message"], "written": True} for w in written]
        done += [{"run": run["id"], **u.to_json(), "written": False} for u in failed]
    return done


def save(run_dir: Path, summary: Mapping[str, Any], lang: Lang) -> None:
    """Write the run's summary.json and index.html again (with its `messages`)."""
    atomic_write_text(run_dir / "summary.json",
                      json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    atomic_write_text(run_dir / "index.html", run_page(summary, lang))


def send(ledger: Ledger, summary: dict[str, Any], run_dir: Path, lang: Lang,
         sender: Address) -> list[str]:
    """The run's messages, then those earlier runs did not write; summary.json and index.html
    say what became of each. Returns the operator's notes (stderr), one per message not
    written or bureau without an address."""
    summary["registrations"] = news(ledger)
    messages = write_messages(summary, run_dir, lang, sender)
    messages["earlier"] = catch_up(ledger, run_dir.parent, summary["run"]["id"], lang, sender)
    summary["messages"] = messages
    save(run_dir, summary, lang)
    ledger.mark_told([int(n["id"]) for n in summary["registrations"]], summary["run"]["id"])
    notes = [f"{len(messages['written'])} message(s) written to "
             f"{run_dir / FOLDER}"] if messages["written"] else []
    notes += [f"no message for {u['bureau']} <{u['email']}> ({u['file']}): {u['reason']}"
              for u in (*messages["no_address"], *messages["not_written"])]
    notes += [f"message of run {e['run']} for {e['email']} written: {e['message']}"
              if e["written"] else
              f"message of run {e['run']} for {e['email']} still not written: {e['reason']}"
              for e in messages["earlier"]]
    return notes


#: Where `intake status import --messages` writes: OUTDIR/status/<stamp>/berichten/.
NEWS_FOLDER = "status"


def send_news(ledger: Ledger, out_dir: Path, lang: Lang, sender: Address,
              ) -> dict[str, Any] | None:
    """The bureau messages about the registrations that went live or were refused and that no
    message told yet, written now (not at the next run) into OUTDIR/status/<stamp>/berichten/
    with the account in summary.json beside it; None when there is no such news. Each change
    is marked told (so the next run does not tell it again) unless its message could not be
    written: the next run with messages tells that one. The caller holds OUTDIR's lock, so a
    run cannot tell the same news meanwhile."""
    import datetime as dt

    from intake.batch.ledger import now

    found = news(ledger)
    if not found:
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    folder = out_dir / NEWS_FOLDER / stamp
    number = 1
    while folder.exists():
        number += 1
        folder = out_dir / NEWS_FOLDER / f"{stamp}-{number}"
    summary: dict[str, Any] = {"run": {"id": f"{NEWS_FOLDER}/{folder.name}",
                                       "started_at": now()},
                               "files": [], "registrations": found}
    try:
        folder.mkdir(parents=True)
        the_plan = plan(summary, lang)
        written, failed = write(the_plan.messages, summary, folder, lang, sender)
        summary["messages"] = record(written, the_plan, failed)
        atomic_write_text(folder / "summary.json",
                          json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:  # nothing marked told: the next run with messages tells it
        from intake.definition.errors import IntakeError
        from intake.outputs.terminal import printable

        raise IntakeError.stop("status-messages-not-written", folder=printable(str(folder)),
                               reason=exc.strerror or type(exc).__name__) from exc
    again = {u.key for u in failed}
    told = []
    for n in found:
        to = recipient(str(n.get("bureau") or ""), str(n.get("email") or ""))
        if not isinstance(to, Recipient) or to.key not in again:
            told.append(int(n["id"]))
    ledger.mark_told(told, summary["run"]["id"])
    return summary
