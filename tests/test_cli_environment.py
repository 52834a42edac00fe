"""Every option of every command can also be set by an environment variable (INTAKE_…), as a
unit file's EnvironmentFile sets them, and --help names the variable."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from intake.cli import cli

from conftest import INTAKE, load_json

ROOT = Path(__file__).resolve().parents[1]


def _options(group: click.Group, path: tuple[str, ...] = ()) -> list[
        tuple[tuple[str, ...], click.Command, click.Option]]:
    found = []
    for name, command in group.commands.items():
        found += [((*path, name), command, param) for param in command.params
                  if isinstance(param, click.Option) and param.expose_value]
        if isinstance(command, click.Group):
            found += _options(command, (*path, name))
    return found


OPTIONS = _options(cli)
IDS = [f"{' '.join(path)} {max(option.opts, key=len)}" for path, _, option in OPTIONS]
#: Values for options whose free text the command checks (by the option's long name).
TEXTS = {"--contract-prefix": ["A020", "B"], "--redeliver": ["W1", "W2"],
         "--messages-from": ["Operations <ops@asr.nl>"], "--email": ["salaris@noord.nl"],
         "--submit-to": ["ops@asr.nl"], "--host": ["0.0.0.0"],
         "--forwarded-allow-ips": ["127.0.0.1"], "--waiting-days": ["setup=20", "completed=5"]}


def _values(option: click.Option, tmp_path: Path) -> list[str]:
    """Values for `option` that differ from its default and that it accepts."""
    kind, default = option.type, option.default
    if option.is_flag:
        return ["1"]
    if isinstance(kind, click.Choice):
        return [next(str(c) for c in kind.choices if c != default)]
    if isinstance(kind, click.Path):
        return [str(tmp_path / "elsewhere")]
    if isinstance(kind, click.types.StringParamType):
        return TEXTS[max(option.opts, key=len)]
    if not isinstance(default, int) and isinstance(kind, click.types.IntParamType):
        return ["30"]  # a required number without a default (prune --older-than)
    if isinstance(default, int):
        return [str(default + 1)]
    assert isinstance(default, float), option.opts
    return [str(default + 1.5)]


def _parse(command: click.Command, option: click.Option | None, args: list[str],
           tmp_path: Path) -> dict[str, Any]:
    """The parameters click gives `command` for `args`, the command's other required
    arguments and options filled in."""
    for param in command.params:
        if param is option or not param.required:
            continue
        if isinstance(param, click.Argument):
            args = [*args, "x"]
        elif isinstance(param, click.Option):
            args = [*args, param.opts[0], *_values(param, tmp_path)]
    with command.make_context(command.name or "", args) as ctx:
        return dict(ctx.params)


@pytest.mark.parametrize(("path", "command", "option"), OPTIONS, ids=IDS)
def test_every_option_can_be_set_by_its_environment_variable(
        path: tuple[str, ...], command: click.Command, option: click.Option, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """INTAKE_<COMMAND>_<OPTION> gives the option the value the same text on the command line
    gives it (a flag by 1, a multiple option by values separated by spaces), not its default
    (a required option is missing without it)."""
    flag = max(option.opts, key=len)
    assert option.envvar == "_".join(("INTAKE", *path, flag.lstrip("-"))).upper().replace("-", "_")
    assert option.name is not None and isinstance(option.envvar, str)
    values = _values(option, tmp_path)
    args = [flag] if option.is_flag else [a for v in values for a in (flag, v)]
    given = _parse(command, None, args, tmp_path)[option.name]
    if option.required:  # without the variable it is missing
        with pytest.raises(click.MissingParameter):
            _parse(command, option, [], tmp_path)
    else:
        assert _parse(command, None, [], tmp_path)[option.name] != given
    monkeypatch.setenv(option.envvar, " ".join(values))
    assert _parse(command, option, [], tmp_path)[option.name] == given


@pytest.mark.parametrize(("path", "command", "option"), OPTIONS, ids=IDS)
def test_help_names_every_options_environment_variable(
        path: tuple[str, ...], command: click.Command, option: click.Option) -> None:
    """`intake COMMAND --help` shows `env var: INTAKE_…` for each option."""
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"[env var: {option.envvar}" in " ".join(result.output.split())


def test_the_variables_are_named_after_the_options_and_unique() -> None:
    """Names follow the option a reader sees (--json is INTAKE_VALIDATE_JSON, not the Python
    parameter as_json), sub-commands included, and no two options share one."""
    names = {f"{' '.join(path)} {max(o.opts, key=len)}": o.envvar for path, _, o in OPTIONS}
    assert names["validate --json"] == "INTAKE_VALIDATE_JSON"
    assert names["serve --out"] == "INTAKE_SERVE_OUT"
    assert names["serve --max-upload-mb"] == "INTAKE_SERVE_MAX_UPLOAD_MB"
    assert names["bureau add --email"] == "INTAKE_BUREAU_ADD_EMAIL"
    assert len(set(names.values())) == len(names)


def test_the_command_line_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """An option given on the command line overrides the variable (a unit's ExecStart over its
    EnvironmentFile)."""
    serve = cli.commands["serve"]
    monkeypatch.setenv("INTAKE_SERVE_PORT", "9000")
    args = ["--inbox", str(tmp_path), "--out", str(tmp_path)]
    assert _parse(serve, None, args, tmp_path)["port"] == 9000
    assert _parse(serve, None, [*args, "--port", "8001"], tmp_path)["port"] == 8001


def test_the_installed_command_reads_its_settings_from_the_environment(tmp_path: Path) -> None:
    """The real `intake validate`, started as a service manager would with only variables set,
    writes its outputs where INTAKE_VALIDATE_OUT says, in the language INTAKE_VALIDATE_LANG says."""
    out = tmp_path / "elsewhere"
    env = {**os.environ, "INTAKE_VALIDATE_OUT": str(out), "INTAKE_VALIDATE_LANG": "en"}
    done = subprocess.run([INTAKE, "validate", str(ROOT / "samples" / "voorbeeld-geldig.xlsx")],
                          capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert load_json(out / "report.json")["options"]["lang"] == "en"
