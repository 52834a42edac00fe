"""Rules across rows and sheets: duplicate employers, DGA rows and the employers they belong to."""

from __future__ import annotations

from collections import defaultdict

from intake.findings import Finding
from intake.sheetdata import SheetData


def _ids(data: SheetData) -> list[str | None]:
    """The normalised Werkgever IDs of a sheet's rows (all None without that column)."""
    return data.values.get("werkgever_id") or [None] * len(data)


def _rows(data: SheetData, positions: list[int]) -> str:
    return ", ".join(str(data.rows[i]) for i in positions)


def _cell(data: SheetData, code: str, position: int, name: str,
          params: dict[str, str]) -> Finding:
    return Finding(code, sheet=data.sheet, row=data.rows[position],
                   column=data.columns.get(name), field=name,
                   value=data.shown[name][position] if name in data.shown else None,
                   params=tuple(params.items()))


def werkgever_duplicates(werkgevers: SheetData) -> list[Finding]:
    """Every copy of a (Werkgever ID, loonheffingennummer) pair is an error; one Werkgever ID
    with different loonheffingennummers is a warning on each of its rows."""
    pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_id: dict[str, list[int]] = defaultdict(list)
    ids = werkgevers.values.get("werkgever_id")
    numbers = werkgevers.values.get("loonheffingennummer")
    if ids is None or numbers is None:
        return []  # a missing column is reported already; there is nothing to compare
    for i, (wid, lhn) in enumerate(zip(ids, numbers, strict=True)):
        if wid is None or lhn is None:
            continue
        pairs[(wid, lhn)].append(i)
        by_id[wid].append(i)
    findings = []
    for (wid, lhn), positions in pairs.items():
        if len(positions) > 1:
            params = {"werkgever_id": wid, "lhn": lhn, "rows": _rows(werkgevers, positions)}
            findings += [_cell(werkgevers, "werkgever-duplicate", i, "werkgever_id", params)
                         for i in positions]
    for wid, positions in by_id.items():
        if len(positions) > 1 and len({numbers[i] for i in positions}) > 1:
            params = {"werkgever_id": wid, "rows": _rows(werkgevers, positions)}
            findings += [_cell(werkgevers, "werkgever-id-multiple-lhn", i,
                               "loonheffingennummer", params) for i in positions]
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
            params = {"werkgever_id": wid, "rows": _rows(dga, positions)}
            findings += [_cell(dga, "personeelsnummer-duplicate", i, "personeelsnummer", params)
                         for i in positions]

    answers = werkgevers.values.get("dga_in_verloning") or [None] * len(werkgevers)
    for i, (wid, answer) in enumerate(zip(_ids(werkgevers), answers, strict=True)):
        if wid is None:
            continue
        listed = per_employer.get(wid, [])
        if answer == "ja" and not listed:
            findings.append(_cell(werkgevers, "dga-missing", i, "dga_in_verloning",
                                  {"werkgever_id": wid}))
        elif answer == "nee" and listed:
            findings.append(_cell(werkgevers, "dga-unexpected", i, "dga_in_verloning",
                                  {"werkgever_id": wid, "rows": _rows(dga, listed)}))
    return findings


def employers_with_rejected_dga(werkgevers: SheetData, dga: SheetData) -> list[Finding]:
    """An employer is delivered only with all its DGAs: a DGA row with an error of its own
    rejects its employer (the error sits on the employer's 'DGA in verloning' cell).

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
            findings.append(_cell(werkgevers, "dga-rows-rejected", i, "dga_in_verloning",
                                  {"werkgever_id": wid, "rows": _rows(dga, bad[wid])}))
    return findings


def dga_of_rejected_employers(werkgevers: SheetData, dga: SheetData) -> list[Finding]:
    """A DGA row without errors of its own whose employer is rejected is not delivered: say so.

    Call after `werkgevers.rejected` is final; marks those DGA rows rejected.
    """
    employer_rows: dict[str, list[int]] = defaultdict(list)
    accepted: set[str] = set()
    for i, (wid, rejected) in enumerate(zip(_ids(werkgevers), werkgevers.rejected,
                                            strict=True)):
        if wid is None:
            continue
        employer_rows[wid].append(i)
        if not rejected:
            accepted.add(wid)
    findings = []
    for i, wid in enumerate(_ids(dga)):
        if dga.rejected[i] or wid is None or wid in accepted or wid not in employer_rows:
            continue
        dga.rejected[i] = True
        findings.append(_cell(dga, "dga-employer-rejected", i, "werkgever_id",
                              {"werkgever_id": wid,
                               "rows": _rows(werkgevers, employer_rows[wid])}))
    return findings
