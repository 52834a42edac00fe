"""`intake bureau add/list/revoke`: keys shown once, stored only as salted scrypt hashes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intake.web import keys as bureaus

from conftest import run_intake


def test_add_prints_a_key_that_logs_in_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    """The printed key verifies as the bureau; the database holds neither it nor its secret."""
    db_path = tmp_path / "out" / "intake.sqlite"
    done = run_intake("bureau", "add", "salarisbureau-noord", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert "not shown again" in done.stderr
    db = bureaus.connect(db_path)
    principal = bureaus.verify(db, key)
    assert principal is not None
    assert (principal.name, principal.role) == ("salarisbureau-noord", bureaus.Role.BUREAU)
    secret = key.split(".", 1)[1]
    db.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("intake.sqlite*"))
    assert secret.encode() not in raw
    rows = sqlite3.connect(db_path).execute("SELECT salt, hash FROM web_keys").fetchall()
    assert len(rows) == 1 and len(rows[0][0]) == 16 and len(rows[0][1]) == 32


def test_two_keys_get_different_salts(tmp_path: Path) -> None:
    """Each key has its own random salt, so equal hashes never reveal equal keys."""
    db = bureaus.connect(tmp_path / "intake.sqlite")
    bureaus.add(db, "a")
    bureaus.add(db, "b")
    salts = [r[0] for r in db.execute("SELECT salt FROM web_keys")]
    assert len(set(salts)) == 2


def test_a_wrong_or_malformed_key_does_not_verify(tmp_path: Path) -> None:
    """A changed secret, another key id, or text without a dot are all refused."""
    db = bureaus.connect(tmp_path / "intake.sqlite")
    key = bureaus.add(db, "noord")
    key_id, secret = key.split(".", 1)
    for wrong in (f"{key_id}.{secret[:-1]}A" if secret[-1] != "A" else f"{key_id}.{secret[:-1]}B",
                  f"000000000000.{secret}", secret, "", "."):
        assert bureaus.verify(db, wrong) is None, wrong
    assert bureaus.verify(db, f"  {key}\n") is not None  # pasted with spaces around


def test_list_shows_names_roles_and_revocation_never_keys(tmp_path: Path) -> None:
    """`bureau list` names every key's holder, role and state; revoke marks it; the key itself
    is never printed."""
    out = str(tmp_path / "out")
    key = run_intake("bureau", "add", "noord", "--out", out).stdout.strip()
    run_intake("bureau", "add", "beheer", "--operator", "--out", out)
    assert run_intake("bureau", "revoke", "noord", "--out", out).returncode == 0
    listing = run_intake("bureau", "list", "--out", out).stdout.splitlines()
    assert [line.split("\t")[:2] for line in listing] == [["noord", "bureau"],
                                                         ["beheer", "operator"]]
    assert listing[0].split("\t")[4].startswith("revoked 20")
    assert listing[1].split("\t")[4:] == ["active", "-"]
    assert key.split(".", 1)[1] not in "\n".join(listing)
    db = bureaus.connect(tmp_path / "out" / "intake.sqlite")
    assert bureaus.verify(db, key) is None


def test_a_bureaus_email_is_recorded_and_listed_and_a_bad_one_refused(tmp_path: Path) -> None:
    """`bureau add --email` and `bureau email` record the bureau's address (listed last);
    an address our e-mail rule refuses is exit 2 with one line, nothing recorded."""
    out = str(tmp_path / "out")
    assert run_intake("bureau", "add", "noord", "--email", "info@noord.nl",
                      "--out", out).returncode == 0
    run_intake("bureau", "add", "zuid", "--out", out)
    assert run_intake("bureau", "email", "zuid", "salaris@zuid.nl", "--out", out).stdout \
        == "e-mail address of zuid recorded\n"
    bad = run_intake("bureau", "email", "zuid", "salaris@zuid,nl", "--out", out)
    assert bad.returncode == 2 and "not a valid e-mail address" in bad.stderr
    listing = run_intake("bureau", "list", "--out", out).stdout.splitlines()
    assert [line.split("\t")[-1] for line in listing] == ["info@noord.nl", "salaris@zuid.nl"]
    assert run_intake("bureau", "email", "west", "a@west.nl", "--out", out).returncode == 2


def test_revoked_name_can_get_a_new_key_and_the_old_one_stays_dead(tmp_path: Path) -> None:
    """After revoke, add makes a fresh key for the same name; the old key does not log in."""
    db = bureaus.connect(tmp_path / "intake.sqlite")
    old = bureaus.add(db, "noord")
    bureaus.revoke(db, "noord")
    new = bureaus.add(db, "noord")
    assert bureaus.verify(db, old) is None
    assert bureaus.verify(db, new) is not None


def test_refusals_say_what_to_do(tmp_path: Path) -> None:
    """A bad name, a second key for a working name and revoking an unknown name exit 2 with
    what to do."""
    out = str(tmp_path / "out")
    bad = run_intake("bureau", "add", "../Noord Salaris", "--out", out)
    assert bad.returncode == 2 and "lowercase letters, digits and hyphens" in bad.stderr
    run_intake("bureau", "add", "noord", "--out", out)
    twice = run_intake("bureau", "add", "noord", "--out", out)
    assert twice.returncode == 2 and "revoke it first" in twice.stderr
    unknown = run_intake("bureau", "revoke", "zuid", "--out", out)
    assert unknown.returncode == 2 and "no working key for 'zuid'" in unknown.stderr
    missing = run_intake("bureau", "list")
    assert missing.returncode == 2 and "--db PATH or --out OUTDIR" in missing.stderr


def test_the_ledger_opens_after_the_web_tables_were_made(tmp_path: Path) -> None:
    """Keys made before any batch run leave the ledger's own migrations intact."""
    from intake.batch.ledger import SCHEMA_VERSION, Ledger

    path = tmp_path / "intake.sqlite"
    bureaus.add(bureaus.connect(path), "noord")
    ledger = Ledger(path)
    assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert ledger.runs() == []
    ledger.close()
    assert bureaus.listing(bureaus.connect(path))[0].name == "noord"


@pytest.mark.parametrize("name", ["noord\n", "noord\r\n", "Noord", "-noord", "no ord", ""])
def test_a_bureau_name_is_checked_whole(tmp_path: Path, name: str) -> None:
    """A name with a trailing newline (which `$` lets through), capitals, a leading hyphen, a
    space or nothing is refused with one line, so that no second "noord" can be made."""
    db = tmp_path / "intake.sqlite"
    assert run_intake("bureau", "add", "noord", "--db", str(db)).returncode == 0
    done = run_intake("bureau", "add", name, "--db", str(db))
    assert done.returncode == 2, done.stdout
    listed = run_intake("bureau", "list", "--db", str(db)).stdout
    assert listed.count("noord") == 1, listed


def test_the_slow_hash_of_a_login_runs_without_the_stores_connection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking a key (right or wrong) looks it up under the store's lock and hashes after
    letting go, so that other requests' session look-ups never wait for a hash."""
    from intake.web.store import Store

    db = tmp_path / "intake.sqlite"
    connection = bureaus.connect(db)
    key = bureaus.add(connection, "noord")
    connection.close()
    store = Store(db, tmp_path / "web" / "web.sqlite")
    held: list[bool] = []
    real_hash = bureaus._hash

    def hash_and_look(secret: str, salt: bytes) -> bytes:
        held.append(store._lock.locked())
        return real_hash(secret, salt)

    monkeypatch.setattr(bureaus, "_hash", hash_and_look)
    assert store.verify_key(key) is not None
    assert store.verify_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify_key("0.onbekend") is None
    store.close()
    assert held == [False, False, False]
