"""The web intake as a Starlette application: pages for bureaus and for the operator.

Bureau pages: /uploads (upload form and earlier uploads), /uploads/<id> (the result: the same
content as report.html, feedback workbook to download, what happens next). Operator pages:
/beheer (runs, bureaus, recent uploads), /beheer/runs/<id> (files, delivered rows, conflicts).
Every page works without JavaScript; /static/upload.js only adds drag and drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from intake.batch.views import LedgerView
from intake.checking.check import Settings
from intake.definition.errors import IntakeError
from intake.definition.kinds import DEFAULT_CONTRACT_PREFIXES
from intake.definition.messages import LANGS, Lang
from intake.definition.status import Door, Status
from intake.outputs.layout import local_time
from intake.outputs.logs import LogFormat
from intake.outputs.terminal import printable
from intake.validation.limits import Limits
from intake.validation.reader import SPREADSHEET_SUFFIXES
from intake.validation.validate import Options
from intake.web import health, identity, words
from intake.web import inbox as inbox_files
from intake.web.connections import ConnectionLimits, protocol, raise_file_limit
from intake.web.keys import Role
from intake.web.security import BodyLimit, SecurityHeaders, same_token
from intake.web.store import Session, Store, Upload
from intake.web.worker import Lane

SESSION_COOKIE = "intake_sessie"
LOGIN_COOKIE = "intake_login"
#: The first bytes of every workbook the validator reads: a zip (xlsx, xlsm, xlsb, ods) or an
#: OLE2 container (xls, and a password-protected xlsx, which the validator then names).
MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
#: Failed logins allowed per client address in LOGIN_WINDOW seconds.
LOGIN_ATTEMPTS, LOGIN_WINDOW = 10, 900.0
#: Keys checked at once, over all addresses: each costs a slow hash in a thread; more wait.
LOGIN_CHECKS_AT_ONCE = 2
#: The operator's "actie nodig" looks at the conflicts and unread files of this many runs.
RECENT_RUNS = 7

#: The name of the blank template a bureau downloads.
TEMPLATE_NAME = "werkgevers-aanmelding.xlsx"


class ServeError(IntakeError):
    """The server cannot start (folders missing or not writable)."""

    code = "serve"


@dataclass(frozen=True)
class ServeConfig:
    """Everything `intake serve` was asked to do."""

    inbox: Path
    out_dir: Path
    db: Path | None = None
    limits: Limits = field(default_factory=Limits)
    contract_prefixes: tuple[str, ...] = DEFAULT_CONTRACT_PREFIXES
    lang: Lang = "nl"
    max_upload_mb: int = 50
    #: Checks of small files at once, and of large files (over large_mb) at once.
    workers: int = 2
    large_workers: int = 1
    large_mb: float = 2.0
    #: Uploads waiting for a check beyond the running ones; more get 503.
    max_queue: int = 64
    hsts: bool = False
    #: Deadlines for a request being sent, and how many connections may be open.
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)

    @property
    def ledger_path(self) -> Path:
        """The ledger (and web tables): OUTDIR/intake.sqlite unless --db."""
        return self.db or self.out_dir / "intake.sqlite"

    @property
    def web_db(self) -> Path:
        """The web intake's own sessions and uploads: OUTDIR/web/web.sqlite."""
        return self.out_dir / "web" / "web.sqlite"

    @property
    def uploads_dir(self) -> Path:
        """Where each upload's copy and reports are kept: OUTDIR/web/uploads/<id>/."""
        return self.out_dir / "web" / "uploads"


class Refusal(Exception):
    """A request answered with an error page: its status, and the words (`intake.web.words`)
    of its title (`<key>_title`) and of what to do (`<key>`, its fields from `values`)."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


def _report_css() -> str:
    """The style of report.html, served as a file so the result page needs no inline style."""
    template = resources.files("intake").joinpath("templates/report.html.j2").read_text("utf-8")
    found = re.search(r"<style>(.*?)</style>", template, re.S)
    return found.group(1) if found else ""


def _report_body(path: Path) -> Markup:
    """The body of a report.html the pipeline wrote (escaped by its own template), without
    its paragraphs on the next step and the feedback workbook: the result page says both
    itself, with the buttons to use."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find("<body>"), text.rfind("</body>")
    body = text[start + len("<body>"):end] if start >= 0 and end > start else ""
    return Markup(re.sub(r'<p id="(?:next|feedback)">.*?</p>\n?', "", body, count=2,
                         flags=re.S))


def _marked(path: Path) -> bool:
    """Whether an error in report.json at `path` is about a cell (red in the feedback
    workbook); True where it cannot be read (the usual case is said)."""
    try:
        findings = json.loads(path.read_text(encoding="utf-8")).get("findings") or []
    except (OSError, ValueError, AttributeError):
        return True
    return any(isinstance(f, dict) and f.get("severity") == "error" and f.get("cell")
               for f in findings)


class Intake:
    """The application's state and its request handlers."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.store = Store(config.ledger_path, config.web_db)
        self.ledger = LedgerView(config.ledger_path)
        self.small = anyio.CapacityLimiter(config.workers)
        self.large = anyio.CapacityLimiter(config.large_workers)
        settings = Settings(Options(contract_prefixes=config.contract_prefixes,
                                    limits=config.limits), lang=config.lang, door=Door.WEB,
                            html_langs=LANGS)
        #: Placing into the inbox is decided and done under this lock: a second click on
        #: "doorsturen" (or a retry) finds the upload placed and changes nothing.
        self._placing = threading.Lock()
        self.lanes = {False: Lane(config.workers, settings),
                      True: Lane(config.large_workers, settings, large=True)}
        self.waiting = 0
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.key_checks = anyio.CapacityLimiter(LOGIN_CHECKS_AT_ONCE)
        self._tries_swept = 0.0
        self.report_css = _report_css()
        self.env = jinja2.Environment(loader=jinja2.PackageLoader("intake", "templates"),
                                      autoescape=True, undefined=jinja2.StrictUndefined)
        self.env.filters["when"] = local_time

    # --- rendering ----------------------------------------------------------------------------

    def lang(self, request: Request) -> Lang:
        """The language of `request`: the person's choice, else serve's --lang."""
        return words.chosen(request.cookies.get(words.LANG_COOKIE), self.config.lang)

    def page(self, name: str, request: Request, status: int = 200,
             session: Session | None = None, **values: Any) -> HTMLResponse:
        """A page from templates/web-<name>.html.j2, in the request's language."""
        lang = self.lang(request)
        # Where the switch of language comes back to: this page, or for the answer to a form
        # the page the form was on (a GET of a form's address is no page of its own).
        back = request.url.path
        if request.method == "GET":
            back += f"?{request.url.query}" if request.url.query else ""
        elif request.method == "POST":
            back = back.removesuffix("/doorsturen")
        else:
            back = "/"
        body = self.render(name, lang, session=session, path=request.url.path, back=back,
                           **values)
        response = HTMLResponse(body, status_code=status)
        response.headers["content-language"] = lang
        return response

    def render(self, name: str, lang: Lang, **values: Any) -> str:
        """templates/web-<name>.html.j2 in `lang`, with `values`."""
        return self.env.get_template(f"web-{name}.html.j2").render(
            lang=lang, t=words.Words(lang), other=words.other(lang), **values)

    def error_page(self, request: Request, refusal: Refusal,
                   session: Session | None = None) -> HTMLResponse:
        """The error page of `refusal`, in the request's language."""
        t = words.Words(self.lang(request))
        return self.page("error", request, refusal.status, session=session,
                         title=t(f"{refusal.key}_title"), text=t(refusal.key, **refusal.values))

    async def refusal_page(self, scope: Scope, receive: Receive, send: Send,
                           refusal: Refusal) -> None:
        """An error page for a refusal made outside a route (the body limit)."""
        response = self.error_page(Request(scope, receive), refusal)
        response.headers["connection"] = "close"
        await response(scope, receive, send)

    async def switch(self, request: Request) -> Response:
        """Choose the language of the pages (kept in a cookie) and go back to the page the
        switch was on; only a path of this site is gone back to."""
        lang = str(request.path_params["lang"])
        if lang not in LANGS:
            raise Refusal(404, "no_page")
        back = str(request.query_params.get("terug") or "/")
        # Not another site: no //host, no backslash, no control character (a browser drops a
        # tab or a newline in a URL, so /<tab>/host would become //host).
        if (not back.startswith("/") or back.startswith("//") or "\\" in back
                or any(ord(c) < 32 or ord(c) == 127 for c in back)):
            back = "/"
        response = RedirectResponse(back, 303)
        # Lax, not Strict: a link to the site from an e-mail opens in the chosen language too.
        response.set_cookie(words.LANG_COOKIE, lang, max_age=words.LANG_COOKIE_DAYS * 86400,
                            path="/", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
        return response

    # --- who is asking ------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        """The request's live session, if any."""
        token = request.cookies.get(SESSION_COOKIE)
        return self.store.session(token, time.time()) if token else None

    def need(self, request: Request, role: Role) -> Session:
        """The session of someone with `role`, or a refusal."""
        session = self.session(request)
        if session is None:
            raise Refusal(401, "not_logged_in")
        if session.principal.role != role:
            raise Refusal(403, "no_access")
        return session

    @staticmethod
    def check_csrf(session: Session, form: Any) -> None:
        """Refuse a form without the session's token."""
        if not same_token(session.csrf, str(form.get("csrf") or "")):
            raise Refusal(403, "form_expired")

    # --- login --------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return RedirectResponse("/inloggen", 303)
        return RedirectResponse("/beheer" if session.principal.role == Role.OPERATOR
                                else "/uploads", 303)

    async def login_form(self, request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.page("login", request, csrf=token, error=None)
        self._cookie(request, response, LOGIN_COOKIE, token, 3600)
        return response

    async def login(self, request: Request) -> Response:
        client = request.client.host if request.client else "-"
        async with request.form(max_files=0, max_fields=5) as form:
            given, key = str(form.get("csrf") or ""), str(form.get("sleutel") or "")
        if not same_token(request.cookies.get(LOGIN_COOKIE), given):
            raise Refusal(403, "login_expired")
        # The try is counted before its key is checked, so that tries sent at once cannot all
        # pass the count; a right key takes its count back.
        recent = self._tries(client)
        if len(recent) >= LOGIN_ATTEMPTS:
            raise Refusal(429, "too_many_tries")
        counted = time.time()
        recent.append(counted)
        principal = await anyio.to_thread.run_sync(self.store.verify_key, key,
                                                   limiter=self.key_checks)
        if principal is not None:
            with contextlib.suppress(ValueError):
                recent.remove(counted)
        else:
            token = secrets.token_urlsafe(32)
            response = self.page("login", request, 401, csrf=token, error="login_wrong")
            self._cookie(request, response, LOGIN_COOKIE, token, 3600)
            return response
        cookie, _ = await anyio.to_thread.run_sync(self.store.open_session, principal,
                                                   time.time())
        redirect = RedirectResponse("/beheer" if principal.role == Role.OPERATOR
                                    else "/uploads", 303)
        self._cookie(request, redirect, SESSION_COOKIE, cookie, None)
        redirect.delete_cookie(LOGIN_COOKIE, path="/")
        return redirect

    def _tries(self, client: str) -> deque[float]:
        """`client`'s counted tries of the last LOGIN_WINDOW; addresses with none are
        forgotten (the table does not grow with every address that ever tried)."""
        now = time.time()
        since = now - LOGIN_WINDOW
        if now - self._tries_swept > 60:  # at most once a minute: one pass over the table
            self._tries_swept = now
            for address in [a for a, tries in self.failures.items()
                            if not tries or tries[-1] < since]:
                del self.failures[address]
        recent = self.failures[client]
        while recent and recent[0] < since:
            recent.popleft()
        return recent

    async def logout(self, request: Request) -> Response:
        session = self.session(request)
        if session is not None:
            async with request.form(max_files=0, max_fields=5) as form:
                self.check_csrf(session, form)
            await anyio.to_thread.run_sync(self.store.close_session,
                                           request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/inloggen", 303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @staticmethod
    def _cookie(request: Request, response: Response, name: str, value: str,
                max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")

    # --- bureau pages -------------------------------------------------------------------------

    async def uploads(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return RedirectResponse("/inloggen", 303)
        if session.principal.role == Role.OPERATOR:
            return RedirectResponse("/beheer", 303)
        bureau = session.principal.name
        rows = [(u, self._nightly(u)) for u in self.store.uploads(bureau)]
        return self.page("uploads", request, session=session, uploads=rows,
                         max_mb=self.config.max_upload_mb, suffixes=SPREADSHEET_SUFFIXES,
                         registrations=self.ledger.registrations(bureau),
                         template_name=TEMPLATE_NAME)

    def _nightly(self, upload: Upload) -> list[Any]:
        if not upload.inbox_name:
            return []
        return self.ledger.processing_of(f"{upload.bureau}/{upload.inbox_name}", upload.sha256)

    async def upload(self, request: Request) -> Response:
        session = self.need(request, Role.BUREAU)
        async with request.form(max_files=1, max_fields=5) as form:
            self.check_csrf(session, form)
            file = form.get("werkmap")
            if not isinstance(file, UploadFile) or not file.filename:
                raise Refusal(400, "no_file",
                              button=words.Words(self.lang(request))("check_button"))
            # The name as people will read it: control and direction characters (a right-to-
            # left override) as escapes; a long name shortened in its stem, never its suffix.
            full = printable(Path(file.filename.replace("\\", "/")).name)
            suffix = Path(full).suffix.lower()
            original = full
            if len(full) > 200:
                keep = len(suffix) if suffix in SPREADSHEET_SUFFIXES else 0
                original = full[:200 - keep] + full[len(full) - keep:]
            if suffix not in SPREADSHEET_SUFFIXES:
                raise Refusal(415, "not_a_workbook", name=original,
                              suffixes=", ".join(SPREADSHEET_SUFFIXES))
            head = await file.read(8)
            await file.seek(0)
            if not head:
                raise Refusal(400, "empty_file", name=original)
            if not head.startswith(MAGIC):
                raise Refusal(415, "disguised", name=original, suffix=suffix)
            upload, work = await anyio.to_thread.run_sync(
                self._receive, file, session.principal.name, original, suffix)
        await self._check(upload, work, self.lang(request))
        return RedirectResponse(f"/uploads/{upload.id}", 303)

    def _receive(self, file: UploadFile, bureau: str, original: str,
                 suffix: str) -> tuple[Upload, Path]:
        """Copy the upload under its own folder (name made here); record it."""
        digest, size = hashlib.sha256(), 0
        staging = self.config.uploads_dir / f".incoming-{secrets.token_hex(8)}"
        staging.mkdir(parents=True)
        copy = staging / f"{inbox_files.tame(original)}{suffix}"
        with copy.open("wb") as out:
            file.file.seek(0)
            for block in iter(lambda: file.file.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                out.write(block)
        upload = self.store.add_upload(bureau, original, suffix, digest.hexdigest(), size)
        work = self.config.uploads_dir / upload.id
        staging.rename(work)
        return upload, work

    async def _check(self, upload: Upload, work: Path, lang: Lang) -> None:
        """Validate in a worker process (bounded), in the language of the person who uploaded
        (the feedback workbook and report.json; report.html in every language, for the result
        page in whichever the reader chooses), record the outcome, place a good file."""
        large = upload.size > self.config.large_mb * 2**20
        limiter = self.large if large else self.small
        if self.waiting >= self.config.max_queue:
            self.store.finish_upload(upload.id, Status.FAILED, {},
                                     words.WORDS[lang]["error_busy"])
            raise Refusal(503, "server_busy")
        self.waiting += 1
        try:
            checked = await anyio.to_thread.run_sync(
                self.lanes[large].check, self._copy(upload), work / "rapport", lang,
                limiter=limiter)
        finally:
            self.waiting -= 1
        # Writes go through a thread: the nightly batch may hold the database's write lock.
        await anyio.to_thread.run_sync(self.store.finish_upload, upload.id, checked.status,
                                       dict(checked.counts), checked.message(lang))
        others: tuple[tuple[str, str], ...] = ()
        if checked.status in (Status.ACCEPTED, Status.PARTIAL):
            # Rows naming another bureau: held until the bureau confirms (never placed quietly).
            own = await anyio.to_thread.run_sync(self.store.bureau_email, upload.bureau)
            others = identity.other_bureaus(checked.counts.get("bureaus") or [], own)
            if others:
                await anyio.to_thread.run_sync(self.store.set_other_bureaus, upload.id, others)
        if checked.status == Status.ACCEPTED and not others:
            await anyio.to_thread.run_sync(self._place, upload.id)

    def _place(self, upload_id: str) -> str | None:
        """Put the upload into INBOX/<bureau>/ unless it or the same content is already
        there: once, however often it is asked for at the same time."""
        with self._placing:
            upload = self.store.upload(upload_id, None)
            assert upload is not None
            if upload.inbox_name or upload.held or self.store.placed_before(upload.bureau,
                                                                            upload.sha256):
                return None
            name = inbox_files.inbox_name(upload.id, upload.original_name, upload.suffix,
                                          dt.datetime.now(dt.UTC))
            inbox_files.place(self._copy(upload),
                              self.config.inbox, upload.bureau, name)
            self.store.set_placed(upload.id, name)
            return name

    def _feedback(self, upload: Upload) -> Path | None:
        """The upload's feedback workbook, if the check wrote one."""
        from intake.outputs.feedback import feedback_name

        path = (self.config.uploads_dir / upload.id / "rapport" /
                feedback_name(self._copy(upload)))
        return path if path.is_file() else None

    def _copy(self, upload: Upload) -> Path:
        """The server's copy of an upload, under a name made from the original (tamed)."""
        return (self.config.uploads_dir / upload.id /
                f"{inbox_files.tame(upload.original_name)}{upload.suffix}")

    async def template(self, request: Request) -> Response:
        """The blank template, for a bureau that does not have it yet."""
        self.need(request, Role.BUREAU)
        path = self.config.out_dir / "web" / TEMPLATE_NAME
        if not path.is_file():
            from intake.outputs.template import write_template

            await anyio.to_thread.run_sync(write_template, path)
        return FileResponse(path, filename=path.name, media_type="application/vnd."
                            "openxmlformats-officedocument.spreadsheetml.sheet")

    def _own(self, request: Request) -> tuple[Session, Upload]:
        """The session and the upload in the path, if it is theirs (else 404, not 403)."""
        session = self.session(request)
        if session is None:
            raise Refusal(401, "not_logged_in")
        bureau = None if session.principal.role == Role.OPERATOR else session.principal.name
        upload = self.store.upload(str(request.path_params["upload_id"]), bureau)
        if upload is None:
            raise Refusal(404, "no_upload")
        return session, upload

    def _report(self, upload: Upload, lang: Lang) -> Path:
        """The upload's report.html in `lang`: the one written in the check's language, or
        its copy in the other (an upload checked before both were written: the one there is)."""
        from intake.outputs.pipeline import html_name

        folder = self.config.uploads_dir / upload.id / "rapport"
        translated = folder / html_name(lang)
        return translated if translated.is_file() else folder / "report.html"

    async def result(self, request: Request) -> Response:
        session, upload = self._own(request)
        report = self._report(upload, self.lang(request))
        feedback = self._feedback(upload)
        earlier = self.store.placed_before(upload.bureau, upload.sha256)
        return self.page("result", request, session=session, upload=upload,
                         report=_report_body(report) if report.is_file() else None,
                         marked=_marked(report.with_name("report.json")),
                         feedback=feedback.name if feedback else None,
                         duplicate=earlier if earlier and earlier.id != upload.id else None,
                         nightly=self._nightly(upload),
                         own_email=self.store.bureau_email(upload.bureau))

    async def forward(self, request: Request) -> Response:
        session, upload = self._own(request)
        if session.principal.role != Role.BUREAU:
            raise Refusal(403, "bureau_forwards")
        async with request.form(max_files=0, max_fields=5) as form:
            self.check_csrf(session, form)
            confirmed = str(form.get("bevestig") or "") == "ja"
        if upload.status != Status.PARTIAL and not (upload.status == Status.ACCEPTED
                                                    and upload.other_bureaus):
            raise Refusal(409, "cannot_forward")
        if upload.held:
            if not confirmed:
                raise Refusal(400, "confirm_first")
            await anyio.to_thread.run_sync(self.store.confirm, upload.id)
        await anyio.to_thread.run_sync(self._place, upload.id)
        return RedirectResponse(f"/uploads/{upload.id}", 303)

    async def download(self, request: Request) -> Response:
        _, upload = self._own(request)
        lang = self.lang(request)
        what = str(request.path_params["what"])
        folder = self.config.uploads_dir / upload.id / "rapport"
        stem = inbox_files.tame(upload.original_name)
        if what == "feedback":
            path = self._feedback(upload)
            if path is None:
                raise Refusal(404, "no_feedback")
            # Its own name: the upload's name with -feedback (the next round's with -2 …).
            return FileResponse(path, filename=path.name,
                                media_type="application/vnd.openxmlformats-officedocument."
                                           "spreadsheetml.sheet" if path.suffix == ".xlsx"
                                else "application/vnd.ms-excel.sheet.macroEnabled.12")
        names = {"rapport.html": (self._report(upload, lang).name, "text/html; charset=utf-8"),
                 "report.json": ("report.json", "application/json")}
        if what not in names or not (folder / names[what][0]).is_file():
            raise Refusal(404, "no_such_file")
        name, media = names[what]
        response = FileResponse(folder / name, media_type=media,
                                filename=f"rapport-{stem}{Path(name).suffix}")
        if name.endswith(".html"):
            # report.html carries its own inline style (a file people keep); never a script.
            response.headers["content-security-policy"] = (
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                "base-uri 'none'; form-action 'none'")
        return response

    # --- operator pages -----------------------------------------------------------------------

    async def operator(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return RedirectResponse("/inloggen", 303)
        session = self.need(request, Role.OPERATOR)
        uploads = self.store.uploads(limit=50)
        return self.page("operator", request, session=session, runs=self.ledger.runs(),
                         bureaus=self.ledger.bureaus(), uploads=uploads,
                         actions=self.ledger.attention(RECENT_RUNS),
                         held=[u for u in uploads if u.held],
                         confirmed=[u for u in uploads if u.other_bureaus and u.confirmed_at],
                         nightly={u.id: self._nightly(u) for u in uploads if u.inbox_name},
                         recent_runs=RECENT_RUNS, funnel=self.ledger.funnel())

    async def run(self, request: Request) -> Response:
        session = self.need(request, Role.OPERATOR)
        found = self.ledger.run(str(request.path_params["run_id"]))
        if found is None:
            raise Refusal(404, "no_run")
        run, files, conflicts = found
        return self.page("run", request, session=session, run=run, files=files,
                         conflicts=[c for c in conflicts if c.real],
                         notes=[c for c in conflicts if not c.real],
                         uploads=self.store.placed_names())

    async def report_css_file(self, request: Request) -> Response:
        return Response(self.report_css, media_type="text/css",
                        headers={"cache-control": "public, max-age=3600"})

    def _health(self) -> health.Health:
        return health.check(self.config.ledger_path,
                            (self.config.inbox, self.config.uploads_dir))

    async def health(self, request: Request) -> Response:
        """`ok` (200), or 503 with `unhealthy:` and each problem: for the proxy's check."""
        found = await anyio.to_thread.run_sync(self._health)
        return PlainTextResponse(found.text(), 200 if found.ok else 503,
                                 headers={"cache-control": "no-store"})

    async def metrics(self, request: Request) -> Response:
        """Counts of uploads, checks and failures for a monitor (Prometheus text format)."""
        found = await anyio.to_thread.run_sync(self._health)
        counts = await anyio.to_thread.run_sync(self.store.upload_counts)
        text = health.metrics(counts, self.waiting, self.config.max_queue, found)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4",
                                 headers={"cache-control": "no-store"})


def create_app(config: ServeConfig) -> ASGIApp:
    """The ASGI application for `config` (its folders are checked and created)."""
    for folder in (config.inbox, config.out_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".write-test-{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ServeError.stop("serve-cannot-write", folder=folder,
                                  reason=exc.strerror) from exc
    config.uploads_dir.mkdir(parents=True, exist_ok=True)
    for leftover in config.uploads_dir.glob(".incoming-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    intake = Intake(config)
    intake.store.fail_unfinished(words.WORDS[config.lang]["error_restarted"])

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                response: Response = await handler(request)
            except Refusal as refusal:
                return intake.error_page(request, refusal, intake.session(request))
            return response
        return endpoint

    static = StaticFiles(directory=str(resources.files("intake.web").joinpath("static")))
    routes = [
        Route("/", guarded(intake.home)),
        Route("/inloggen", guarded(intake.login_form), methods=["GET"]),
        Route("/inloggen", guarded(intake.login), methods=["POST"]),
        Route("/uitloggen", guarded(intake.logout), methods=["POST"]),
        Route("/uploads", guarded(intake.uploads), methods=["GET"]),
        Route("/uploads", guarded(intake.upload), methods=["POST"]),
        Route("/sjabloon", guarded(intake.template), methods=["GET"]),
        Route("/uploads/{upload_id}", guarded(intake.result), methods=["GET"]),
        Route("/uploads/{upload_id}/doorsturen", guarded(intake.forward), methods=["POST"]),
        Route("/uploads/{upload_id}/{what}", guarded(intake.download), methods=["GET"]),
        Route("/beheer", guarded(intake.operator)),
        Route("/beheer/runs/{run_id}", guarded(intake.run)),
        Route("/taal/{lang}", guarded(intake.switch), methods=["GET"]),
        Route("/static/rapport.css", intake.report_css_file),
        Route("/healthz", intake.health),
        Route("/metrics", intake.metrics),
        Mount("/static", app=static),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await anyio.to_thread.run_sync(intake.lanes[False].prestart)
        yield
        for lane in intake.lanes.values():
            await anyio.to_thread.run_sync(lane.close)
        intake.store.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        return intake.error_page(request, Refusal(404, "no_page"), intake.session(request))

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return intake.error_page(request, Refusal(405, "not_allowed"),
                                 intake.session(request))

    async def bad_request(request: Request, exc: Exception) -> Response:
        # A form that cannot be read (a field over its size, a multipart body without its
        # boundary): the bureau's words, not the framework's English.
        return intake.error_page(request, Refusal(400, "bad_form"), intake.session(request))

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={400: bad_request, 404: not_found, 405: not_allowed})
    app.state.intake = intake
    too_large = Refusal(413, "too_large", mb=config.max_upload_mb)

    async def page_413(scope: Scope, receive: Receive, send: Send) -> None:
        await intake.refusal_page(scope, receive, send, too_large)

    limited = BodyLimit(app, config.max_upload_mb * 2**20, page_413)
    return SecurityHeaders(limited, hsts=config.hsts)


def serve(config: ServeConfig, host: str, port: int, forwarded_allow_ips: str,
          log_format: LogFormat = "text") -> None:
    """Run the server until it is stopped (Ctrl+C or SIGTERM), its log lines (uvicorn's
    access lines included) one event a line on stderr in `log_format`, each value a client
    sent cut to `intake.web.logbounds.MAX_CHARS` characters."""
    import uvicorn

    from intake.outputs.logs import ROOT, UVICORN, configure_web
    from intake.web.logbounds import bound_handlers

    configure_web(log_format)
    bound_handlers((ROOT, *UVICORN))  # no client fills the log: each value it sent is cut
    app = create_app(config)
    proxies = frozenset(a.strip() for a in forwarded_allow_ips.split(",") if a.strip())
    limits = raise_file_limit(dataclasses.replace(
        config.connections, max_body=config.max_upload_mb * 2**20, proxies=proxies))
    server = uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, proxy_headers=bool(proxies),
        forwarded_allow_ips=forwarded_allow_ips or None, http=protocol(limits),
        server_header=False, log_level="info", log_config=None, timeout_keep_alive=5))
    # uvicorn shuts down on SIGTERM and then sends the signal again to the handler it found:
    # the default one would end the process before its exit handlers run (the warm checking
    # children and their folders in TMPDIR would be left). A stop is a clean exit.
    with _stop_is_exit():
        asyncio.run(server.serve())


@contextlib.contextmanager
def _stop_is_exit() -> Iterator[None]:
    """While inside: SIGTERM ends the process as a normal exit (status 0, exit handlers run)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
