"""`python -m bots`: run the system (the sandbox when no tokens are configured)."""

from bots.cli import main

main(["run"])
