# Two commands do all set-up on a fresh Debian machine with Python 3.11:
#   make run    create .venv if missing, then serve the workbooks (Voila) on the default SQLite store
#   make test   the same, plus Chromium, PostgreSQL and nginx from Debian if missing, then the format and
#               lint checks, the layer contracts (import-linter) and every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: run test notebooks bench system-test-deps clean

run: $(STAMP)
	$(BIN)/cpmkit serve

test: $(STAMP) system-test-deps
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/cpmkit build-notebooks --check
	$(BIN)/pytest

notebooks: $(STAMP)
	$(BIN)/cpmkit build-notebooks

bench: $(STAMP) system-test-deps
	$(BIN)/python benchmarks/notebook_tti.py

$(STAMP):
	@if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
	  echo "Installing Debian's python3-venv"; $(APT) update -qq && $(APT) install -y -qq python3-venv; fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# Browser tests drive Debian's Chromium; the PostgreSQL tests start Debian's server themselves;
# `cpmkit serve --workers` (and its test) runs Debian's nginx in front of the workers.
system-test-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing from Debian:$$missing"; $(APT) update -qq && $(APT) install -y -qq $$missing; fi

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
