# Stance classifiers: benchmark a config (train + evaluate + quality and speed on DSE test).
# Included from the main Makefile (PY, RUN, CONFIG, ARGS, STATE and $(VENV_STAMP) come from there).
# Usage: make bench-model [CONFIG=default|best] [ARGS='train.seed=7']

.PHONY: bench-model

bench-model: $(VENV_STAMP) ## Train+evaluate CONFIG (timed), then test macro/micro-F1 with 95% CIs, pairs/s fp32 and fast paths, memory
	@mkdir -p $(STATE) && touch $(STATE)/bench-start
	@start=$$(date +%s.%N); $(MAKE) --no-print-directory train CONFIG=$(CONFIG) ARGS='$(ARGS)' || exit 1; \
		end=$$(date +%s.%N); \
		if [ $(STATE)/evaluate.done -nt $(STATE)/bench-start ]; then \
			export BENCH_TRAIN_WALL_S=$$(awk "BEGIN {print $$end - $$start}"); \
		else echo "bench-model: make train was up to date; training times come from the MLflow runs"; fi; \
		$(RUN) bench-model --config $(CONFIG) $(ARGS)
