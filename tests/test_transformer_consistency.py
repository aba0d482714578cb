"""Transitive consistency: the paths through one text's pairs, balance, and the loss's gradients."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pipeline.models.transformer import TransformerConfig  # noqa: E402
from pipeline.models.transformer.consistency import (  # noqa: E402
    compose,
    directed_stance,
    transitive_loss,
    transitive_paths,
)
from pipeline.models.transformer.model import with_closing_pairs  # noqa: E402

A, B, C = (1, 2), (4, 5), (7, 9)  # token spans of three actors


def spans(*pairs):
    return np.array([[*source, *target] for source, target in pairs])


def test_a_chain_of_two_pairs_gets_its_closing_pair_and_a_path_each_way():
    closing_text, closing_spans, paths = transitive_paths(np.array([0, 0]), spans((A, B), (B, C)))
    assert closing_text.tolist() == [0] and closing_spans.tolist() == [[*A, *C]]
    # A -> B -> C reads both links and the closing pair forward; C -> B -> A reads them backward.
    assert sorted(paths.tolist()) == [[0, 1, 1, 1, 2, 1], [1, 0, 0, 0, 2, 0]]


def test_a_link_read_against_the_path_is_flagged_backward():
    # (C, B) is stored target-first for the path A -> B -> C.
    _, closing_spans, paths = transitive_paths(np.array([3, 3]), spans((A, B), (C, B)))
    assert closing_spans.tolist() == [[*A, *C]]
    assert [0, 1, 1, 0, 2, 1] in paths.tolist()


def test_a_triangle_already_scored_needs_no_closing_pair():
    closing_text, _, paths = transitive_paths(np.array([0, 0, 0]), spans((A, B), (B, C), (A, C)))
    assert len(closing_text) == 0
    assert len(paths) == 6  # every ordered path x -> y -> z over three actors
    assert {tuple(row[[0, 2, 4]]) for row in paths} <= {(i, j, k) for i in range(3) for j in range(3) for k in range(3)}


def test_pairs_of_different_texts_and_lone_pairs_make_no_path():
    closing_text, closing_spans, paths = transitive_paths(np.array([0, 1, 2]), spans((A, B), (B, C), (C, A)))
    assert len(closing_text) == 0 and closing_spans.shape == (0, 4) and paths.shape == (0, 6)
    assert transitive_paths(np.zeros(0, dtype=int), np.zeros((0, 4), dtype=int))[2].shape == (0, 6)


def test_balance_composes_friends_and_enemies():
    supports, opposes = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert compose(supports, supports).tolist() == [[1.0, 0.0]]
    assert compose(supports, opposes).tolist() == [[0.0, 1.0]]
    assert compose(opposes, supports).tolist() == [[0.0, 1.0]]
    assert compose(opposes, opposes).tolist() == [[1.0, 0.0]]
    neutral = torch.tensor([[0.0, 0.0]])
    assert compose(supports, neutral).tolist() == [[0.0, 0.0]]


def test_directed_stance_reads_the_pair_classes_from_either_end():
    proba = torch.tensor([[0.1, 0.2, 0.3, 0.15, 0.25]])  # neutral, s+t, t+s, s-t, t-s
    assert torch.allclose(directed_stance(proba, torch.tensor([True])), torch.tensor([[0.2, 0.15]]))
    assert torch.allclose(directed_stance(proba, torch.tensor([False])), torch.tensor([[0.3, 0.25]]))


def logits_for(*classes: int, strength: float = 6.0) -> torch.Tensor:
    logits = torch.zeros(len(classes), 5)
    for row, chosen in enumerate(classes):
        logits[row, chosen] = strength
    return logits.requires_grad_(True)


def test_the_loss_pulls_only_the_closing_pair_towards_the_balanced_stance():
    paths = torch.tensor([[0, 1, 1, 1, 2, 1]])
    # A supports B, B opposes C: A should oppose C.
    agreeing = logits_for(1, 3, 3)
    disagreeing = logits_for(1, 3, 1)
    assert transitive_loss(agreeing, paths) < transitive_loss(disagreeing, paths)
    transitive_loss(disagreeing, paths).backward()
    assert torch.count_nonzero(disagreeing.grad[:2]) == 0  # the links learn from their labels alone
    assert disagreeing.grad[2, 3] < 0 and disagreeing.grad[2, 1] > 0  # descent raises "opposes", lowers "supports"


def test_a_neutral_link_asks_almost_nothing_of_the_closing_pair():
    paths = torch.tensor([[0, 1, 1, 1, 2, 1]])
    assert transitive_loss(logits_for(0, 3, 1), paths) < 0.05 * transitive_loss(logits_for(1, 3, 1), paths)


def test_no_paths_no_loss_but_a_graph():
    logits = logits_for(1, 2)
    loss = transitive_loss(logits, torch.zeros((0, 6), dtype=torch.long))
    assert float(loss.detach()) == 0.0 and loss.requires_grad


def test_a_batch_gets_its_closing_pairs_after_its_own():
    batch = {"input_ids": torch.zeros((2, 12), dtype=torch.long), "attention_mask": torch.ones((2, 12)),
             "pair_text": torch.tensor([0, 0, 1]), "pair_spans": torch.tensor(spans((A, B), (B, C), (A, B)))}
    extended, paths = with_closing_pairs(batch)
    assert extended["pair_text"].tolist() == [0, 0, 1, 0]
    assert extended["pair_spans"][3].tolist() == [*A, *C] and extended["pair_spans"].shape == (4, 4)
    assert paths.shape == (2, 6) and int(paths[:, 4].max()) == 3


def test_consistency_needs_the_one_pass_reading():
    with pytest.raises(ValueError, match="one_pass"):
        TransformerConfig(consistency="transitive", one_pass=False)
    assert TransformerConfig(consistency="transitive").consistency_weight == 0.5
