"""lexicon: the front half's word lists come from one YAML file, validated, with one-line errors."""

from __future__ import annotations

import pytest
import yaml

from pipeline.core.config import (
    CONFIG_DIR,
    DEFAULT_LEXICON,
    ConfigError,
    LexiconConfig,
    config_to_yaml,
    lexicon_digest,
    load_config,
    load_lexicon,
)
from pipeline.frontend.attribution import find_attribution


def default_words() -> dict:
    return yaml.safe_load((CONFIG_DIR / DEFAULT_LEXICON).read_text(encoding="utf-8"))


def test_every_word_list_is_defined_by_the_file_alone():
    assert all(field.is_required() for field in LexiconConfig.model_fields.values())
    assert set(default_words()) == set(LexiconConfig.model_fields)
    assert load_config("default").lexicon == load_lexicon()


def test_words_are_lower_cased_and_written_out_in_a_stable_order():
    lexicon = LexiconConfig.model_validate(default_words() | {"speech_verbs": ["Said", "quipped"]})
    assert lexicon.speech_verbs == frozenset({"said", "quipped"})
    assert lexicon.model_dump(mode="json")["speech_verbs"] == ["quipped", "said"]
    assert "lexicon:" in config_to_yaml(load_config("default"))


@pytest.mark.parametrize("change,message", [
    ({"speech_verbs": None}, "key 'speech_verbs'"),
    ({"colours": ["red"]}, "unknown key 'colours'"),
    ({"pronouns": {"he": "dual"}}, "key 'pronouns.he'"),
])
def test_a_bad_lexicon_is_one_line_naming_the_file_and_key(tmp_path, change, message):
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(default_words() | change), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_lexicon(str(path))
    assert str(error.value).startswith(f"{path}: invalid lexicon:") and "\n" not in str(error.value)


def test_a_missing_key_or_file_is_named(tmp_path):
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in default_words().items() if k != "role_nouns"}), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{path}: invalid lexicon: missing key 'role_nouns'"):
        load_lexicon(str(path))
    with pytest.raises(ConfigError, match="nope.yaml: cannot read the lexicon"):
        load_config("default", ["lexicon=nope.yaml"])


def test_a_config_names_its_lexicon_file_and_overrides_reach_the_words(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(default_words() | {"speech_verbs": ["quipped"]}), encoding="utf-8")
    config_file = tmp_path / "mine.yaml"
    config_file.write_text(f"base: default\nlexicon: {other}\n", encoding="utf-8")
    text = "Weld quipped that it was fine."
    mine = load_config(str(config_file)).lexicon
    assert mine.speech_verbs == {"quipped"} and find_attribution(text, [], mine).speaker == "Weld"
    assert find_attribution(text, [], load_lexicon()) is None
    overridden = load_config("default", ['lexicon.speech_verbs=["quipped"]']).lexicon
    assert find_attribution(text, [], overridden).cue == "quipped"
    with pytest.raises(ConfigError, match="key 'lexicon': invalid lexicon: key 'according_to'"):
        load_config("default", ["lexicon.according_to=3"])


def test_the_digest_tells_lexicons_apart():
    lexicon = load_lexicon()
    assert lexicon_digest(lexicon) == lexicon_digest(load_lexicon())
    assert lexicon_digest(lexicon) != lexicon_digest(lexicon.model_copy(update={"according_to": ("as per",)}))
