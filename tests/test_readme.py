"""The README's `ustaz` commands are ones the command line takes, and they run from a fresh login
shell after `make`: through `.venv/bin/ustaz`, with no uv and no change to PATH. The days its
examples of cancelling and moving lessons name come from `date` in the same block, so they are
always ahead (a past day is refused): the test reads them as a shell would, today."""

from __future__ import annotations

import re
import shlex
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bots.cli import parser

ROOT = Path(__file__).resolve().parent.parent
VENV_USTAZ = ".venv/bin/ustaz"


ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DAY_OPTIONS = ("--date", "--until", "--from", "--to")


def readme_lines() -> list[str]:
    """The lines of the README's shell blocks, comments stripped."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]


def readme_commands() -> list[str]:
    """The lines of the README's shell blocks that run `ustaz`."""
    return [line for line in readme_lines() if "ustaz " in line]


def expanded(command: str) -> list[str]:
    """The command's words as bash gives them to the programme, after the block's variable lines."""
    variables = [line for line in readme_lines() if re.match(r"[A-Z]+=", line)]
    shell = "\n".join([*variables, f"printf '%s\\0' {command}"])
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.split("\0")[:-1]


def test_every_ustaz_command_in_the_readme_runs_the_venv_and_parses() -> None:
    commands = readme_commands()
    assert len(commands) >= 7
    for command in commands:
        program, *args = expanded(command)
        assert program == VENV_USTAZ, command
        parser().parse_args(args)  # an unknown command or option exits here


def test_the_readmes_lesson_examples_name_days_ahead_that_never_go_stale() -> None:
    today = datetime.now(ZoneInfo("Asia/Almaty")).date()
    named = []
    for command in readme_commands():
        words = expanded(command)
        days = [date.fromisoformat(words[i + 1][:10]) for i, w in enumerate(words[:-1]) if w in DAY_OPTIONS]
        assert not ISO_DAY.search(command), f"a fixed day goes stale: {command}"
        assert all(day >= today for day in days), (command, days)  # only a past day is refused
        assert days == sorted(days), command  # a range runs forwards
        named += days
    assert len(named) >= 8  # the cancel, move and substitute examples all name their days


def test_a_readme_command_runs_in_a_fresh_login_shell(tmp_path: Path) -> None:
    assert (ROOT / VENV_USTAZ).exists(), "make (uv sync) puts the programme in .venv"
    # Its own data folder and database, never a developer's .env ones.
    settings = (
        f"DATA_DIR={shlex.quote(str(tmp_path))} DATABASE_URL={shlex.quote(f'sqlite:///{tmp_path}/u.db')}"
    )
    shell = f"cd {shlex.quote(str(ROOT))} && {settings} {VENV_USTAZ} migrate"
    done = subprocess.run(
        ["env", "-i", f"HOME={tmp_path}", "bash", "-lc", shell],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
