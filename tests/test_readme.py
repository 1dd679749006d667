"""The README's `ustaz` commands are ones the command line takes, and they run from a fresh login
shell after `make`: through `.venv/bin/ustaz`, with no uv and no change to PATH."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from bots.cli import parser

ROOT = Path(__file__).resolve().parent.parent
VENV_USTAZ = ".venv/bin/ustaz"


def readme_commands() -> list[str]:
    """The lines of the README's shell blocks that run `ustaz`, comments stripped."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if "ustaz " in line]


def test_every_ustaz_command_in_the_readme_runs_the_venv_and_parses() -> None:
    commands = readme_commands()
    assert len(commands) >= 7
    for command in commands:
        program, *args = shlex.split(command)
        assert program == VENV_USTAZ, command
        parser().parse_args(args)  # an unknown command or option exits here


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
