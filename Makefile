# Two commands for people: `make lab` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LAB_ARGS  ?=
NOTEBOOKS := $(wildcard notebooks/*.ipynb exercises/*.ipynb)
export PYTHONWARNINGS ?= ignore::DeprecationWarning

.PHONY: setup lab drill test lint unit nbval browser format bench eval blame-model notebooks clean

setup: $(STAMP)

# Create the venv if missing and install the project with its lab and test extras.
# uv makes this ~10x faster; plain pip is the fallback. Re-runs when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "seller-playbook needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 || true
	@if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install -q --python $(BIN)/python -e '.[lab,app,test]'; \
	else \
	  $(BIN)/python -m pip install -q --disable-pip-version-check -e '.[lab,app,test]' 2>&1 | grep -v 'is ignored' || true; \
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

# The scenario drill as a plain web app (no code shown) on http://127.0.0.1:$(DRILL_PORT).
# Attempts go to PLAYBOOK_DB (a file or URL) or the user's data folder.
DRILL_PORT ?= 8866
drill: $(STAMP)
	$(BIN)/voila notebooks/05_scenario_drill.ipynb --no-browser --Voila.ip=127.0.0.1 \
	  --port=$(DRILL_PORT) --theme=light $(DRILL_ARGS)

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

# Triage: the sets the signals were tuned on (dev*, and heldout/heldout2 once their figures
# were reported), then the sealed held-out set against the targets. Messages: the policy
# check on its tuning set, then on its held-out set against the targets.
eval: $(STAMP)
	@for set in dev dev2 dev3 heldout heldout2; do \
	  echo "== triage, tuned on: $$set"; $(BIN)/playbook eval tests/data/triage/$$set.jsonl | head -5; done
	@echo "== triage, held out: heldout3"
	$(BIN)/playbook eval tests/data/triage/heldout3.jsonl \
	  --min-category 0.92 --min-reason-f1 0.85 --min-flag-f1 0.85
	@for set in dev heldout heldout2 heldout3 heldout4 heldout5 heldout6 heldout7 heldout8 heldout9 \
	  heldout10 heldout11 blame1 blame2 blame3 blame4 blame5 blame6; do \
	  echo "== message policy, tuned on: $$set"; $(BIN)/playbook eval tests/data/policy/$$set.jsonl; done
	@echo "== message policy, held out (neither the lexicons nor the blame model saw it): heldout12"
	$(BIN)/playbook eval tests/data/policy/heldout12.jsonl --min-precision 0.9 --min-recall 0.9

# Retrain the learned blame model (policy/blame_model.json) after editing a labelled set.
# Needs scikit-learn (the research extra). heldout12 stays out so `make eval` stays honest.
# Threshold: grouped CV on heldout10+11 gives the best F1 of the check at 0.45 (.931), then
# 0.55 (.925) and 0.5 (.923); 0.45 and 0.5 flag a kind look-alike of tests/test_policy.py
# ("Bevor Sie einen Streitfall eröffnen, schreiben Sie uns bitte hier."), 0.55 does not.
blame-model: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[research]'
	$(BIN)/python tools/train_blame_model.py --hold-out tests/data/policy/heldout12.jsonl \
	  --calibrate-on heldout10 --calibrate-on heldout11 --threshold 0.55

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
