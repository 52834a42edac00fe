"""What every response and every form of the web intake is held to.

- Security headers on every response: a Content-Security-Policy without inline script (scripts
  and styles only from /static; report.html, downloaded as a file, keeps its own policy: inline
  style, no script at all), no framing, no sniffing, no referrer, no caching of pages.
- A limit on the request body: a declared Content-Length over it is refused before anything is
  read, a body that grows past it while streaming is cut off; both get 413.
- CSRF: each form carries a token. Logged in, it is the session's; on the login form (no session
  yet) it is a random value that must also be in a cookie (double submit). Both are compared in
  constant time. Cookies are SameSite=Strict as a second line.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """Add HEADERS to every response; `no-store` for everything but the static files."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = {k.decode().lower() for k, _ in message.get("headers", [])}
                # A route may set a stricter or different CSP (report.html's inline style);
                # every other header here is ours.
                keep = {"content-security-policy"} & given
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode().lower() not in HEADERS or k.decode().lower() in keep]
                own = {k: v for k, v in HEADERS.items() if k not in keep}
                if not any(k.decode().lower() == "cache-control" for k, _ in headers):
                    own["cache-control"] = "public, max-age=3600" if static else "no-store"
                if self.hsts:
                    own["strict-transport-security"] = "max-age=31536000"
                headers += [(k.encode(), v.encode()) for k, v in own.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Answer 413 to a request body over `max_bytes` (declared or counted)."""

    def __init__(self, app: ASGIApp, max_bytes: int, page: Any) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.page = page  # async (scope, receive, send) -> None: the 413 page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.page(scope, receive, send)
            return
        seen = 0
        too_big = False

        async def counting() -> Message:
            nonlocal seen, too_big
            if too_big:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # The app sees a client that went away; its answer is dropped for ours.
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not too_big:
                await send(message)

        try:
            await self.app(scope, counting, guarded_send)
        except Exception:
            if not too_big:
                raise
        if too_big:
            await self.page(scope, receive, send)


def same_token(expected: str | None, given: str | None) -> bool:
    """True when both tokens are there and equal (compared in constant time)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
