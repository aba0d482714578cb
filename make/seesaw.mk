# SEESAW as training data: its train and valid articles through the front half, every candidate pair
# labelled from the gold triplets of its sentence, unmatched gold counted by reason.
# Included from the main Makefile (RUN, CONFIG, ARGS, SECTIONS, CORE, TABLES_DIR, OUTPUTS_DIR and
# SEESAW_TABLES come from there and its plan).

.PHONY: seesaw-examples

SEESAW_EXAMPLES := $(foreach split,train valid,$(TABLES_DIR)/seesaw_examples_$(split).parquet \
	$(TABLES_DIR)/seesaw_gold_unmatched_$(split).parquet) $(TABLES_DIR)/seesaw_examples.json
SEESAW_EXAMPLES_CODE := $(wildcard pipeline/frontend/*.py) pipeline/stages/seesaw_examples.py $(CORE) configs/actors.yaml

$(SEESAW_EXAMPLES) &: $(SEESAW_TABLES) $(SEESAW_EXAMPLES_CODE) $(SECTIONS)/seesaw_examples.json \
		$(SECTIONS)/claims.json $(SECTIONS)/actors.json $(SECTIONS)/pairs.json $(SECTIONS)/examples.json \
		$(SECTIONS)/lexicon.json $(SECTIONS)/paths.json
	$(RUN) seesaw-examples --config $(CONFIG) $(ARGS)

seesaw-examples: $(SEESAW_EXAMPLES) ## SEESAW train and valid candidate pairs labelled from the gold triplets: data/tables/seesaw_examples_{train,valid}.parquet, unmatched gold by reason
