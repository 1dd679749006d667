# Two commands: `make run` starts Ustaz (the sandbox when no tokens are set), `make test` runs the tests.
# Both set everything up first: uv, Python dependencies from uv.lock, the database schema.
#
# uv is used from PATH when it is there; otherwise it is installed into .tools/ inside the project
# (pip --target: allowed on Debian 12, whose Python refuses `pip install --user`), so nothing outside
# the project changes and no shell needs a new PATH. The programme itself lands in .venv:
# `.venv/bin/ustaz` works from any shell, as the README's commands and the systemd units use it.

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

.PHONY: run test lint bench setup

$(CURDIR)/.tools/bin/uv:
	python3 -m pip install --quiet --target $(CURDIR)/.tools "uv==$(UV_VERSION)"

setup: $(UV)
	$(UV) sync --frozen --quiet

run: setup
	$(UV) run --frozen python -m bots

test: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy assessment bots handlers models outbox scheduler sandbox bench locales metrics monitoring photos record roster schoolyear settings
	$(UV) run --frozen mypy --strict assessment outbox monitoring photos record roster schoolyear settings
	$(UV) run --frozen pytest -q

bench: setup
	$(UV) run --frozen --group bench-baselines python -m bench
