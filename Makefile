# The two commands of the README: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= $(CURDIR)/var/demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench test-fabric clean

install:
	@bash scripts/setup.sh

run: install
	$(BIN)/usmca demo run --home $(HOME_DIR) --host $(HOST) --port $(PORT)

test: install lint
	$(BIN)/pytest -q -p no:cacheprovider

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf var .pytest_cache
