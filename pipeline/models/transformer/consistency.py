"""Transitive consistency between the pairs of one text (``consistency: transitive``).

Stances among the actors of one sentence tend to balance: if x supports y and y opposes z, x
opposes z; if x opposes y and y opposes z, x supports z. On SEESAW train, where three listed
actors of one sentence form such a path and the annotators coded the closing pair, the closing
stance is the balanced one 114 times out of 125 (docs/benchmarks.md). Following Wen et al.
(ACL 2024), the network is asked to make its own predictions consistent: for every path
x -> y -> z among the pairs a training batch scores in one text, the pair (x, z) is scored too,
and its directed stance is pulled towards the composition of the two links' predicted stances.

The composed stance is a soft target with no gradient: the links learn from their gold labels
alone, so the model cannot satisfy the constraint by making every link neutral. Where either
link is neutral the composed target carries little stance mass and the term is small.

A pair is a (source span, target span) of token positions in its text; an actor is a span, so
two different mentions of one actor (a name and a pronoun) are two nodes, a deliberately
conservative reading.
"""

from __future__ import annotations

import numpy as np
import torch

#: Pair-class columns of (supports, opposes) read from the pair's source, and from its target.
_FROM_SOURCE = (1, 3)
_FROM_TARGET = (2, 4)


def transitive_paths(pair_text: np.ndarray, pair_spans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paths x -> y -> z through the pairs of each text, and the closing pairs to score.

    `pair_text` gives each pair's text, `pair_spans` its (source start, source end, target start,
    target end) token positions. Returns ``(closing_text, closing_spans, paths)``: the closing
    pairs (x, z) that are not already among the pairs, and one row per path, ``(first, first_forward,
    second, second_forward, closing, closing_forward)``, whose indices point into the pairs followed
    by the closing pairs and whose ``forward`` flags say whether the pair is read in the path's
    direction (its source is the path's earlier actor).
    """
    pair_text = np.asarray(pair_text, dtype=np.int64)
    pair_spans = np.asarray(pair_spans, dtype=np.int64).reshape(-1, 4)
    closing_text: list[int] = []
    closing_spans: list[tuple[int, ...]] = []
    paths: list[tuple[int, int, int, int, int, int]] = []
    for text in np.unique(pair_text):
        members = np.flatnonzero(pair_text == text)
        if len(members) < 2:
            continue
        # index of the pair that joins two actors, and whether it reads them in that order
        joins: dict[tuple[tuple[int, int], tuple[int, int]], tuple[int, bool]] = {}
        for pair in members:
            source, target = tuple(pair_spans[pair, :2]), tuple(pair_spans[pair, 2:])
            if source == target:
                continue
            joins.setdefault((source, target), (int(pair), True))
            joins.setdefault((target, source), (int(pair), False))
        neighbours: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for x, y in joins:
            neighbours.setdefault(x, []).append(y)
        for x, ys in sorted(neighbours.items()):
            for y in sorted(ys):
                for z in sorted(neighbours[y]):
                    if z == x:
                        continue
                    if (x, z) not in joins:
                        joins[(x, z)] = (len(pair_text) + len(closing_text), True)
                        joins[(z, x)] = (joins[(x, z)][0], False)
                        closing_text.append(int(text))
                        closing_spans.append((*x, *z))
                    first, second, closing = joins[(x, y)], joins[(y, z)], joins[(x, z)]
                    paths.append((first[0], int(first[1]), second[0], int(second[1]), closing[0], int(closing[1])))
    return (np.asarray(closing_text, dtype=np.int64), np.asarray(closing_spans, dtype=np.int64).reshape(-1, 4),
            np.asarray(paths, dtype=np.int64).reshape(-1, 6))


def directed_stance(proba: torch.Tensor, forward: torch.Tensor) -> torch.Tensor:
    """(supports, opposes) probabilities of each pair read in the given direction: from its source
    where `forward` is true, else from its target. `proba` holds the five pair-class probabilities."""
    from_source = proba[:, list(_FROM_SOURCE)]
    from_target = proba[:, list(_FROM_TARGET)]
    return torch.where(forward[:, None].bool(), from_source, from_target)


def compose(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """The (supports, opposes) stance of x towards z implied by x -> y (`first`) and y -> z
    (`second`) under balance: a friend's friend and an enemy's enemy are friends."""
    supports = first[:, 0] * second[:, 0] + first[:, 1] * second[:, 1]
    opposes = first[:, 0] * second[:, 1] + first[:, 1] * second[:, 0]
    return torch.stack([supports, opposes], dim=-1)


def transitive_loss(logits: torch.Tensor, paths: torch.Tensor) -> torch.Tensor:
    """Mean over `paths` (rows of :func:`transitive_paths`) of the cross-entropy of the closing pair's
    directed stance against the links' composed stance (a soft target without gradient); 0 without paths."""
    if paths.shape[0] == 0:
        return logits.sum() * 0.0
    proba = torch.softmax(logits.float(), dim=-1)
    with torch.no_grad():
        target = compose(directed_stance(proba[paths[:, 0]], paths[:, 1]),
                         directed_stance(proba[paths[:, 2]], paths[:, 3]))
    closing = directed_stance(proba[paths[:, 4]], paths[:, 5]).clamp(min=1e-6)
    return -(target * closing.log()).sum(dim=-1).mean()
