# Two entry points a fresh machine needs (only Python 3.10+ and make):
#   make demo   runs gclint on the bundled demo program and prints its findings
#   make test   runs the whole test suite: pytest (on every Python 3.10-3.13 found), mypy --strict,
#               ruff, docs-current check; ends with one summary line
# Both create .venv and install gclint with its development tools into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test pythons pytest typecheck lint docs bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "gclint needs Python 3.10+")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	@echo '$$ gclint check fixtures/demo --show-source --statistics'
	@$(BIN)/gclint check fixtures/demo --show-source --statistics; status=$$?; [ $$status -le 1 ]

test: $(STAMP)
	$(BIN)/python tests/suite.py

pythons: $(STAMP)
	$(BIN)/python tests/suite.py --only-pythons

pytest: $(STAMP)
	$(BIN)/python -X dev -W error::ResourceWarning -m pytest -q

typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: $(STAMP)
	$(BIN)/python -m gclint.docs .

clean:
	rm -rf $(VENV) .venv-3.* .gclint_cache .mypy_cache .ruff_cache .pytest_cache
