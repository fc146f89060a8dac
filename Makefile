# Two commands for people: `make lab` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LAB_ARGS  ?=
NOTEBOOKS := $(wildcard notebooks/*.ipynb exercises/*.ipynb)
export PYTHONWARNINGS ?= ignore::DeprecationWarning

.PHONY: setup lab test lint unit nbval format bench eval notebooks clean

setup: $(STAMP)

# Create the venv if missing and install the project with its lab and test extras.
# uv makes this ~10x faster; plain pip is the fallback. Re-runs when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "seller-playbook needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 || true
	@if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install -q --python $(BIN)/python -e '.[lab,test]'; \
	else \
	  $(BIN)/python -m pip install -q --disable-pip-version-check -e '.[lab,test]' 2>&1 | grep -v 'is ignored' || true; \
	fi
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
	  --display-name "Python 3 (seller-playbook)" >/dev/null
	@touch $@
	@echo "setup done: $(VENV) ready"

# Open JupyterLab on the start notebook; the kernel is also registered for the user's
# own Jupyter installs as "seller-playbook".
lab: $(STAMP)
	@$(BIN)/python -m ipykernel install --user --name seller-playbook \
	  --display-name "Python 3 (seller-playbook)" >/dev/null
	@$(BIN)/jupyter trust $(NOTEBOOKS) >/dev/null 2>&1 || true
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
	  --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(LAB_ARGS)

test: $(STAMP) lint unit nbval

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# unit tests, plus every notebook executed with papermill in both staff languages
unit: $(STAMP)
	$(BIN)/pytest

# stored notebook outputs still match a fresh run
nbval: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider --nbval $(NOTEBOOKS) \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

# Re-execute every notebook in place so its stored outputs are the reference for nbval.
notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(NOTEBOOKS)

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# triage quality: the three sets it was tuned on, the held-out sets, and the targets on
# the fresh one (heldout2: never used for tuning)
eval: $(STAMP)
	$(BIN)/playbook eval tests/data/triage/dev.jsonl
	$(BIN)/playbook eval tests/data/triage/dev2.jsonl
	$(BIN)/playbook eval tests/data/triage/dev3.jsonl
	$(BIN)/playbook eval tests/data/triage/heldout.jsonl
	$(BIN)/playbook eval tests/data/triage/heldout2.jsonl \
	  --min-category 0.92 --min-reason-f1 0.85 --min-flag-f1 0.85

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
