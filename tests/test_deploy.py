"""deploy/: the systemd units and their settings file, as an operator installs them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click
import pytest

from intake.cli import cli

from conftest import INTAKE

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = ("intake-serve.service", "intake-batch.service", "intake-batch.timer")
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
    """`systemd-analyze verify` accepts the three units without an error or a warning (an
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


@pytest.mark.parametrize("unit", ["intake-serve.service", "intake-batch.service"])
def test_the_services_run_hardened_and_limited(unit: str) -> None:
    """Both services run as the intake user, on a read-only system but for the inbox and the
    output folder, without new privileges or capabilities, with a private /tmp and limits on
    files, memory and tasks."""
    found = settings(unit)
    assert found["User"] == found["Group"] == ["intake"]
    assert found["ProtectSystem"] == ["strict"] and found["ProtectHome"] == ["yes"]
    assert found["ReadWritePaths"] == ["/var/lib/intake/inbox /var/lib/intake/out"]
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
    assert start == f"{INSTALLED} batch {env['INTAKE_SERVE_INBOX']}"
    assert settings("intake-serve.service")["ExecStart"] == [f"{INSTALLED} serve"]


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
