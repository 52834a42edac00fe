"""Whose rows these are: the bureaus an upload's rows name, against the bureau logged in.

A bureau is known by the e-mail address on its key (`intake bureau add NAME --email ADDRESS`).
A row's bureau (Bedrijfsnaam and E-mail salarisverwerker) is the logged-in bureau's when its
e-mail address is at the same domain: a bureau writes the addresses of several people or
mailboxes (salaris@, info@, a person's own), all at its own domain. Where that domain is a
public mail service, anyone can have an address there: then only the same address counts.
The name is not compared: the same bureau writes it in many ways (B.V., BV, with or without
"Salarisbureau"), and a row's address is what a.s.r. and Keylane use to reach the bureau.
A bureau without an address on its key is not checked (nothing to compare with), nor is a row
without an address (that row is an error of its own and is not delivered).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Domains of public mail services, where a domain says nothing about who holds an address.
PUBLIC_MAIL = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.nl", "outlook.com", "outlook.nl",
    "live.com", "live.nl", "msn.com", "yahoo.com", "yahoo.nl", "icloud.com", "me.com",
    "ziggo.nl", "kpnmail.nl", "planet.nl", "home.nl", "xs4all.nl", "proton.me",
    "protonmail.com", "gmx.com", "gmx.net", "hetnet.nl", "casema.nl", "chello.nl"})


def _valid(address: str) -> bool:
    """Whether `address` passes the rule of the E-mail salarisverwerker field."""
    from intake.batch.addresses import ascii_address

    return bool(address.strip()) and not isinstance(ascii_address(address), str)


def _domain(address: str) -> str:
    return address.strip().rpartition("@")[2].strip().rstrip(".").casefold()


def same_bureau(row_email: str, bureau_email: str) -> bool:
    """True when a row's e-mail address belongs to the bureau with `bureau_email`."""
    row, own = row_email.strip().casefold(), bureau_email.strip().casefold()
    if not row or "@" not in row:
        return False
    domain = _domain(own)
    if domain in PUBLIC_MAIL:
        return row == own
    return _domain(row) == domain


def other_bureaus(named: Iterable[Sequence[str]], bureau_email: str | None,
                  ) -> tuple[tuple[str, str], ...]:
    """The (name, e-mail) pairs of `named` (an upload's counts["bureaus"]) that are not the
    bureau with `bureau_email`; () when the bureau's address is not known."""
    if not bureau_email:
        return ()
    others = []
    for pair in named:
        name, email = (str(pair[0] or ""), str(pair[1] or "")) if len(pair) > 1 else ("", "")
        # A row without a valid address is an error of its own (email-invalid) and is not
        # delivered: it names no other bureau (the sample's "salaris@detelling" did).
        if _valid(email) and not same_bureau(email, bureau_email):
            others.append((name, email))
    return tuple(sorted(set(others)))
