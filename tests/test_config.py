import json

import pytest
import yaml

from pipeline.core.config import (
    CONFIG_DIR,
    DEFAULT_LEXICON,
    REPO_ROOT,
    Config,
    ConfigError,
    apply_overrides,
    flatten,
    load_config,
    load_lexicon,
    restated_keys,
    write_sections,
)


def test_default_config_loads_with_its_sections():
    config = load_config("default")
    assert config.name == "default"
    assert config.mlflow.experiment == "dse-stance"
    assert config.train.models == ["majority", "tfidf", "transformer", "hybrid"]
    assert load_config("smoke").train.models == ["majority", "tfidf"]


def test_default_yaml_is_the_typed_defaults_plus_the_corpora():
    written = yaml.safe_load((CONFIG_DIR / "default.yaml").read_text(encoding="utf-8"))
    assert set(written) == {"corpora"}
    expected = {"corpora": written["corpora"], "lexicon": load_lexicon(DEFAULT_LEXICON).model_dump(mode="json")}
    assert load_config("default") == Config.model_validate(expected)  # the lexicon has its own file


def test_the_typed_defaults_are_the_default_recipe():
    transformer = load_config("default").train.transformer
    assert (transformer.epochs, transformer.evals_per_epoch, transformer.readings) == (2.5, 3, "canonical")
    assert transformer.in_domain_weight > 0  # the default learns from SEESAW train too
    best = load_config("best").train.transformer
    assert (best.epochs, best.readings, best.seeds) == (3.0, "both", 2)


def _config_files() -> list[str]:
    """default.yaml and every config that extends another (not the word lists beside them)."""
    return sorted(path.stem for path in CONFIG_DIR.glob("*.yaml")
                  if path.stem == "default" or "base" in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}))


@pytest.mark.parametrize("name", _config_files())
def test_no_config_file_restates_a_default(name):
    """A value is written in a config file only where it differs from what the file extends."""
    assert restated_keys(name) == []


def test_the_shipped_configs_are_checked():
    assert {"default", "best", "large", "large-articles", "distilled", "smoke"} <= set(_config_files())


def test_restated_keys_are_found(tmp_path):
    path = tmp_path / "restating.yaml"
    path.write_text("base: smoke\ntrain:\n  seed: 13\n  tfidf:\n    c_grid: [4.0, 16.0]\n    min_df: 3\n"
                    "evaluate:\n  bootstrap_samples: 200\n  confidence: 0.95\n")
    assert restated_keys(str(path)) == ["train.seed", "train.tfidf.c_grid", "evaluate"]


def test_smoke_config_inherits_from_default():
    smoke = load_config("smoke")
    assert smoke.examples.limit_per_split == 2000
    assert smoke.mlflow.registered_model == "actor-pair-stance"  # from default


def test_unknown_key_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: default\ntrain:\n  sed: 3\n")
    with pytest.raises(ConfigError, match=r"unknown key 'train\.sed'"):
        load_config(str(bad))


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"key 'train\.seed'"):
        load_config("default", ["train.seed=seven"])


def test_overrides_and_aliases():
    config = load_config("default", ["model=tfidf", "train.seed=7", "train.tfidf.c_grid=[2, 3]"])
    assert config.train.models == ["tfidf"]
    assert config.train.seed == 7
    assert config.train.tfidf.c_grid == [2.0, 3.0]


def test_override_must_have_an_equals_sign():
    with pytest.raises(ConfigError, match="key.path=value"):
        apply_overrides({}, ["train.seed"])


def test_tracking_uri_env_wins(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////tmp/elsewhere.db")
    assert load_config("default").tracking_uri == "sqlite:////tmp/elsewhere.db"


def test_relative_sqlite_uri_is_anchored_at_the_repository(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = load_config("default").tracking_uri
    assert uri.startswith("sqlite:////") and uri.endswith("/mlflow.db")


def test_section_snapshots_change_only_when_values_change(tmp_path):
    assert "train" in write_sections(load_config("default"), tmp_path)
    assert write_sections(load_config("default"), tmp_path) == []
    assert write_sections(load_config("default", ["evaluate.bootstrap_samples=10"]), tmp_path) == ["evaluate"]
    assert json.loads((tmp_path / "evaluate.json").read_text())["bootstrap_samples"] == 10


def test_flatten_for_mlflow_params():
    assert flatten({"a": {"b": 1, "c": [1, 2]}}) == {"a.b": 1, "a.c": "[1, 2]"}


@pytest.mark.parametrize("override, message", [
    ("evaluate.confidence=1", r"key 'evaluate\.confidence': Input should be less than 1"),
    ("evaluate.confidence=0", r"key 'evaluate\.confidence': Input should be greater than 0"),
    ("evaluate.bootstrap_samples=0", r"key 'evaluate\.bootstrap_samples'"),
    ("train.seed=-1", r"key 'train\.seed'"),
    ("model=[]", r"key 'train\.models': must not be empty"),
    ("model=[tfidf,tfidf]", r"key 'train\.models': lists \['tfidf'\] more than once"),
    ("model=[tfidf,svm]", r"key 'train\.models': names unknown families \['svm'\]"),
    ("train.svm.c=1", r"unknown key 'train\.svm': no model family of that name"),
    ("train.tfidf.c_grid=[]", r"key 'train\.tfidf\.c_grid': must be a non-empty list"),
    ("train.tfidf.min_df=0", r"key 'train\.tfidf\.min_df'"),
    ("train.tfidf.char_ngram_max=1", r"key 'train\.tfidf\.char_ngram_max': must be at least char_ngram_min"),
    ("train.transformer.learning_rate=0", r"key 'train\.transformer\.learning_rate': Input should be greater than 0"),
    ("train.transformer.head_learning_rate=-1", r"key 'train\.transformer\.head_learning_rate'"),
    ("train.transformer.batch_size=0", r"key 'train\.transformer\.batch_size'"),
    ("train.transformer.eval_batch_size=0", r"key 'train\.transformer\.eval_batch_size'"),
    ("train.transformer.epochs=0", r"key 'train\.transformer\.epochs'"),
    ("train.transformer.evals_per_epoch=0", r"key 'train\.transformer\.evals_per_epoch'"),
    ("train.transformer.warmup_ratio=1", r"key 'train\.transformer\.warmup_ratio'"),
    ("train.transformer.dropout=1", r"key 'train\.transformer\.dropout'"),
    ("train.transformer.seeds=0", r"key 'train\.transformer\.seeds'"),
    ("train.hybrid.members=[tfidf]", r"key 'train\.hybrid\.members': must name two different registered"),
    ("train.hybrid.members=[tfidf,tfidf]", r"key 'train\.hybrid\.members'"),
    ("train.hybrid.weight_grid=[]", r"key 'train\.hybrid\.weight_grid': must not be empty"),
    ("train.hybrid.weight_grid=[0.5,2]", r"key 'train\.hybrid\.weight_grid': weights must lie in \[0, 1\]"),
    ("train.hybrid.temperature_grid=[0]", r"key 'train\.hybrid\.temperature_grid': temperatures must be positive"),
    ("examples.limit_per_split=0", r"key 'examples\.limit_per_split'"),
    ("examples.target_open=<src>", r"key 'examples': the four markers must differ"),
    ("examples.source_close=' '", r"key 'examples\.source_close': a marker must not be blank"),
    ("predict.batch_size=0", r"key 'predict\.batch_size'"),
    ("predict.network_labels=[]", r"key 'predict\.network_labels': must not be empty"),
    ("e2e.batch_size=0", r"key 'e2e\.batch_size'"),
    ("e2e.baselines=[]", r"key 'e2e\.baselines': must not be empty"),
    ("e2e.limit_articles=0", r"key 'e2e\.limit_articles'"),
    ("articles.max_chars=0", r"key 'articles\.max_chars'"),
    ("articles.boilerplate_patterns=['(']", r"key 'articles\.boilerplate_patterns': '\(' is not a regular expression"),
    ("corpora.download_timeout_s=0", r"key 'corpora\.download_timeout_s'"),
])
def test_inconsistent_values_fail_when_the_config_loads_in_one_line_naming_the_key(override, message):
    with pytest.raises(ConfigError, match=message) as error:
        load_config("smoke", [override])
    assert "\n" not in str(error.value)


def test_a_long_offending_value_is_not_repeated_in_the_message():
    with pytest.raises(ConfigError) as error:
        load_config("default", ["model=[tfidf,svm]"])
    assert "c_grid" not in str(error.value)  # the whole train section is not echoed back


def test_the_large_config_trains_mpnet_on_dse_alone_under_a_registered_model_of_its_own():
    large, default = load_config("large"), load_config("default")
    assert large.train.transformer.model_path == "all-mpnet-base-v2"
    assert large.train.transformer.in_domain_weight == 0
    # The recipe chosen on DSE valid: marked pairs read both ways round (docs/benchmarks.md, "The DSE record").
    assert not large.train.transformer.one_pass and large.train.transformer.readings == "both"
    assert large.mlflow.registered_model != default.mlflow.registered_model  # never races predict's champion
    assert large.mlflow.champion_metric == "valid_macro_f1"
    # The distilled config's teacher is the large config's hybrid, where make train CONFIG=large saves it.
    teacher = load_config("distilled").train.transformer.teacher
    assert REPO_ROOT / teacher == large.outputs_dir / "models" / "hybrid" / "model"


def test_the_large_articles_config_races_the_default_on_whole_articles():
    """The larger encoder on the default's whole-article recipe: same registered model, same champion
    metric, so the better of the two is the champion that make predict serves."""
    large, default = load_config("large-articles"), load_config("default")
    assert large.train.transformer.model_path == "all-mpnet-base-v2"
    assert large.train.transformer.in_domain_weight == default.train.transformer.in_domain_weight > 0
    assert large.mlflow.registered_model == default.mlflow.registered_model
    assert large.mlflow.champion_metric == default.mlflow.champion_metric
    assert large.decision == default.decision
