"""A registration after delivery: the manual's steps 3 and 4 as states, and the moves between them.

A registration is one employer (Werkgever ID + loonheffingennummer). The batch delivers it
(step 2); a.s.r. completes it with the policy data and hands it to Keylane, who sets it up with
the bureau (step 3); a.s.r. tells the bureau when the link is live and the date of the first
exchange of data (step 4). A registration can be refused, with a reason, before it is live. The
states only move forward; a refused registration becomes delivered again only by a new delivery
of the batch, and a repeat of the state a registration is in changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum, StrEnum

from intake.definition.messages import Lang


class State(StrEnum):
    """Where a registration is (the value is what the ledger and the status file hold)."""

    DELIVERED = "delivered"
    COMPLETED = "completed"
    SETUP = "setup"
    LIVE = "live"
    REFUSED = "refused"


#: The forward order of the states a registration goes through (refused is beside it).
ORDER: tuple[State, ...] = (State.DELIVERED, State.COMPLETED, State.SETUP, State.LIVE)
#: The states the bureau is told of in its message (the manual's step 4, or a refusal).
TOLD: tuple[State, ...] = (State.LIVE, State.REFUSED)


class Move(Enum):
    """What a new state does to a registration in a state."""

    SAME = "same"          # a repeat: nothing changes
    FORWARD = "forward"    # recorded
    BACKWARD = "backward"  # refused: a finding


def move(current: State, new: State, delivery: bool = False) -> Move:
    """The move from `current` to `new`; `delivery` is a new delivery by the batch (which takes
    a refused registration back to delivered, and leaves any other as it is)."""
    if new == current:
        return Move.SAME
    if delivery:
        return Move.FORWARD if current == State.REFUSED else Move.SAME
    if current == State.REFUSED or current == State.LIVE:
        return Move.BACKWARD
    if new == State.REFUSED:
        return Move.FORWARD
    return Move.FORWARD if ORDER.index(new) > ORDER.index(current) else Move.BACKWARD


#: The states as people read them, per language.
WORDS: dict[Lang, dict[State, str]] = {
    "nl": {State.DELIVERED: "aangeleverd", State.COMPLETED: "aangevuld door a.s.r.",
           State.SETUP: "in inrichting bij Keylane", State.LIVE: "live",
           State.REFUSED: "afgewezen"},
    "en": {State.DELIVERED: "delivered", State.COMPLETED: "completed by a.s.r.",
           State.SETUP: "in set-up at Keylane", State.LIVE: "live",
           State.REFUSED: "refused"},
}

#: The spellings a status file may use for each state (folded: case and spaces do not count).
SPELLINGS: dict[str, tuple[str, ...]] = {
    State.DELIVERED: ("aangeleverd", "geleverd"),
    State.COMPLETED: ("aangevuld", "aangevuld door a.s.r.", "aangevuld door asr", "compleet",
                      "completed by a.s.r.", "complete"),
    State.SETUP: ("in inrichting", "inrichting", "in inrichting bij keylane", "keylane",
                  "in set-up", "set-up", "set up", "in setup", "in set-up at keylane"),
    State.LIVE: ("gerealiseerd", "actief", "koppeling live"),
    State.REFUSED: ("afgewezen", "geweigerd", "rejected"),
}

#: Days a registration may wait in a state before `intake history` lists it as waiting long
#: (an inference: Keylane's set-up takes weeks, a.s.r.'s completion days). Live and refused are
#: ends and never wait.
WAITING_DAYS: dict[State, int] = {State.DELIVERED: 10, State.COMPLETED: 10, State.SETUP: 30}


@dataclass(frozen=True)
class Standing:
    """Where one registration stands: the employer, its state, since when (ISO time) and for
    how many days (a bureau's page, and those waiting too long in `intake history`)."""

    werkgever_id: str
    loonheffingennummer: str
    werkgever_naam: str
    state: str
    since: str
    days: int


def days_since(iso: str, today: dt.date) -> int:
    """Whole days from the ISO time `iso` to `today` (0 for one ahead or unreadable)."""
    try:
        return max(0, (today - dt.date.fromisoformat(iso[:10])).days)
    except ValueError:
        return 0


#: The records the ledger's states are published in (`intake history --json`, summary.json's
#: `registrations`): per record its keys and JSON types, in order. The JSON Schemas of the
#: contract (`intake.outputs.contract`) are made from these; the tests hold the output to them.
DAY, TEXT, TIME, COUNT, NULLABLE_DAY, NULLABLE_TEXT = (
    "day", "text", "time", "count", "day or null", "text or null")
#: A registration in its state longer than the bound (`intake history --json`, `waiting`).
WAITING_RECORD: dict[str, str] = {
    "werkgever_id": TEXT, "loonheffingennummer": TEXT, "werkgever_naam": TEXT, "state": TEXT,
    "since": TIME, "days": COUNT}
#: One delivery of an employer (`intake history WERKGEVER_ID --json`, `deliveries`).
DELIVERY_RECORD: dict[str, str] = {
    "loonheffingennummer": TEXT, "file": TEXT, "run": TEXT, "at": TIME, "row": COUNT}
#: One state an employer's registration had (`intake history WERKGEVER_ID --json`, `states`).
STATE_RECORD: dict[str, str] = {
    "loonheffingennummer": TEXT, "state": TEXT, "at": TIME, "source": TEXT,
    "first_exchange": NULLABLE_DAY, "reason": NULLABLE_TEXT}
#: A change a status file recorded (`intake status import --json`, `changes`).
CHANGE_RECORD: dict[str, str] = {
    "werkgever_id": TEXT, "loonheffingennummer": TEXT, "state": TEXT,
    "first_exchange": NULLABLE_DAY, "reason": NULLABLE_TEXT}
#: A status file imported before (`intake status import --json`, `repeat_of`).
IMPORT_RECORD: dict[str, str] = {"name": TEXT, "imported_at": TIME, "rows": COUNT,
                                 "changed": COUNT}
#: A change a bureau is told of (summary.json's `registrations`): the state's row id in the
#: ledger, the registration, its employer and bureau from its latest delivery, the change.
NEWS_RECORD: dict[str, str] = {
    "id": COUNT, "werkgever_id": TEXT, "loonheffingennummer": TEXT, "werkgever_naam": TEXT,
    "bureau": TEXT, "email": TEXT, "state": TEXT, "at": TIME, "first_exchange": NULLABLE_DAY,
    "reason": NULLABLE_TEXT}


def shown_day(day: str, lang: Lang) -> str:
    """A date (YYYY-MM-DD) as the reader writes it: 15-01-2027 in Dutch, 15 January 2027 in
    English; anything else as it is."""
    try:
        moment = dt.date.fromisoformat(day)
    except ValueError:
        return day
    return moment.strftime("%d-%m-%Y") if lang == "nl" else \
        f"{moment.day} {moment.strftime('%B')} {moment.year}"
