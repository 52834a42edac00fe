"""Rules across rows and sheets: duplicate employers, DGA rows and the employers they belong to."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Set

from intake.definition.findings import Finding
from intake.validation.sheetdata import SheetData


def _ids(data: SheetData) -> list[str | None]:
    """The normalised Werkgever IDs of a sheet's rows (all None without that column)."""
    return data.values.get("werkgever_id") or [None] * len(data)


#: How many rows a finding about a group of rows lists (the rest is counted): a message stays
#: short, and a sheet of thousands of copies gives a report that grows with the rows, not with
#: their square.
ROWS_LISTED = 10


def _listed(data: SheetData, positions: list[int]) -> list[str]:
    """The Excel rows at `positions`: all, or past ROWS_LISTED + 1 the first ROWS_LISTED of
    them, then "…" and the last."""
    numbers = [str(data.rows[i]) for i in positions]
    if len(numbers) > ROWS_LISTED + 1:
        numbers = [*numbers[:ROWS_LISTED], f"… {numbers[-1]}"]
    return numbers


def _rows(data: SheetData, positions: list[int]) -> str:
    return ", ".join(_listed(data, positions))


def _row_words(data: SheetData, positions: list[int]) -> dict[str, str]:
    """The rows at `positions` for a message: "rij 3" or "rijen 3, 5 en 7", per language."""
    numbers = _listed(data, positions)
    many = len(numbers) > 1
    if len(positions) > len(numbers):  # shortened: no "en" before the last
        listed_nl = listed_en = ", ".join(numbers)
    else:
        listed_nl = f"{', '.join(numbers[:-1])} en {numbers[-1]}" if many else numbers[0]
        listed_en = f"{', '.join(numbers[:-1])} and {numbers[-1]}" if many else numbers[0]
    return {"rows": ", ".join(numbers),
            "rows_nl": f"{'rijen' if many else 'rij'} {listed_nl}",
            "rows_en": f"{'rows' if many else 'row'} {listed_en}",
            "have_nl": "hebben" if many else "heeft", "have_en": "have" if many else "has"}


def _cell(data: SheetData, code: str, position: int, name: str,
          params: dict[str, str]) -> Finding:
    return Finding(code, sheet=data.sheet, row=data.rows[position],
                   column=data.columns.get(name), field=name,
                   value=data.shown[name][position] if name in data.shown else None,
                   params=tuple(params.items()))


def werkgever_duplicates(werkgevers: SheetData, skip: Set[int] = frozenset()) -> list[Finding]:
    """Every copy of a (Werkgever ID, loonheffingennummer) pair is an error; one Werkgever ID
    with different loonheffingennummers is a warning on each of its rows.

    Rows at the positions in `skip` (a Werkgever ID that failed its own rules, such as a GUID)
    are left out: grouping by an invalid ID says nothing.
    """
    ids = werkgevers.values.get("werkgever_id")
    numbers = werkgevers.values.get("loonheffingennummer")
    if ids is None or numbers is None:
        return []  # a missing column is reported already; there is nothing to compare
    keys = [None if wid is None or lhn is None or i in skip else (wid, lhn)
            for i, (wid, lhn) in enumerate(zip(ids, numbers, strict=True))]
    pair_counts = Counter(keys)
    twice = {k for k, n in pair_counts.items() if n > 1 and k is not None}
    id_counts = Counter(k[0] for k in pair_counts if k is not None)
    several = {wid for wid, n in id_counts.items() if n > 1}
    if not twice and not several:
        return []
    pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_id: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key is not None and (key in twice or key[0] in several):
            pairs[key].append(i)
            by_id[key[0]].append(i)
    findings = []
    for (wid, lhn), positions in pairs.items():
        if len(positions) > 1:
            params = {"werkgever_id": wid, "lhn": lhn, "rows": _rows(werkgevers, positions),
                      "count": str(len(positions))}
            findings += [_cell(werkgevers, "werkgever-duplicate", i, "werkgever_id", params)
                         for i in positions]
    for wid in several:
        positions = by_id[wid]
        params = {"werkgever_id": wid, "rows": _rows(werkgevers, positions),
                  "count": str(len(positions))}
        findings += [_cell(werkgevers, "werkgever-id-multiple-lhn", i, "loonheffingennummer",
                           params) for i in positions]
    return findings


def dga_rows(werkgevers: SheetData, dga: SheetData) -> list[Finding]:
    """DGA rows must belong to a listed employer and have unique personeelsnummers per
    employer; an employer answering Ja needs DGA rows and one answering Nee must have none."""
    # Without a Werkgever ID column on Werkgevers (reported already) no DGA can be matched.
    checkable = "werkgever_id" in werkgevers.values
    known = {w for w in werkgevers.values.get("werkgever_id", []) if w is not None}
    findings = []
    per_employer: dict[str, list[int]] = defaultdict(list)
    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    staff = dga.values.get("personeelsnummer") or [None] * len(dga)
    for i, (wid, number) in enumerate(zip(_ids(dga), staff, strict=True)):
        if wid is None:
            continue
        per_employer[wid].append(i)
        if checkable and wid not in known:
            findings.append(_cell(dga, "dga-werkgever-unknown", i, "werkgever_id", {}))
        if number is not None:
            numbers[(wid, number)].append(i)
    for (wid, _), positions in numbers.items():
        if len(positions) > 1:
            params = {"werkgever_id": wid, "rows": _rows(dga, positions),
                      "count": str(len(positions))}
            findings += [_cell(dga, "personeelsnummer-duplicate", i, "personeelsnummer", params)
                         for i in positions]

    answers = werkgevers.values.get("dga_in_verloning") or [None] * len(werkgevers)
    wrong = [i for i, (wid, answer) in enumerate(zip(_ids(werkgevers), answers, strict=True))
             if wid is not None and (answer == "ja") != (wid in per_employer)
             and answer in ("ja", "nee")]
    ids = _ids(werkgevers)
    for i in wrong:
        wid, answer = ids[i], answers[i]
        assert wid is not None
        listed = per_employer.get(wid, [])
        if answer == "ja" and not listed:
            findings.append(_cell(werkgevers, "dga-missing", i, "dga_in_verloning",
                                  {"werkgever_id": wid}))
        elif answer == "nee" and listed:
            findings.append(_cell(werkgevers, "dga-unexpected", i, "dga_in_verloning",
                                  {"werkgever_id": wid, **_row_words(dga, listed)}))
    return findings


def employers_with_rejected_dga(werkgevers: SheetData, dga: SheetData) -> list[Finding]:
    """An employer is delivered only with all its DGAs: a DGA row with an error of its own
    holds its employer back. The DGA rows carry the errors; the employer's Werkgever ID cell
    gets a warning naming them (its own values are right: nothing there is painted red), and
    the caller rejects the employer's row.

    Call after `dga.rejected` holds the DGA rows' own errors.
    """
    bad: dict[str, list[int]] = defaultdict(list)
    for i, (wid, rejected) in enumerate(zip(_ids(dga), dga.rejected, strict=True)):
        if wid is not None and rejected:
            bad[wid].append(i)
    findings: list[Finding] = []
    if not bad:
        return findings
    for i, wid in enumerate(_ids(werkgevers)):
        if wid is not None and wid in bad:
            findings.append(_cell(werkgevers, "dga-rows-rejected", i, "werkgever_id",
                                  {"werkgever_id": wid, **_row_words(dga, bad[wid])}))
    return findings


def dga_of_rejected_employers(werkgevers: SheetData, dga: SheetData) -> list[Finding]:
    """A DGA row without errors of its own whose employer is rejected is not delivered: say so.

    Call after `werkgevers.rejected` is final; marks those DGA rows rejected.
    """
    ids = _ids(werkgevers)
    accepted = {wid for wid, rejected in zip(ids, werkgevers.rejected, strict=True)
                if not rejected}
    held = {wid for i, wid in enumerate(_ids(dga))
            if not dga.rejected[i] and wid is not None and wid not in accepted}
    employer_rows: dict[str, list[int]] = defaultdict(list)
    if held:
        for i, wid in enumerate(ids):
            if wid in held:
                employer_rows[wid].append(i)
    findings = []
    for i, wid in enumerate(_ids(dga)):
        if wid not in employer_rows or dga.rejected[i]:
            continue
        dga.rejected[i] = True
        findings.append(_cell(dga, "dga-employer-rejected", i, "werkgever_id",
                              {"werkgever_id": wid,
                               **_row_words(werkgevers, employer_rows[wid])}))
    return findings
