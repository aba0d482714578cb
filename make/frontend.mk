# Front half: user articles -> claims -> actors -> pairs, and its benchmark on SEESAW valid.
# Included from the main Makefile (PY, RUN, CONFIG, ARGS, SECTIONS, CORPUS_DIR and $(VENV_STAMP)
# come from there). Each stage's target is its table, remade when its input, code or config
# changed: `make predict` twice parses once.
# Usage: make claims INPUT=path/to/articles   (a .txt/.jsonl/.csv file or a folder; default seeds/)

INPUT ?= seeds
FRONTEND_CODE := $(wildcard pipeline/frontend/*.py) pipeline/stages/frontend.py $(CORE) $(SECTIONS)/lexicon.json
FRONTEND_TABLES := $(foreach table,articles claims mentions pairs,$(CORPUS_DIR)/$(table).parquet)

.PHONY: claims pairs bench-frontend

# Two processes, not four (a Python start each is a good part of a small corpus's time): articles and
# claims together, as nothing else reads the articles table first; actors and pairs together, as
# both are cheap next to spaCy, so a change of pairs.* reruns them but never the parse.
$(CORPUS_DIR)/articles.parquet $(CORPUS_DIR)/claims.parquet &: $(SECTIONS)/input.json $(SECTIONS)/articles.json \
		$(SECTIONS)/paths.json $(SECTIONS)/claims.json $(SECTIONS)/actors.json configs/actors.yaml $(FRONTEND_CODE)
	$(RUN) articles,claims --config $(CONFIG)

$(CORPUS_DIR)/mentions.parquet $(CORPUS_DIR)/pairs.parquet &: $(CORPUS_DIR)/claims.parquet \
		$(SECTIONS)/actors.json configs/actors.yaml $(SECTIONS)/pairs.json $(SECTIONS)/examples.json $(FRONTEND_CODE)
	$(RUN) actors,pairs --config $(CONFIG)

pairs: $(CORPUS_DIR)/pairs.parquet ## Run articles -> claims -> actors -> pairs on INPUT (default seeds/), tables under data/tables/corpus

claims: pairs ## Print a readable table of the claims of INPUT (kind, speaker, cue, actors)
	$(RUN) show-claims --config $(CONFIG)

bench-frontend: $(SEESAW_TABLES) ## Measure sentences, entities, candidate pairs and throughput on SEESAW valid (MLflow experiment frontend)
	$(RUN) bench-frontend --config $(CONFIG)
