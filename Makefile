# Set-up commands: `make run` (serve the demo on http://127.0.0.1:8000/graphql, SQLite) and
# `make test` (the suite on SQLite and on PostgreSQL + Redis, side by side; see scripts/test.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test services clean

run: $(VENV)/.installed
	$(BIN)/switchboard migrate && $(BIN)/switchboard demo && $(BIN)/switchboard serve

test: services $(VENV)/.installed-test
	scripts/test.sh

services:
	scripts/services.sh

# Debian's python3 needs python3-venv for `-m venv`; a failed attempt leaves a venv without pip.
$(BIN)/pip:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }

# Reinstall only when pyproject.toml is newer than the stamp.
$(VENV)/.installed: pyproject.toml | $(BIN)/pip
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/pip
	$(BIN)/pip install -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) var
