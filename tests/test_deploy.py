"""deploy/: the systemd units and their settings file, as an operator installs them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from intake.cli import cli

from conftest import INTAKE, run_intake

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = ("intake-serve.service", "intake-batch.service", "intake-batch.timer",
         "intake-backup.service", "intake-backup.timer", "intake-prune.service",
         "intake-prune.timer")
SERVICES = tuple(u for u in UNITS if u.endswith(".service"))
#: What each service may write (ProtectSystem=strict makes the rest read-only).
WRITES = {"intake-serve.service": "/var/lib/intake/inbox /var/lib/intake/out",
          "intake-batch.service": "/var/lib/intake/inbox /var/lib/intake/out",
          "intake-backup.service": "/var/lib/intake/out /var/backups/intake",
          "intake-prune.service": "/var/lib/intake/out"}
INSTALLED = "/srv/intake/.venv/bin/intake"


def settings(unit: str) -> dict[str, list[str]]:
    """Each key of a unit file with its values in order ([Section] and comments left out)."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def environment_file() -> dict[str, str]:
    """deploy/intake.env's variables, those commented out (offered as examples) included."""
    found = {}
    for line in (DEPLOY / "intake.env").read_text(encoding="utf-8").splitlines():
        line = line.removeprefix("#")
        if line.startswith("INTAKE_") and "=" in line:
            key, value = line.split("=", 1)
            found[key] = value
    return found


def envvars(group: click.Group) -> set[str]:
    names: set[str] = set()
    for command in group.commands.values():
        names |= {p.envvar for p in command.params
                  if isinstance(p, click.Option) and isinstance(p.envvar, str)}
        if isinstance(command, click.Group):
            names |= envvars(command)
    return names


@pytest.mark.external
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts every unit without an error or a warning (an
    unknown or misspelt key is a warning), with ExecStart pointing at this intake command."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing (Debian package systemd; .ci/run installs it)")
    for unit in UNITS:
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace(INSTALLED, INTAKE), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / u) for u in UNITS)],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "")


@pytest.mark.external
def test_systemd_analyze_verify_catches_a_misspelt_key(tmp_path: Path) -> None:
    """The check above can fail: a misspelt hardening key is reported."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing (Debian package systemd; .ci/run installs it)")
    text = (DEPLOY / "intake-serve.service").read_text(encoding="utf-8")
    unit = tmp_path / "intake-serve.service"
    unit.write_text(text.replace(INSTALLED, INTAKE).replace("ProtectSystem=", "ProtectSystm="),
                    encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, check=False)
    assert "Unknown key 'ProtectSystm'" in done.stderr


@pytest.mark.parametrize("unit", SERVICES)
def test_the_services_run_hardened_and_limited(unit: str) -> None:
    """Every service runs as the intake user, on a read-only system but for the folders it
    writes, without new privileges or capabilities, with a private /tmp and limits on files,
    memory and tasks; those that need no network have none."""
    found = settings(unit)
    assert found["User"] == found["Group"] == ["intake"]
    assert found["ProtectSystem"] == ["strict"] and found["ProtectHome"] == ["yes"]
    assert found["ReadWritePaths"] == [WRITES[unit]]
    if unit != "intake-serve.service":
        assert found["PrivateNetwork"] == ["yes"]
        assert found["RestrictAddressFamilies"] == ["AF_UNIX"]
    assert found["NoNewPrivileges"] == found["PrivateTmp"] == ["yes"]
    assert found["CapabilityBoundingSet"] == [""]
    assert {"LimitNOFILE", "MemoryMax", "TasksMax"} <= found.keys()
    assert found["EnvironmentFile"] == ["/etc/intake/intake.env"]


def test_the_folders_the_services_write_are_those_the_settings_name() -> None:
    """The web intake's inbox and output folder, and the batch's, are the folders the units
    let them write (a path changed in one place only would be refused at run time)."""
    env = environment_file()
    writable = set(settings("intake-serve.service")["ReadWritePaths"][0].split())
    assert {env["INTAKE_SERVE_INBOX"], env["INTAKE_SERVE_OUT"]} == writable
    assert env["INTAKE_BATCH_OUT"] == env["INTAKE_SERVE_OUT"]
    (start,) = settings("intake-batch.service")["ExecStart"]
    assert start == f"{INSTALLED} batch --recursive {env['INTAKE_SERVE_INBOX']}"
    assert settings("intake-serve.service")["ExecStart"] == [f"{INSTALLED} serve"]
    assert env["INTAKE_BACKUP_OUT"] == env["INTAKE_PRUNE_OUT"] == env["INTAKE_SERVE_OUT"]
    (start,) = settings("intake-backup.service")["ExecStart"]
    assert start == f"{INSTALLED} backup --dated /var/backups/intake"
    assert start.split()[-1] in settings("intake-backup.service")["ReadWritePaths"][0].split()
    assert settings("intake-prune.service")["ExecStart"] == [f"{INSTALLED} prune"]


def test_the_settings_file_names_only_real_variables() -> None:
    """Every INTAKE_ variable in deploy/intake.env, examples included, is one an option reads
    (a misspelt name would be ignored silently)."""
    names = set(environment_file())
    assert names and names <= envvars(cli), sorted(names - envvars(cli))


def test_the_timer_starts_the_batch_every_night_and_catches_up() -> None:
    """The timer fires daily at night and runs a missed night at the next boot; the batch
    counts a night with files that need attention (exit 1) as done, not failed."""
    timer = settings("intake-batch.timer")
    assert timer["OnCalendar"] == ["*-*-* 02:00:00"] and timer["Persistent"] == ["true"]
    batch = settings("intake-batch.service")
    assert batch["Type"] == ["oneshot"] and batch["SuccessExitStatus"] == ["1"]


def test_backup_and_prune_run_on_schedule_from_the_settings_file() -> None:
    """The backup runs nightly before the batch and keeps a number of nights; prune runs weekly
    with the retention period of the settings file; both catch up after the machine was off."""
    env = environment_file()
    assert int(env["INTAKE_BACKUP_KEEP"]) >= 1 and int(env["INTAKE_PRUNE_OLDER_THAN"]) >= 1
    backup, prune, batch = (settings(f"intake-{u}.timer") for u in ("backup", "prune", "batch"))
    assert backup["OnCalendar"] == ["*-*-* 01:30:00"] < batch["OnCalendar"]
    assert prune["OnCalendar"] == ["Sun *-*-* 06:00:00"]
    assert backup["Persistent"] == prune["Persistent"] == ["true"]
    for unit in ("intake-backup.service", "intake-prune.service"):
        assert settings(unit)["Type"] == ["oneshot"]


def test_the_web_intakes_uploads_are_in_the_nightly_batch(tmp_path: Path) -> None:
    """The web intake places an upload in INBOX/<bureau>/; the batch as the unit starts it
    (its ExecStart's options, the settings file's variables) processes such a file, and
    without --recursive it would not (the unit shipped before did not)."""
    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    upload = inbox / "salarisbureau-noord" / "20261207-010203-abc-werkmap.xlsx"
    fill(upload, VALID_WERKGEVERS[:1], VALID_DGA[:1])
    os.utime(upload, (0, 0))
    (start,) = settings("intake-batch.service")["ExecStart"]
    options = start.split()[2:-1]
    assert options == ["--recursive"]
    without = run_intake("batch", str(inbox), "--out", str(out))
    assert (without.returncode, "geen bestanden" in without.stdout) == (0, True)
    done = run_intake("batch", *options, str(inbox), "--out", str(out))
    assert (done.returncode, "1 accepted" in done.stdout) == (0, True), done.stderr
