# Actor-pair stance pipeline. `make` lists the targets.
# The Makefile owns the DAG: each stage reruns only when its inputs, its code or
# its config section changed. Pick a config with CONFIG=name, override keys with
# ARGS="train.seed=7 model=tfidf".

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
CONFIG ?= default
ARGS ?=
STATE ?= data/.make/$(CONFIG)
SECTIONS := $(STATE)/config
RUN = $(PY) -m pipeline
CORE := pipeline/__main__.py pipeline/config.py pipeline/tables.py pipeline/labels.py

.PHONY: help setup train fetch ingest examples test ui clean FORCE

help: ## Show the targets
	@echo "Usage: make TARGET [CONFIG=default] [ARGS='key.path=value ...']"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-16s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project into $(VENV) (first time: a few minutes)"
	@$(PY) -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@$(PY) -m pip install --quiet -e '.[dev]' 2>&1 | { grep -v "is ignored: it is neither" || true; }; \
		test "$${PIPESTATUS[0]}" -eq 0
	@touch $@

setup: $(VENV_STAMP) ## Create .venv/ and install the project (make train does this for you)

# Config snapshots: recomputed on every call, rewritten only when a section changes.
$(STATE)/config.stamp: FORCE | $(VENV_STAMP)
	@$(RUN) config --config $(CONFIG) --sections-dir $(SECTIONS) $(ARGS)
$(SECTIONS)/%.json: $(STATE)/config.stamp ;

$(STATE)/fetch.done: pipeline/fetch.py $(CORE) $(wildcard configs/corpora/*) \
		$(SECTIONS)/corpora.json $(SECTIONS)/paths.json | $(VENV_STAMP)
	$(RUN) fetch --config $(CONFIG) $(ARGS)
	@touch $@

$(STATE)/ingest.done: $(STATE)/fetch.done pipeline/ingest/__init__.py pipeline/ingest/dse.py \
		pipeline/ingest/seesaw.py $(CORE) $(SECTIONS)/paths.json
	$(RUN) ingest --config $(CONFIG) $(ARGS)
	@touch $@

$(STATE)/examples.done: $(STATE)/ingest.done pipeline/examples.py $(CORE) $(SECTIONS)/examples.json \
		$(SECTIONS)/train.json
	$(RUN) examples --config $(CONFIG) $(ARGS)
	@touch $@

$(STATE)/train.done: $(STATE)/examples.done pipeline/train.py pipeline/tracking.py pipeline/evaluate.py \
		$(wildcard pipeline/models/*.py) $(CORE) $(SECTIONS)/train.json $(SECTIONS)/mlflow.json
	$(RUN) train --config $(CONFIG) $(ARGS)
	@touch $@

$(STATE)/evaluate.done: $(STATE)/train.done pipeline/evaluate.py pipeline/tracking.py $(CORE) \
		$(SECTIONS)/evaluate.json
	$(RUN) evaluate --config $(CONFIG) $(ARGS)
	@touch $@

fetch: $(STATE)/fetch.done ## Fetch and verify the gold corpora (mirror: STANCE_DATA_MIRROR=folder)
ingest: $(STATE)/ingest.done ## Gold corpora -> Parquet tables (rejects reported)
examples: $(STATE)/examples.done ## DSE rows -> directed examples
train: $(STATE)/evaluate.done ## The main job: fetch -> ingest -> examples -> train -> evaluate, tracked in MLflow
	@echo "Done. Compare runs with: make ui"

test: $(VENV_STAMP) setup-browser setup-postgres ## Run the test suite (unit tests, a smoke run of make train, the MLflow UI in headless Chromium, the team server)
	$(PY) -m pytest -q

ui: $(VENV_STAMP) ## Serve the MLflow UI on http://127.0.0.1:5000
	$(VENV)/bin/mlflow ui --backend-store-uri "$${MLFLOW_TRACKING_URI:-sqlite:///mlflow.db}" --host 127.0.0.1 --port 5000

clean: ## Remove generated tables, outputs and make stamps (keeps data/raw, .venv and mlflow.db)
	rm -rf data/tables data/smoke data/.make outputs

FORCE:

-include make/*.mk
