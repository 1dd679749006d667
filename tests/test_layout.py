"""The product does not import its sandbox: no module the wheel ships imports `sandbox`, except the
command line's one lazy import that runs the sandbox when no tokens are set; the wheel ships every
product package and leaves out the sandbox, the benchmarks and the tests."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = {"sandbox", "bench", "tests"}
CHOOSER = ROOT / "bots" / "cli.py"  # chooses between the sandbox and the real system


def shipped() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def sandbox_imports(tree: ast.AST) -> list[tuple[int, bool]]:
    """(line, inside a function) of every import of `sandbox` or a module under it."""
    found: list[tuple[int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        if any(name == "sandbox" or name.startswith("sandbox.") for name in names):
            found.append((node.lineno, in_function))
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def test_the_wheel_ships_every_product_package_and_not_the_sandbox() -> None:
    packages = {
        path.parent.name for path in ROOT.glob("*/__init__.py") if not path.parent.name.startswith(".")
    }
    assert "sandbox" in packages and "bots" in packages
    assert set(shipped()) == packages - NOT_SHIPPED


def test_no_product_module_imports_the_sandbox() -> None:
    offending = []
    lazy = []
    for package in shipped():
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, in_function in sandbox_imports(ast.parse(path.read_text(), str(path))):
                if path == CHOOSER and in_function:
                    lazy.append(line)
                else:
                    offending.append(f"{path.relative_to(ROOT)}:{line}")
    assert offending == []
    assert len(lazy) == 1, "the command line runs the sandbox through one lazy import"


def test_the_run_command_without_the_sandbox_says_what_to_set(tmp_path: Path) -> None:
    """An installed wheel has no sandbox: with no tokens, `ustaz run` says so instead of a traceback."""
    without_sandbox = (
        "import sys; sys.modules['sandbox.runtime'] = None; from bots.cli import main; main(['run'])"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", without_sandbox],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "the sandbox is not installed" in done.stderr
    assert "Traceback" not in done.stderr
