"""examples: gold corpus rows become directed examples the classifiers read.

A DSE-style row with entities p and q yields two directed examples, (p -> q)
and (q -> p), whose labels come from the five-class label by the fixed mapping
in :mod:`pipeline.core.labels`. The text marks the source and the target. Every
corpus adapter that provides gold examples gives them per split; the splits of
all such corpora are concatenated into ``examples_<split>``.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.config import ExamplesConfig
from pipeline.core.labels import five_to_directed
from pipeline.core.markers import mark_pair, swap_roles

EXAMPLE_COLUMNS = ["example_id", "row_id", "split", "direction", "source", "target", "text", "label", "dse_label"]


def directed_examples(rows: pd.DataFrame, markers: ExamplesConfig) -> pd.DataFrame:
    """Two directed examples per DSE row, in row order, (p -> q) first."""
    records = []
    for row in rows.itertuples(index=False):
        p_span, q_span = (row.p_start, row.p_end), (row.q_start, row.q_end)
        label_pq, label_qp = five_to_directed(row.dse_label)
        for direction, source, target, spans, label in (
            ("pq", row.p, row.q, (p_span, q_span), label_pq),
            ("qp", row.q, row.p, (q_span, p_span), label_qp),
        ):
            records.append({
                "example_id": f"{row.row_id}-{direction}", "row_id": row.row_id, "split": row.split,
                "direction": direction, "source": source, "target": target,
                "text": mark_pair(row.text, *spans, markers), "label": label, "dse_label": int(row.dse_label),
            })
    return pd.DataFrame(records, columns=EXAMPLE_COLUMNS)


def limit_rows(rows: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """A seeded random subset of `limit` rows, in file order (DSE files are sorted by label,
    so the first rows alone would hold one class)."""
    if limit is None or limit >= len(rows):
        return rows
    return rows.sample(n=limit, random_state=seed).sort_index()


def merge_examples(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Examples per split from several corpora -> one table per split, corpora in order."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for part in parts:
        for split, examples in part.items():
            frames.setdefault(split, []).append(examples)
    return {split: pd.concat(split_frames, ignore_index=True) for split, split_frames in frames.items()}


def in_domain_examples(candidates: pd.DataFrame, markers: ExamplesConfig, neutral_per_positive: float | None,
                       seed: int, all_neutrals: bool = False) -> pd.DataFrame:
    """Labelled candidate pairs of whole articles (``seesaw_examples``) as directed examples like DSE's.

    Each candidate is turned into its canonical reading (the first-marked
    entity as p; a ``qp`` candidate has its roles swapped, and its
    five-class code already reads p first), the two directions of one pair
    collapse into one row, and each row yields the (p -> q) and (q -> p)
    examples of :func:`directed_examples`. Rows with a stance either way are
    all kept, with at most `neutral_per_positive` times as many neutral rows,
    drawn with `seed` (None keeps them all). With `all_neutrals` every
    neutral row is kept instead, each weighted so that together they weigh
    what that sample would: the same balance of stance and no stance, seen
    on every pair the sentences offer. Column ``weight`` holds each
    example's relative loss weight (1 but for such neutrals).
    """
    is_qp = (candidates["direction"] == "qp").to_numpy()
    texts = [swap_roles(text, markers) if swap else text for text, swap in zip(candidates["text"], is_qp)]
    rows = pd.DataFrame({
        "row_id": candidates["row_id"].to_numpy(), "split": candidates["split"].to_numpy(), "text": texts,
        "p": candidates["target"].where(is_qp, candidates["source"]).to_numpy(),
        "q": candidates["source"].where(is_qp, candidates["target"]).to_numpy(),
        "dse_label": candidates["dse_label"].astype(int).to_numpy(),
    }).drop_duplicates("text", ignore_index=True)
    stanced = rows["dse_label"] != 0
    neutral = rows[~stanced]
    neutral_weight = 1.0
    if neutral_per_positive is not None:
        keep = min(len(neutral), int(round(neutral_per_positive * int(stanced.sum()))))
        if all_neutrals:
            neutral_weight = keep / len(neutral) if len(neutral) else 1.0
        else:
            neutral = neutral.sample(n=keep, random_state=seed)
    rows = rows[stanced | rows.index.isin(neutral.index)]
    records = []
    for row in rows.itertuples(index=False):
        label_pq, label_qp = five_to_directed(row.dse_label)
        weight = 1.0 if row.dse_label != 0 else neutral_weight
        for direction, source, target, text, label in (("pq", row.p, row.q, row.text, label_pq),
                                                       ("qp", row.q, row.p, swap_roles(row.text, markers), label_qp)):
            records.append({"example_id": f"{row.row_id}-{direction}", "row_id": row.row_id, "split": row.split,
                            "direction": direction, "source": source, "target": target, "text": text,
                            "label": label, "dse_label": int(row.dse_label), "weight": weight})
    return pd.DataFrame(records, columns=[*EXAMPLE_COLUMNS, "weight"])
