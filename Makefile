# Two commands: `make run` starts Ustaz (the sandbox when no tokens are set), `make test` runs the tests.
# Both set everything up first: uv, Python dependencies from uv.lock, the database schema.

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: run test lint bench setup

$(UV):
	python3 -m pip install --user --quiet "uv==$(UV_VERSION)"

setup: $(UV)
	$(UV) sync --frozen --quiet

run: setup
	$(UV) run --frozen python -m bots

test: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy bots handlers models outbox scheduler sandbox bench locales monitoring photos roster schoolyear settings
	$(UV) run --frozen mypy --strict outbox monitoring photos roster schoolyear settings
	$(UV) run --frozen pytest -q

bench: setup
	$(UV) run --frozen python -m bench
