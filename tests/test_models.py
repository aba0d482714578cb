import numpy as np
import pandas as pd
import pytest

from pipeline.core.config import ExamplesConfig, load_config
from pipeline.core.labels import SWAP_PAIR_CLASS
from pipeline.corpora.examples import directed_examples
from pipeline.models import build_model, load_model
from pipeline.models.base import canonicalize, swap_roles
from pipeline.models.tfidf import TfidfConfig
from pipeline.models.tfidf.model import TfidfModel

MARKERS = ExamplesConfig()


@pytest.fixture
def tiny_examples(tiny_rows):
    # Repeat the five telling rows so a linear model can learn them.
    rows = pd.concat([tiny_rows.assign(row_id=tiny_rows["row_id"] + f"-{k}") for k in range(6)], ignore_index=True)
    return directed_examples(rows, MARKERS)


def test_canonicalize_puts_the_source_first():
    texts = ["<tgt>A</tgt> praised <src>B</src>.", "<src>A</src> praised <tgt>B</tgt>."]
    canonical, swapped = canonicalize(texts, MARKERS)
    assert canonical == ["<src>A</src> praised <tgt>B</tgt>.", "<src>A</src> praised <tgt>B</tgt>."]
    assert swapped.tolist() == [True, False]


def test_swap_roles_exchanges_source_and_target_and_is_its_own_inverse():
    text = "<src>A</src> praised <tgt>B</tgt> and <tgt>B</tgt> thanked A."
    swapped = swap_roles(text, MARKERS)
    assert swapped == "<tgt>A</tgt> praised <src>B</src> and <src>B</src> thanked A."
    assert swap_roles(swapped, MARKERS) == text


def test_canonicalize_refuses_unmarked_text():
    with pytest.raises(ValueError, match="lacks a source or target marker"):
        canonicalize(["no markers here"], MARKERS)


def test_majority_predicts_the_training_prior(tiny_examples):
    neutral_rows = tiny_examples[tiny_examples["dse_label"] == 0]
    train = pd.concat([tiny_examples, neutral_rows, neutral_rows], ignore_index=True)  # class 0: 3 of 7 rows
    model = build_model("majority", load_config("default"))
    model.fit(train, tiny_examples, seed=0)
    proba = model.predict_pair_proba(["<src>X</src> and <tgt>Y</tgt>", "<tgt>X</tgt> and <src>Y</src>"])
    prior = np.array([3, 1, 1, 1, 1]) / 7
    np.testing.assert_allclose(proba[0], prior)
    np.testing.assert_allclose(proba[1], prior[list(SWAP_PAIR_CLASS)])  # the other reading: classes swapped


def test_tfidf_learns_the_tiny_task_and_is_consistent_across_directions(tiny_examples, tmp_path):
    model = TfidfModel(TfidfConfig(min_df=1, c_grid=[10.0], max_features=None), MARKERS)
    report = model.fit(tiny_examples, tiny_examples, seed=0)
    assert report.params["C"] == 10.0 and report.history[0]["search_valid_macro_f1"] == pytest.approx(1.0)

    praised = "<src>Alice</src> praised <tgt>Bob</tgt> for his courage."
    reversed_reading = "<tgt>Alice</tgt> praised <src>Bob</src> for his courage."
    proba = model.predict_pair_proba([praised, reversed_reading])
    assert proba[0].argmax() == 1  # source supports target
    np.testing.assert_allclose(proba[1], proba[0][SWAP_PAIR_CLASS])
    labels = model.predict_proba([praised, reversed_reading]).argmax(axis=1)
    assert labels.tolist() == [0, 2]  # supportive, neutral

    model.save(tmp_path / "m")
    reloaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(reloaded.predict_pair_proba([praised]), proba[:1])


def test_a_saved_tfidf_model_predicts_identically_and_holds_no_pickle(tiny_examples, tmp_path):
    model = TfidfModel(TfidfConfig(min_df=1, c_grid=[0.5, 10.0], max_features=None), MARKERS)
    model.fit(tiny_examples, tiny_examples, seed=0)
    texts = list(tiny_examples["text"]) + ["<src>Émile</src> a dit «non» à <tgt>Zoë</tgt>\u00a0!", "<tgt>x</tgt> <src>y</src>"]
    before = model.predict_proba(texts)
    model.save(tmp_path / "m")
    saved = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert "tfidf_arrays.npz" in saved and "tfidf_vocabulary.json" in saved
    assert not [name for name in saved if name.endswith((".joblib", ".pkl", ".pickle"))]
    with np.load(tmp_path / "m" / "tfidf_arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    np.testing.assert_array_equal(load_model(tmp_path / "m").predict_proba(texts), before)


def test_a_tfidf_model_saved_as_a_pickle_is_refused(tiny_examples, tmp_path):
    model = TfidfModel(TfidfConfig(min_df=1, c_grid=[10.0], max_features=None), MARKERS)
    model.fit(tiny_examples, tiny_examples, seed=0)
    model.save(tmp_path / "m")
    for name in ("tfidf_arrays.npz", "tfidf_vocabulary.json"):
        (tmp_path / "m" / name).unlink()
    (tmp_path / "m" / "tfidf.joblib").write_bytes(b"not to be unpickled")
    with pytest.raises(RuntimeError, match="is not loaded: train it again"):
        load_model(tmp_path / "m")


def test_saved_label_maps_are_checked(tiny_examples, tmp_path):
    model = build_model("majority", load_config("default"))
    model.fit(tiny_examples, tiny_examples, seed=0)
    model.save(tmp_path / "m")
    card = tmp_path / "m" / "stance_model.json"
    card.write_text(card.read_text().replace('"hostile": 1', '"hostile": 7'))
    with pytest.raises(ValueError, match="label maps"):
        load_model(tmp_path / "m")


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown model family"):
        build_model("bert", load_config("default"))
