"""A finding as data: its texts are made once per language and are its message and hint; the
texts made do not take part in what a finding is (equal, hashed, copied, pickled)."""

from __future__ import annotations

import dataclasses
import pickle

from intake.definition.findings import Finding


def test_texts_are_made_once_per_language_and_agree_with_message_and_hint() -> None:
    finding = Finding("required", sheet="Werkgevers", row=3, column="C",
                      field="werkgever_naam")
    for lang in ("nl", "en"):
        made = finding.texts(lang)
        assert finding.texts(lang) is made  # asked again: the same, not made again
        assert made == (finding.label(lang), finding.message(lang), finding.hint(lang))
    assert finding.texts("nl") != finding.texts("en")


def test_texts_made_change_nothing_of_what_the_finding_is() -> None:
    fresh = Finding("required", sheet="Werkgevers", row=3, column="C", field="werkgever_naam")
    asked = Finding("required", sheet="Werkgevers", row=3, column="C", field="werkgever_naam")
    asked.texts("nl")
    assert asked == fresh and hash(asked) == hash(fresh) and repr(asked) == repr(fresh)
    assert pickle.loads(pickle.dumps(asked)) == fresh
    moved = dataclasses.replace(asked, row=4)
    assert moved.texts("nl")[1] == moved.message("nl") and moved.cell == "C4"
