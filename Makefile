# Two entry points a fresh machine needs (only Python 3.10+ and make):
#   make demo   runs gclint on the bundled demo program and prints its findings
#   make test   runs the whole test suite: tests, mypy --strict, ruff, docs-current check
# Both create .venv and install gclint with its development tools into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test pytest typecheck lint docs bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "gclint needs Python 3.10+")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	@echo '$$ gclint check fixtures/demo --show-source --statistics'
	@$(BIN)/gclint check fixtures/demo --show-source --statistics; status=$$?; [ $$status -le 1 ]

test: pytest typecheck lint
	$(BIN)/python -m gclint.docs --check .

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
	rm -rf $(VENV) .gclint_cache .mypy_cache .ruff_cache .pytest_cache
