# The two commands of the README: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= $(CURDIR)/var/demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench screenshots test-fabric clean

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

# Re-take the README's screenshots (docs/img) from a freshly seeded default demo, with Debian's chromium.
screenshots: install
	$(BIN)/python scripts/readme_screenshots.py

clean:
	rm -rf var .pytest_cache

# Real Hyperledger Fabric: FABRIC_BIN is a Fabric 3 release's bin/ (peer, orderer, osnadmin, configtxgen) with
# its config/ next to it. Brings a four-org network up, runs the backend-parametrized workflow tests on it,
# restarts a peer mid-run, and tears everything down. Without FABRIC_BIN the Fabric tests skip.
test-fabric: install
	@test -n "$(FABRIC_BIN)" || { echo "set FABRIC_BIN to a Fabric release's bin/ folder"; exit 2; }
	FABRIC_BIN=$(FABRIC_BIN) $(BIN)/pytest -q -p no:cacheprovider tests/fabric
