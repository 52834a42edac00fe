"""`intake batch --messages`: one safe draft per bureau, read back with Python's email parser;
the hostile cases of issue 23 each end written safely or listed for the operator."""

from __future__ import annotations

import email
import json
import shutil
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from intake.batch.addresses import MESSAGE_NAME
from intake.batch.mail import HEADERS
from intake.outputs.samples import employer, fill

from conftest import replace, run_intake

#: An address of 250 bytes that passes the rule (local part 64, labels of at most 63).
LONG_OK = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 54 + ".nl"


def _bureau(n: int, name: str, address: str, **other: str) -> tuple[object, ...]:
    """employer(n) sent by the bureau called `name` at `address`."""
    return replace(employer(n), salarisverwerker_naam=name, salarisverwerker_email=address,
                   **other)


def _batch(inbox: Path, out: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    """Run the batch with --messages; the newest run's folder and summary.json."""
    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0", "--messages",
                      *extra)
    assert done.returncode in (0, 1), done.stderr
    run = sorted(p for p in out.iterdir() if p.is_dir())[-1]
    return run, json.loads((run / "summary.json").read_text(encoding="utf-8"))


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _by_address(run: Path) -> dict[str, EmailMessage]:
    messages = {}
    for path in sorted((run / "berichten").iterdir()):
        assert MESSAGE_NAME.fullmatch(path.name), path.name
        message = _read(path)
        assert sorted(k.lower() for k in message) == sorted(h.lower() for h in HEADERS)
        (to,) = message["To"].addresses
        messages[to.addr_spec] = message
    return messages


def test_a_message_reads_back_with_its_headers_both_parts_and_attachments(
        tmp_path: Path) -> None:
    """One .eml per bureau, named by number and bureau name, read back with
    message_from_binary_file: From, To, Subject, Date, Message-ID, X-Unsent: 1, a plain and an
    HTML part in multipart/alternative, each of its files' feedback attached byte for byte; the
    text says per file what was delivered and what to do, for that bureau only."""
    inbox = tmp_path / "in"
    fill(inbox / "noord-1.xlsx", [employer(1), employer(2)], [])
    fill(inbox / "noord-2.xlsx", [employer(3), replace(employer(4), verloning="week")], [])
    fill(inbox / "zuid.xlsx", [_bureau(5, "Loonbureau Zuid & Co <b>", "info@zuid.nl")], [])
    run, summary = _batch(inbox, tmp_path / "out")
    assert sorted(p.name for p in (run / "berichten").iterdir()) == [
        "001-salarisbureau-noord-b-v.eml", "002-loonbureau-zuid-co-b.eml"]
    noord = _read(run / "berichten" / "001-salarisbureau-noord-b-v.eml")
    assert str(noord["From"]) == '"a.s.r. salariskoppeling" <salariskoppeling@asr.nl>'
    assert str(noord["To"]) == '"Salarisbureau Noord B.V." <info@noord.nl>'
    day = f"{run.name[6:8]}-{run.name[4:6]}-{run.name[:4]}"  # the run id is UTC: not at 0h
    assert noord["Subject"] == f"Salariskoppeling a.s.r.: je aanmeldingen van {day}"
    assert noord["Date"].datetime is not None
    assert noord["Message-ID"].endswith("@asr.nl>")
    assert noord["X-Unsent"] == "1"
    assert noord.get_content_type() == "multipart/mixed"
    (alternative, *attachments) = noord.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain",
                                                                        "text/html"]
    assert {a.get_filename(): a.get_content() for a in attachments} == {
        "noord-1-feedback.xlsx": (run / "noord-1.xlsx" / "noord-1-feedback.xlsx").read_bytes(),
        "noord-2-feedback.xlsx": (run / "noord-2.xlsx" / "noord-2-feedback.xlsx").read_bytes()}
    body = _plain(noord)
    assert "2 bestanden van jullie verwerkt" in body
    assert ("- noord-1.xlsx: goedgekeurd\n  Aangeleverd aan a.s.r. en Keylane: 2 van 2 "
            "werkgevers.\n  Je hoeft hiervoor niets te doen.") in body
    assert ("- noord-2.xlsx: deels goedgekeurd\n  Aangeleverd aan a.s.r. en Keylane: 1 van 2 "
            "werkgevers.\n  Niet aangeleverd: 1 werkgever, met 1 fout in de rood gemarkeerde "
            "cellen.\n  Verbeter de rode cellen in noord-2-feedback.xlsx") in body
    assert "zuid" not in body.lower()
    zuid = _read(run / "berichten" / "002-loonbureau-zuid-co-b.eml")
    zuid_body = _plain(zuid)
    assert "Verbeter" not in zuid_body and "Je hoeft hiervoor niets te doen." in zuid_body
    assert "noord" not in zuid_body.lower()
    html = zuid.get_body(("html",))
    assert html is not None
    assert "Beste Loonbureau Zuid &amp; Co &lt;b&gt;," in html.get_content()
    assert [w["message"] for w in summary["messages"]["written"]] == [
        "001-salarisbureau-noord-b-v.eml", "002-loonbureau-zuid-co-b.eml"]


def test_hostile_addresses_names_and_file_names_end_safe_or_listed(tmp_path: Path) -> None:
    """Each hostile case of issue 23 in one run: a message is written under a numbered name in
    berichten/ or the bureau is listed for the operator; nothing is written outside OUTDIR,
    no message has a header of its own beyond ours or a second recipient, and the ordinary
    bureau after them still gets its message."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    cases = {
        "abs.xlsx": _bureau(1, "Abs", "/abs/dir/x@example.nl"),
        "dotdot.xlsx": _bureau(2, "Dots", "../x@example.nl", verloning="week"),
        "slash.xlsx": _bureau(3, "Slash", "a/b/c@example.nl"),
        "long-ok.xlsx": _bureau(4, "Lang", LONG_OK),
        "too-long.xlsx": _bureau(5, "Te lang", "e" * 64 + "@" + "f" * 230 + ".nl"),
        "crlf-name.xlsx": _bureau(6, "Noord\r\nBcc: evil@evil.nl", "crlf@example.nl"),
        "crlf-address.xlsx": _bureau(7, "Adres", "x@example.nl\r\nBcc: evil@evil.nl"),
        "encoded.xlsx": _bureau(8, "=?utf-8?b?eA0KQmNjOiBldmlsQGV2aWwubmw=?=", "enc@example.nl"),
        "encoded-2.xlsx": _bureau(9, "Bureau =?utf-8?q?x=0D=0ABcc:_evil@evil.nl?=",
                                  "enc2@example.nl"),
        "comma.xlsx": _bureau(10, "Komma", "a@example.nl, evil@evil.nl"),
        "typo.xlsx": _bureau(11, "Van Dijk", "salaris@vandijkpartners,nl"),
        "idn.xlsx": _bureau(12, "Bücher", "info@bücher.de"),
        "cr\r\nlf.xlsx": _bureau(13, "Naam", "file@example.nl"),
        "zz-last.xlsx": _bureau(14, "Loonbureau Laatste", "laatste@example.nl"),
    }
    for name, row in cases.items():
        fill(inbox / name, [row], [])
    run, summary = _batch(inbox, out)
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(inbox)
               and not p.is_relative_to(out)]
    assert outside == [] and not Path("/abs/dir/x@example.nl").exists()
    assert all(p.is_file() for p in (run / "berichten").iterdir())
    messages = _by_address(run)
    assert sorted(messages) == sorted([
        "/abs/dir/x@example.nl", "a/b/c@example.nl", LONG_OK, "crlf@example.nl",
        "enc@example.nl", "enc2@example.nl", "info@xn--bcher-kva.de", "file@example.nl",
        "laatste@example.nl"])
    assert messages["crlf@example.nl"]["To"].addresses[0].display_name == (
        "Noord Bcc: evil@evil.nl")
    assert messages["enc@example.nl"]["To"].addresses[0].display_name == (
        "= ?utf-8?b?eA0KQmNjOiBldmlsQGV2aWwubmw= ?=")  # read as text, never decoded
    assert b"xn--bcher-kva.de" in next(
        p.read_bytes() for p in (run / "berichten").iterdir() if "bucher" in p.name)
    (attachment,) = messages["file@example.nl"].iter_attachments()
    assert "\r" not in str(attachment.get_filename()) and "\n" not in str(
        attachment.get_filename())
    listed = {u["email"].replace("\r\n", "\n") for u in summary["messages"]["no_address"]}
    assert listed == {"../x@example.nl", "e" * 64 + "@" + "f" * 230 + ".nl",
                      "x@example.nl\nBcc: evil@evil.nl", "a@example.nl, evil@evil.nl",
                      "salaris@vandijkpartners,nl"}
    assert summary["messages"]["not_written"] == []
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "salaris@vandijkpartners,nl" in index


def test_a_workbook_naming_2000_addresses_is_left_to_the_operator(tmp_path: Path) -> None:
    """A workbook whose 2,000 rows name 2,000 addresses writes no message at all (not 2,000
    copies of its feedback): it is listed as not written with the count; the bureau of
    another file still gets its one message."""
    inbox = tmp_path / "in"
    fill(inbox / "many.xlsx", [_bureau(n, f"Bureau {n}", f"b{n}@example.nl")
                               for n in range(1, 2001)], [])
    fill(inbox / "noord.xlsx", [employer(3000)], [])
    run, summary = _batch(inbox, tmp_path / "out")
    assert list(_by_address(run)) == ["info@noord.nl"]
    (unsent,) = summary["messages"]["not_written"]
    assert unsent["file"] == "many.xlsx" and "2000" in unsent["reason"]
    assert "key" not in unsent  # not tried again: the operator decides


def test_one_message_failing_stops_no_other_and_the_next_run_writes_it(
        tmp_path: Path) -> None:
    """Night 1 died after its summary, before its messages (summary.json without `messages`);
    night 2 writes them, but one cannot be written (a folder is in its place): it is listed
    as not written, the other one and night 2's own are written; night 3 writes the missing
    one and night 1 then lists none as not written."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "noord.xlsx", [employer(1)], [])
    fill(inbox / "zuid.xlsx", [_bureau(2, "Loonbureau Zuid", "info@zuid.nl")], [])
    night1, summary1 = _batch(inbox, out)
    del summary1["messages"]
    (night1 / "summary.json").write_text(json.dumps(summary1), encoding="utf-8")
    shutil.rmtree(night1 / "berichten")
    (night1 / "berichten" / "001-salarisbureau-noord-b-v.eml").mkdir(parents=True)

    fill(inbox / "west.xlsx", [_bureau(3, "Bureau West", "info@west.nl")], [])
    night2, summary2 = _batch(inbox, out)
    assert list(_by_address(night2)) == ["info@west.nl"]
    earlier = {e["email"]: e["written"] for e in summary2["messages"]["earlier"]}
    assert earlier == {"info@noord.nl": False, "info@zuid.nl": True}
    after2 = json.loads((night1 / "summary.json").read_text(encoding="utf-8"))["messages"]
    assert [u["email"] for u in after2["not_written"]] == ["info@noord.nl"]
    assert "IsADirectoryError" in after2["not_written"][0]["reason"]

    (night1 / "berichten" / "001-salarisbureau-noord-b-v.eml").rmdir()
    fill(inbox / "oost.xlsx", [_bureau(4, "Bureau Oost", "info@oost.nl")], [])
    _, summary3 = _batch(inbox, out)
    assert [(e["email"], e["written"]) for e in summary3["messages"]["earlier"]] == [
        ("info@noord.nl", True)]
    after3 = json.loads((night1 / "summary.json").read_text(encoding="utf-8"))["messages"]
    assert after3["not_written"] == []
    assert sorted(_by_address(night1)) == ["info@noord.nl", "info@zuid.nl"]


def test_english_messages_and_the_sender_option(tmp_path: Path) -> None:
    """--lang en writes the message in English; --messages-from sets its From; a From that is
    not one valid address is a usage error (exit 2) before anything runs."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "noord.xlsx", [employer(1), replace(employer(2), verloning="week")], [])
    run, _ = _batch(inbox, out, "--lang", "en", "--messages-from",
                    "Team Salariskoppeling <team@example.nl>")
    (message,) = _by_address(run).values()
    assert str(message["From"]) == "Team Salariskoppeling <team@example.nl>"
    assert message["Subject"].startswith("a.s.r. payroll link: your registrations of ")
    body = _plain(message)
    assert "Delivered to a.s.r. and Keylane: 1 of 2 employers." in body
    assert "Correct the red cells in noord-feedback.xlsx" in body
    bad = run_intake("batch", str(inbox), "--out", str(tmp_path / "o2"), "--messages",
                     "--messages-from", "a@example.nl, b@example.nl")
    assert bad.returncode == 2 and "--messages-from" in bad.stderr
    assert not (tmp_path / "o2").exists()


def test_feedback_beyond_the_size_cap_is_kept_and_the_text_says_where(tmp_path: Path) -> None:
    """With a cap smaller than the feedback, the message attaches nothing and says the
    feedback is kept with the run (by run id, no path), and summary's entry names its file."""
    from intake.batch.mail import sender_address
    from intake.batch.outbox import write_messages

    inbox = tmp_path / "in"
    fill(inbox / "noord.xlsx", [employer(1)], [])
    run, summary = _batch(inbox, tmp_path / "out")
    shutil.rmtree(run / "berichten")
    done = write_messages(summary, run, "nl", sender_address("a@example.nl"), cap=1000)
    (written,) = done["written"]
    assert written["attached"] == [] and written["not_attached"] == [
        "noord.xlsx/noord-feedback.xlsx"]
    message = _read(run / "berichten" / written["message"])
    assert list(message.iter_attachments()) == []
    assert (f"is te groot om mee te sturen; a.s.r. bewaart hem bij verwerking {run.name}. "
            "Vraag erom als je hem nodig hebt.") in _plain(message)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_message_texts_name_no_option_command_or_path_and_say_je(tmp_path: Path,
                                                                  lang: str) -> None:
    """Every message of a run with accepted, partly accepted, rejected and unreadable files
    names no option, command or path, and in Dutch says je, never u/uw."""
    from definition.test_audience import _problems

    inbox = tmp_path / "in"
    fill(inbox / "ok.xlsx", [employer(1)], [])
    fill(inbox / "part.xlsx", [employer(2), replace(employer(3), verloning="week")], [])
    fill(inbox / "bad.xlsx", [replace(employer(4), verloning="week")], [])
    run, _ = _batch(inbox, tmp_path / "out", "--lang", lang)
    for message in _by_address(run).values():
        html = message.get_body(("html",))
        assert html is not None
        for text in (_plain(message), str(message["Subject"])):
            assert _problems(text, lang) == []  # type: ignore[arg-type]


def test_a_conflict_is_told_with_its_own_advice_and_no_correction(tmp_path: Path) -> None:
    """Zuid registers an employer Noord registered the night before, with other data: Zuid's
    message names its own file and row, the conflict and its advice (contact a.s.r.), says
    nothing was delivered, and does not tell it to correct red cells or mention Keylane or
    Noord's file as its own."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "noord.xlsx", [replace(employer(1), dertiende_maand="Ja")], [])
    _batch(inbox, out)
    fill(inbox / "zuid.xlsx", [_bureau(1, "Loonbureau Zuid", "info@zuid.nl",
                                       dertiende_maand="Nee")], [])
    run, _ = _batch(inbox, out)
    (message,) = _by_address(run).values()
    assert message["To"].addresses[0].addr_spec == "info@zuid.nl"
    body = _plain(message)
    assert "- zuid.xlsx: afgekeurd\n  Aangeleverd aan a.s.r. en Keylane: 0 van 1 werkgever." \
        in body
    assert "Werkgevers!" in body and "met andere gegevens" in body
    assert "neem dan contact op met a.s.r." in body
    assert "Verbeter" not in body and "Keylane neemt contact" not in body
    assert "- noord.xlsx" not in body


def test_a_file_corrected_later_in_the_same_run_is_not_to_be_corrected(tmp_path: Path) -> None:
    """Noord sends a file with one wrong row and, in the same night, a corrected copy that
    delivers that employer: the first file's part of the message says the employer was
    delivered with the second file and asks no correction of it; summary.json names the file
    that corrected it, and no Werkgever ID."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    noord = ("Loonbureau Noord", "info@noord.nl")
    fill(inbox / "a-eerste.xlsx", [_bureau(1, *noord),
                                   _bureau(2, *noord, loonheffingennummer="123")], [])
    fill(inbox / "b-verbeterd.xlsx", [_bureau(2, *noord)], [])
    run, summary = _batch(inbox, out)
    first = next(f for f in summary["files"] if f["name"] == "a-eerste.xlsx")
    assert first["status"] == "partially accepted"
    assert first["corrected_by"] == ["b-verbeterd.xlsx"]
    assert "rejected_ids" not in first["counts"]
    (message,) = _by_address(run).values()
    body = _plain(message)
    part = body[body.index("- a-eerste.xlsx"):body.index("- b-verbeterd.xlsx")]
    assert "alsnog aangeleverd met b-verbeterd.xlsx" in part and "Verbeter" not in part


def test_a_file_whose_rejected_rows_no_later_file_delivered_is_still_to_be_corrected(
        tmp_path: Path) -> None:
    """The same first file with a second file delivering another employer: it is still asked
    to be corrected, and summary.json names no file that corrected it."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    noord = ("Loonbureau Noord", "info@noord.nl")
    fill(inbox / "a-eerste.xlsx", [_bureau(1, *noord),
                                   _bureau(2, *noord, loonheffingennummer="123")], [])
    fill(inbox / "b-ander.xlsx", [_bureau(3, *noord)], [])
    run, summary = _batch(inbox, out)
    first = next(f for f in summary["files"] if f["name"] == "a-eerste.xlsx")
    assert "corrected_by" not in first
    body = _plain(next(iter(_by_address(run).values())))
    assert "Verbeter de rode cellen in a-eerste-feedback.xlsx" in body


def test_a_file_rejected_as_a_whole_is_not_sent_to_red_cells(tmp_path: Path) -> None:
    """A workbook without its Verloning column: no row can be delivered and no error is about
    a cell, so the bureau is told to correct the workbook as a whole, not red cells that are
    not there; summary.json's counts say no error is marked."""
    import openpyxl

    from intake.definition.fields import WERKGEVERS

    inbox, out = tmp_path / "in", tmp_path / "out"
    noord = ("Loonbureau Noord", "info@noord.nl")
    path = fill(inbox / "zonder-kolom.xlsx", [_bureau(1, *noord), _bureau(2, *noord)], [])
    book = openpyxl.load_workbook(path)
    labels = [c.value for c in book["Werkgevers"][1]]
    book["Werkgevers"].delete_cols(labels.index(WERKGEVERS.field("verloning").label) + 1)
    book.save(path)
    run, summary = _batch(inbox, out)
    (counts,) = [f["counts"] for f in summary["files"]]
    assert counts["marked"] is False and counts["errors"] >= 1
    body = " ".join(_plain(next(iter(_by_address(run).values()))).split())
    assert "niet om een cel" in body and "rode cellen" not in body and "rood" not in body
    assert "Niet aangeleverd: 2 werkgevers, door 1 fout in de werkmap als geheel." in body
