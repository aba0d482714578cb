# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Actor-pair stance: analysis
#
# Who stands where: model runs compared, the champion's errors, and the stance
# networks of the seed article and of SEESAW valid.
#
# This file is paired with `analysis.ipynb` by jupytext (`py:percent`): edit
# either, `make notebook` syncs them and executes the notebook headless into
# `analysis.html`. Inputs come from the environment, so the same notebook
# reads any run:
#
# | variable | default | meaning |
# |---|---|---|
# | `STANCE_CONFIG` | `default` | config name in `configs/` or a YAML path |
# | `STANCE_OVERRIDES` | (none) | `key.path=value` overrides, space-separated |
# | `MLFLOW_TRACKING_URI` | the config's (`sqlite:///mlflow.db`) | tracking store |
#
# It expects `make train` (runs and the champion); `make predict` (the seed's
# stances) and `make eval-e2e` (end-to-end runs) add their sections.

# %%
import os
import shlex
import warnings

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
warnings.filterwarnings("ignore", message=".*(IProgress not found|Add type hints to the `predict` method).*")

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from IPython.display import display
from mlflow.tracking import MlflowClient
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

import pipeline.corpora  # noqa: F401  (registers the gold corpora the config validates)
import pipeline.models  # noqa: F401  (registers the model families the config validates)
from pipeline.stances import network
from pipeline.core.config import load_config
from pipeline.core.decision import DecisionRule
from pipeline.core.labels import LABELS
from pipeline.core.tables import read_table
from pipeline.tracking.store import open_store

config = load_config(os.environ.get("STANCE_CONFIG", "default"), shlex.split(os.environ.get("STANCE_OVERRIDES", "")))
open_store(config, create=False)  # the store must exist: the notebook creates none
client = MlflowClient()
pd.set_option("display.max_colwidth", 160)
pd.set_option("display.width", 200)
print(f"config {config.name}; tracking store {config.tracking_uri}; tables {config.tables_dir}")

# %% [markdown]
# ## 1. Runs compared
#
# Every run of the training experiment, newest first, through `mlflow.search_runs`.

# %%
runs = mlflow.search_runs(experiment_names=[config.mlflow.experiment], order_by=["attributes.start_time DESC"])
if runs.empty:
    raise RuntimeError(f"no runs in experiment {config.mlflow.experiment!r} of {config.tracking_uri}: run make train first")
metric_columns = [c for c in ("metrics.valid_e2e_entity_f1", "metrics.valid_e2e_author_f1",
                              "metrics.valid_macro_f1", "metrics.test_macro_f1", "metrics.test_micro_f1",
                              "metrics.test_directed_macro_f1", "metrics.test_macro_f1_ci_low",
                              "metrics.test_macro_f1_ci_high") if c in runs.columns]
compared = runs[["run_id", "tags.mlflow.runName", "tags.model_family", "start_time", *metric_columns]].rename(
    columns=lambda c: c.split(".", 1)[-1] if c.startswith(("metrics.", "tags.")) else c)
compared["start_time"] = compared["start_time"].dt.strftime("%Y-%m-%d %H:%M")
display(compared.round(4))
print(f"{len(runs)} runs in experiment {config.mlflow.experiment}")

# %%
latest = compared.drop_duplicates("model_family").set_index("model_family")
scores = latest[[c for c in ("valid_e2e_entity_f1", "valid_macro_f1", "test_macro_f1", "test_directed_macro_f1")
                 if c in latest.columns]]
ax = scores.plot.barh(figsize=(8, 1.2 + 0.7 * len(scores)), xlim=(0, 1), title="latest run per model family")
ax.set_xlabel("F1")
plt.show()

# %% [markdown]
# End-to-end runs (`make eval-e2e`): whole SEESAW valid articles to
# (sentence, subject, object, polarity) triplets, per system.

# %%
e2e_experiment = mlflow.get_experiment_by_name(config.e2e.experiment)
e2e_runs = (mlflow.search_runs([e2e_experiment.experiment_id], order_by=["attributes.start_time DESC"])
            if e2e_experiment else pd.DataFrame())
if e2e_runs.empty:
    print(f"no end-to-end runs yet (experiment {config.e2e.experiment}): run make eval-e2e")
else:
    split = config.e2e.split
    keys = [f"{group}_{scheme}_{m}" for group in ("entity", "author") for scheme in ("strict", "lenient")
            for m in ("precision", "recall", "f1")]
    e2e_table = e2e_runs.drop_duplicates("tags.system").set_index("tags.system")[
        [f"metrics.{split}_{k}" for k in keys if f"metrics.{split}_{k}" in e2e_runs.columns]]
    e2e_table.columns = [c.removeprefix(f"metrics.{split}_") for c in e2e_table.columns]
    display(e2e_table.round(3))
    print(f"end-to-end systems compared: {', '.join(e2e_table.index)}")

# %% [markdown]
# ## 2. The champion
#
# The registered model behind the alias, scored on DSE valid (directed labels)
# here and on test by the `evaluate` stage (its logged artifacts).

# %%
name, alias = config.mlflow.registered_model, config.mlflow.champion_alias
champion = client.get_model_version_by_alias(name, alias)
champion_run = client.get_run(champion.run_id)
metric = config.mlflow.champion_metric
print(f"{name}@{alias} = version {champion.version} ({champion.tags.get('model_family')}), run {champion.run_id}, "
      f"crowned by {metric} {champion_run.data.metrics.get(metric, float('nan')):.4f}; DSE valid macro-F1 "
      f"{champion_run.data.metrics.get('valid_macro_f1', float('nan')):.4f}; decision rule "
      f"{DecisionRule.from_json(champion.tags['decision_rule']).summary() if 'decision_rule' in champion.tags else 'none (most probable label)'}")
model = mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
valid = read_table(config.tables_dir / "examples_valid.parquet", "examples")
valid_pred = pd.concat([valid.reset_index(drop=True), model.predict(valid[["text"]]).add_prefix("pred_")], axis=1)
test_pred = pd.read_parquet(mlflow.artifacts.download_artifacts(
    run_id=champion.run_id, artifact_path="evaluation/test_predictions.parquet"))


# %%
def confusion_plot(ax, gold, predicted, title):
    """Confusion matrix of directed labels, rows gold, columns predicted."""
    matrix = confusion_matrix(gold, predicted, labels=list(LABELS))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=30, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    for (row, col), count in pd.DataFrame(matrix).stack().items():
        ax.text(col, row, str(count), ha="center", va="center", color="white" if count > matrix.max() / 2 else "black")


fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
confusion_plot(axes[0], valid_pred["label"], valid_pred["pred_label"], f"valid ({len(valid_pred)} directed examples)")
confusion_plot(axes[1], test_pred["label"], test_pred["predicted"], f"test ({len(test_pred)} directed examples)")
fig.tight_layout()
plt.show()

# %%
per_class = []
for split_name, gold, predicted in (("valid", valid_pred["label"], valid_pred["pred_label"]),
                                    ("test", test_pred["label"], test_pred["predicted"])):
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=list(LABELS),
                                                                     zero_division=0)
    per_class += [{"split": split_name, "label": label, "precision": p, "recall": r, "f1": f, "support": s}
                  for label, p, r, f, s in zip(LABELS, precision, recall, f1, support)]
per_class = pd.DataFrame(per_class)
display(per_class.pivot(index="label", columns="split", values="f1").round(3))
print("per-class F1 of the champion (directed labels)")

# %% [markdown]
# ## 3. The champion's worst errors on valid
#
# Wrong answers, most confident first: where the model is sure and mistaken.

# %%
errors = valid_pred[valid_pred["label"] != valid_pred["pred_label"]].sort_values("pred_confidence", ascending=False)
worst = errors.head(config.notebook.worst_errors)[["example_id", "label", "pred_label", "pred_confidence", "text"]]
display(worst.round(3))
print(f"{len(errors)} errors of {len(valid_pred)} valid examples ({len(errors) / len(valid_pred):.1%}); "
      f"the {len(worst)} most confident shown")

# %% [markdown]
# ## 4. The seed: stance table and network
#
# `make predict` on the seed article (or on `INPUT=`): one row per claim and
# directed pair; the article's stance of each actor on another, from all the
# claims that pair them (`stance_article_pairs`: the noisy-or of their stance
# probabilities against the model's article thresholds); and the actor network
# at the level of people and of affiliations (edges coloured by net stance, as
# wide as their number of non-neutral claims).

# %%
predict_dir = config.outputs_dir / config.predict.output_subdir
if not (predict_dir / "stances.parquet").exists():
    stances = stance_pairs = None
    print(f"no stances in {predict_dir}: run make predict")
else:
    stances = read_table(predict_dir / "stances.parquet", "stances")
    stance_pairs = read_table(predict_dir / "stance_pairs.parquet", "stance_pairs")
    shown = stances.assign(non_neutral=stances["label"] != "neutral").sort_values(
        ["non_neutral", "confidence"], ascending=[False, False])
    display(shown.head(config.notebook.stance_rows)[
        ["claim_index", "kind", "speaker", "source", "target", "source_affiliation", "target_affiliation",
         "label", "confidence", "claim"]].round(3))
    print(f"seed stance table: {len(stances)} rows, {int(shown['non_neutral'].sum())} non-neutral, "
          f"{stances['article_id'].nunique()} article(s)")
    if (predict_dir / "stance_article_pairs.parquet").exists():
        article_pairs = read_table(predict_dir / "stance_article_pairs.parquet", "stance_article_pairs")
        stanced = article_pairs[article_pairs["label"] != "neutral"]
        display(stanced.head(config.notebook.stance_rows)[
            ["article_id", "source", "target", "n_claims", "support", "hostility", "label"]].round(3))
        print(f"article level: {len(article_pairs)} article pairs, {len(stanced)} with a stance")

# %%
if stance_pairs is not None:
    for level in network.LEVELS:
        at_level = stance_pairs[stance_pairs["level"] == level]
        display(at_level[(at_level["n_supportive"] + at_level["n_hostile"]) > 0].head(15).round(3))
        network.draw_network(network.build_graph(stance_pairs, level), max_edges=config.notebook.network_max_edges,
                             title=f"seed: stance network, {level} level")
        plt.show()
        print(f"seed {level} network drawn")

# %% [markdown]
# ## 5. SEESAW valid: the gold stance network, and the champion's
#
# Gold triplets of the valid stories (author triplets under "(author)"), and,
# when `make eval-e2e` has run, the champion's predicted non-neutral triplets.

# %%
triplets = read_table(config.tables_dir / "seesaw_triplets.parquet", "seesaw_triplets")
gold = triplets[(triplets["split"] == config.e2e.split) & (triplets["object"] != "Not in the list")
                & (triplets["subject"].fillna("") != "Not in the list")]
gold_pairs = network.aggregate(network.triplets_as_stances(gold))
network.draw_network(network.build_graph(gold_pairs, network.ACTOR), max_edges=config.notebook.network_max_edges,
                     title=f"SEESAW {config.e2e.split}: gold stance network (heaviest edges)")
plt.show()
print(f"SEESAW {config.e2e.split} gold network: {len(gold)} triplets, "
      f"{int((gold_pairs['level'] == network.ACTOR).sum())} directed pairs")

# %%
predicted_path = config.outputs_dir / "e2e" / "champion_triplets.parquet"
if predicted_path.exists():
    predicted = read_table(predicted_path, "e2e_triplets")
    as_triplets = pd.DataFrame({"article_id": predicted["article_id"],
                                "subject": predicted["source"].where(~predicted["is_author"], None),
                                "object": predicted["target"], "sentiment": predicted["polarity"]})
    predicted_pairs = network.aggregate(network.triplets_as_stances(as_triplets))
    network.draw_network(network.build_graph(predicted_pairs, network.ACTOR),
                         max_edges=config.notebook.network_max_edges,
                         title=f"SEESAW {config.e2e.split}: the champion's stance network")
    plt.show()
    print(f"SEESAW {config.e2e.split} predicted network: {len(predicted)} triplets, "
          f"{int(predicted['matched_strict'].sum())} strictly correct")
else:
    print(f"no end-to-end predictions in {predicted_path.parent}: run make eval-e2e")
