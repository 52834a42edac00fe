"""Who a message may go to: the bureau's address checked by our own e-mail rule, its name made
fit for a header, and a file name for its message that owes nothing to either's characters.

The rule is the one of the E-mail salarisverwerker field (`rules_for`: its kind's checks,
`email-invalid` among them, run on the value as the field normalises it), so an address the run
flagged in a workbook never gets a message. The address is written as ASCII (an IDN domain in
its IDNA A-label form, as RFC 5321/5322 without SMTPUTF8 require); an address with non-ASCII
before the @ cannot be written so and is left to the operator.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address

from intake.definition.fields import WERKGEVERS
from intake.definition.kinds import EMAIL
from intake.validation.rules import first_failure, rules_for

#: A display name longer than this is cut (a header line stays readable).
NAME_MAX = 78
#: What a message file is called: a number and a plain ASCII word, nothing else.
MESSAGE_NAME = re.compile(r"[0-9]{3,6}-[a-z0-9-]{1,40}\.eml")
#: Unicode categories never shown as such: controls, format, separators of lines, private.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class Recipient:
    """A bureau's address as a message's To, and its identity (the address, lowercased)."""

    key: str
    address: Address


def visible(text: str, instead: str = " ") -> str:
    """`text` with every control, format, private or line-separating character replaced."""
    return "".join(instead if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def display_name(name: str) -> str:
    """A workbook's bureau name fit for a header's display name: visible characters, single
    spaces, no `=?` that a mail client would decode as an encoded word, at most NAME_MAX."""
    cleaned = " ".join(visible(name).split()).replace("=?", "= ?")
    return cleaned[:NAME_MAX].rstrip()


@functools.lru_cache(maxsize=4096)
def ascii_address(raw: str) -> Address | str:
    """The address `raw` as an ASCII Address, or the reason it cannot be one (the code of
    the field's rule it fails, or `non-ascii-local-part`)."""
    from email_validator import EmailNotValidError, validate_email

    value = EMAIL.normalise(raw)
    failed = first_failure(rules_for(WERKGEVERS.field("salarisverwerker_email")), value)
    if failed is not None or value is None:
        return failed or "required"
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:  # the rule above passed it: cannot differ, but never guess
        return "email-invalid"
    if checked.ascii_email is None:
        return "non-ascii-local-part"
    local, _, domain = checked.ascii_email.rpartition("@")
    return Address(username=local, domain=domain)


def recipient(name: str, raw: str) -> Recipient | str:
    """The To of a message for the bureau called `name` at `raw`, or why there is none."""
    found = ascii_address(raw)
    if isinstance(found, str):
        return found
    to = Address(display_name=display_name(name), username=found.username,
                 domain=found.domain)
    return Recipient(found.addr_spec.lower(), to)


def message_name(number: int, name: str, width: int = 3) -> str:
    """`007-loonbureau-noord.eml`: the message's number in the run and its bureau's name in
    plain ASCII letters and digits (never its address, never a path)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-")
    result = f"{number:0{width}d}-{slug or 'salarisverwerker'}.eml"
    if not MESSAGE_NAME.fullmatch(result):
        raise ValueError(f"not a message name: {result!r}")
    return result
