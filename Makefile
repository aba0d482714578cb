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
# ENGINE=ray runs make predict on Ray Data (predict.engine); empty leaves the config's engine (local).
ENGINE ?=
# INPUT, ENGINE and ARGS reach the stages through the environment, never through a shell command line:
# `INPUT='x; touch y #'` is a file name, not a command. The CLI reads PIPELINE_INPUT as
# articles.input, verbatim, PIPELINE_ENGINE as predict.engine, and splits PIPELINE_ARGS into
# overrides like a shell without expansion.
export PIPELINE_INPUT = $(INPUT)
export PIPELINE_ENGINE = $(ENGINE)
export PIPELINE_ARGS = $(ARGS)
STATE ?= data/.make/$(CONFIG)
SECTIONS := $(STATE)/config
RUN = $(PY) -m pipeline
CORE := pipeline/__init__.py pipeline/__main__.py $(wildcard pipeline/core/*.py)

.PHONY: help setup train fetch ingest examples promote test test-fast ui clean FORCE

help: ## Show the targets
	@echo "Usage: make TARGET [CONFIG=default] [ARGS='key.path=value ...']"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-16s %s\n", $$1, $$2}'

# setuptools' notice about compat editable installs (a block of 16 lines) is library noise: filtered.
$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project into $(VENV) (first time: a few minutes)"
	@$(PY) -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat 2>&1 | \
		awk '/BuildBackendWarning/ { skip = 16 } skip > 0 { skip--; if (/_EditableMode.convert/) skip = 0; next } \
			!/is ignored: it is neither/'; \
		test "$${PIPESTATUS[0]}" -eq 0
	@touch $@

setup: $(VENV_STAMP) ## Create .venv/ and install the project (make train does this for you)

# Config snapshots and the run plan: recomputed on every call, each file rewritten only when it
# changes. plan.mk names the families, the table folders and each family's code; make reads it
# again when it changes, so every target below is a real output file and a deleted one is rebuilt.
# A sub-make of the same call (make predict's front half) passes SNAPSHOTS_FRESH=1: its parent has
# just computed them.
$(STATE)/config.stamp: FORCE | $(VENV_STAMP)
	@$(if $(SNAPSHOTS_FRESH),true,$(PY) -m pipeline config --config $(CONFIG) --sections-dir $(SECTIONS))
$(SECTIONS)/%.json: $(STATE)/config.stamp ;
$(SECTIONS)/plan.mk: $(STATE)/config.stamp ;
ifneq ($(filter-out help setup clean test test-fast ui,$(or $(MAKECMDGOALS),help)),)
include $(SECTIONS)/plan.mk
endif

TRACKING := $(wildcard pipeline/tracking/*.py)
MODELS_BASE := pipeline/models/__init__.py pipeline/models/base.py pipeline/models/registry.py \
	pipeline/models/encoders.py
GOLD_TABLES := $(foreach corpus,$(CORPORA),$(CORPUS_TABLES_$(corpus)))
SEESAW_TABLES := $(CORPUS_TABLES_seesaw)
EXAMPLE_TABLES := $(foreach split,train valid test,$(TABLES_DIR)/examples_$(split).parquet)
TRAINED := $(foreach family,$(FAMILIES),$(OUTPUTS_DIR)/models/$(family)/run.json)
EVALUATED := $(foreach family,$(FAMILIES),$(OUTPUTS_DIR)/reports/$(family)/test_metrics.json)

$(STATE)/fetch.done: $(wildcard pipeline/corpora/*.py) pipeline/stages/fetch.py $(CORE) $(wildcard configs/corpora/*) \
		$(SECTIONS)/corpora.json $(SECTIONS)/paths.json | $(VENV_STAMP)
	$(RUN) fetch --config $(CONFIG)
	@touch $@

CORPORA_CODE := $(wildcard pipeline/corpora/*.py)

# The raw files are ingest's inputs: one changed after fetch reruns ingest, which checks every raw
# file against its manifest and refuses a changed one. Fetch makes them; the empty recipe lets make
# compare their own modification times.
RAW_FILES := $(foreach corpus,$(CORPORA),$(CORPUS_RAW_$(corpus)))
$(RAW_FILES): $(STATE)/fetch.done ;

$(GOLD_TABLES) $(TABLES_DIR)/rejects_ingest.parquet &: $(STATE)/fetch.done $(RAW_FILES) \
		$(CORPORA_CODE) pipeline/stages/ingest.py $(CORE) $(SECTIONS)/paths.json $(SECTIONS)/corpora.json
	$(RUN) ingest --config $(CONFIG)

$(EXAMPLE_TABLES) &: $(GOLD_TABLES) $(CORPORA_CODE) pipeline/stages/examples.py $(CORE) \
		$(SECTIONS)/examples.json $(SECTIONS)/train.json $(SECTIONS)/corpora.json
	$(RUN) examples --config $(CONFIG)

# Each family trains under its own target: its code and its own config unit (train.<family>).
.SECONDEXPANSION:
# Every family reads SEESAW's candidate pairs: train (a family with in_domain_weight) and valid (its
# decision rule, for the families of decision.families).
$(OUTPUTS_DIR)/models/%/run.json: $(EXAMPLE_TABLES) $$(SEESAW_EXAMPLES) pipeline/stages/train.py $(TRACKING) \
		$(MODELS_BASE) $$(FAMILY_SOURCES_$$*) $(CORE) $(SECTIONS)/train.json $(SECTIONS)/train.%.json \
		$(SECTIONS)/mlflow.json $(SECTIONS)/decision.json
	$(RUN) train --family $* --config $(CONFIG)

# The test split is read once per trained model.
$(OUTPUTS_DIR)/reports/%/test_metrics.json: $(OUTPUTS_DIR)/models/%/run.json pipeline/stages/evaluate.py \
		$(TRACKING) $(CORE) $(SECTIONS)/evaluate.json
	$(RUN) evaluate --family $* --config $(CONFIG)

$(STATE)/champion.done: $(TRAINED) $(EVALUATED) $(SECTIONS)/plan.mk
	$(RUN) champion --config $(CONFIG)
	@touch $@

fetch: $(STATE)/fetch.done ## Fetch and verify the gold corpora (mirror: STANCE_DATA_MIRROR=folder)
ingest: $(GOLD_TABLES) ## Gold corpora -> Parquet tables (rejects reported)
examples: $(EXAMPLE_TABLES) ## Gold rows -> directed examples
train: $(STATE)/champion.done ## The main job: fetch -> ingest -> examples -> train -> evaluate, tracked in MLflow
	@echo "Done. Compare runs with: make ui"

promote: $(VENV_STAMP) ## Make CONFIG's best version the shared champion that predict serves, on purpose
	$(RUN) promote --config $(CONFIG)

test: $(VENV_STAMP) setup-browser setup-postgres ## Run the whole test suite (unit tests, a smoke run of make train, the MLflow UI in headless Chromium, the team server, a local Ray cluster)
	env -u PIPELINE_INPUT -u PIPELINE_ENGINE -u PIPELINE_ARGS $(PY) -m pytest -q

test-fast: $(VENV_STAMP) ## Unit tests only (no smoke train, no transformer training, no subprocess kills, no browser, no server, no Ray cluster): under a minute
	env -u PIPELINE_INPUT -u PIPELINE_ENGINE -u PIPELINE_ARGS $(PY) -m pytest -q -m "not slow and not train and not browser and not server and not ray"

ui: $(VENV_STAMP) ## Serve the MLflow UI of the tracking store on http://127.0.0.1:<mlflow.ui_port> (5000)
	$(RUN) ui --config $(CONFIG)

clean: ## Remove generated tables, outputs and make stamps (keeps data/raw, .venv and mlflow.db)
	rm -rf data/tables data/smoke data/.make outputs

FORCE:

-include make/*.mk
