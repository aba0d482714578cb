# Back half: stances for new articles, end-to-end evaluation on SEESAW, the analysis notebook,
# and the headless browser the MLflow UI test drives.
# Included from the main Makefile (PY, CONFIG, ARGS, STATE, RUN and VENV_STAMP come from there;
# INPUT and FRONTEND_ARGS from make/frontend.mk).
# Usage: make predict INPUT=path/to/articles    (a .txt/.jsonl/.csv file or a folder; default seeds/)
#        make predict INPUT=... ENGINE=ray       (the same tables from Ray Data; RAY_ADDRESS joins a cluster)

NOTEBOOK := notebooks/analysis
NOTEBOOK_OUT ?= notebooks
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: predict check-seed eval-e2e eval-pairs notebook setup-browser bench-scale

# predict always reruns (the champion may have moved in the registry); the front half below it does not.
# The local engine loads the model while a sub-make brings the front half's tables up to date (on
# the other core: loading torch and the model costs as much as parsing a few articles), then reads
# them. The Ray engine (ENGINE=ray, or predict.engine: ray; plan.mk's PREDICT_ENGINE) runs the front
# half itself, from the input files, so it needs none of the local engine's tables.
FRONT_HALF_MAKE = $(MAKE) --no-print-directory SNAPSHOTS_FRESH=1 $(CORPUS_DIR)/pairs.parquet
predict: $(SECTIONS)/input.json | $(VENV_STAMP) ## Stances of INPUT (default seeds/) by the champion: tables, pair aggregates, actor network under outputs/CONFIG/predict (ENGINE=ray: on Ray Data)
	$(RUN) predict --config $(CONFIG) $(if $(filter ray,$(PREDICT_ENGINE)),,--alongside '$(FRONT_HALF_MAKE)')

# Reads predict's outputs as they are: it does not run predict first.
check-seed: $(VENV_STAMP) ## Check make predict's stances of the seed article against the hand reading tests/data/seed_reading.yaml (predict.seed_reading)
	$(RUN) check-seed --config $(CONFIG)

eval-e2e: $(SEESAW_TABLES) $(STATE)/champion.done ## Whole SEESAW valid articles -> stance triplets vs gold: P/R/F1 of the champion and baselines (MLflow experiment seesaw-e2e)
	$(RUN) eval-e2e --config $(CONFIG)

eval-pairs: $(SEESAW_TABLES) $(STATE)/champion.done ## SEESAW valid gold triplets with the pair given: the champion's POS/NEG micro-F1, comparable with Wen et al. 2024 (MLflow experiment seesaw-e2e)
	$(RUN) eval-pairs --config $(CONFIG)

notebook: $(VENV_STAMP) ## Execute notebooks/analysis (paired .py/.ipynb) headless; HTML copy in NOTEBOOK_OUT (env STANCE_CONFIG, STANCE_OVERRIDES, MLFLOW_TRACKING_URI)
	$(VENV)/bin/jupytext --sync $(NOTEBOOK).py
	@mkdir -p $(NOTEBOOK_OUT)
	cd notebooks && ../$(VENV)/bin/jupyter nbconvert --to html --execute --ExecutePreprocessor.kernel_name=python3 \
		--ExecutePreprocessor.timeout=600 --output-dir "$(abspath $(NOTEBOOK_OUT))" analysis.ipynb

setup-browser: ## Install headless Chromium and chromedriver (Debian packages chromium, chromium-driver) for the UI test
	@if [ -x "$(CHROMIUM)" ] && [ -x "$(CHROMEDRIVER)" ]; then exit 0; fi; \
	echo "Installing chromium and chromium-driver with apt-get (the MLflow UI test drives them)"; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	if [ "$$SUDO" = none ] || ! command -v apt-get >/dev/null || \
		! { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; }; then \
		echo "error: could not install chromium and chromium-driver (needs apt-get as root or passwordless sudo);" >&2; \
		echo "       install them yourself (apt-get install chromium chromium-driver) or point CHROMIUM=/CHROMEDRIVER= at them" >&2; \
		exit 1; \
	fi; \
	test -x "$(CHROMIUM)" && test -x "$(CHROMEDRIVER)" || { echo "error: $(CHROMIUM) or $(CHROMEDRIVER) still missing after apt-get" >&2; exit 1; }

bench-scale: $(SEESAW_TABLES) $(STATE)/champion.done ## make predict's whole job on load corpora of SEESAW articles repeated under new ids (scale.sizes): articles/s, pairs/s, memory, local vs Ray at scale.ray_cpus (MLflow experiment scale)
	$(RUN) bench-scale --config $(CONFIG)
