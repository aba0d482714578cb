# Front half: user articles -> claims -> actors -> pairs, and its benchmark on SEESAW valid.
# Included from the main Makefile (PY, CONFIG, ARGS and $(VENV_STAMP) come from there).
# Usage: make claims INPUT=path/to/articles   (a .txt/.jsonl/.csv file or a folder; default seeds/)

INPUT ?= seeds
FRONTEND_ARGS = articles.input=$(INPUT) $(ARGS)

.PHONY: claims pairs bench-frontend

pairs: $(VENV_STAMP) ## Run articles -> claims -> actors -> pairs on INPUT (default seeds/), tables under data/tables/corpus
	$(PY) -m pipeline articles --config $(CONFIG) $(FRONTEND_ARGS)
	$(PY) -m pipeline claims --config $(CONFIG) $(FRONTEND_ARGS)
	$(PY) -m pipeline actors --config $(CONFIG) $(FRONTEND_ARGS)
	$(PY) -m pipeline pairs --config $(CONFIG) $(FRONTEND_ARGS)

claims: pairs ## Print a readable table of the claims of INPUT (kind, speaker, cue, actors)
	$(PY) -m pipeline show-claims --config $(CONFIG) $(FRONTEND_ARGS)

bench-frontend: $(VENV_STAMP) ## Measure sentences, entities, candidate pairs and throughput on SEESAW valid (MLflow experiment frontend)
	$(PY) -m pipeline bench-frontend --config $(CONFIG) $(ARGS)
