"""The pair classifier over encoder states, and the length-grouped batches it trains on."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pipeline.core.labels import PAIR_CLASS_NAMES


class PairClassifier(nn.Module):
    """Encoder + head over [CLS] (and the source and target marker states)."""
    def __init__(self, encoder: nn.Module, head: str, dropout: float, n_classes: int = len(PAIR_CLASS_NAMES)):
        super().__init__()
        self.encoder = encoder
        self.head_kind = head
        hidden = encoder.config.hidden_size
        width = hidden * (3 if head == "entity" else 1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, n_classes)

    def forward(self, input_ids, attention_mask, source_at, target_at):
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        features = states[:, 0]
        if self.head_kind == "entity":
            rows = torch.arange(states.shape[0], device=states.device)
            features = torch.cat([features, states[rows, source_at], states[rows, target_at]], dim=-1)
        return self.head(self.dropout(features))


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None,
             group: bool = True) -> list[np.ndarray]:
    """Index batches. Training (rng given): shuffled, grouped by length within chunks of
    50 batches, batch order shuffled. Inference (no rng): sorted by length."""
    if rng is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    order = rng.permutation(len(lengths))
    if group:
        chunk = batch_size * 50
        order = np.concatenate([
            part[np.argsort(lengths[part], kind="stable")] for part in
            (order[i:i + chunk] for i in range(0, len(order), chunk))
        ]) if len(order) else order
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _pad(rows: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id rows padded to the longest: (input_ids, attention_mask)."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for k, row in enumerate(rows):
        ids[k, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[k, :len(row)] = 1
    return ids.to(device), mask.to(device)


def _collate(encoded: dict[str, list], index: np.ndarray, pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    ids, mask = _pad([encoded["input_ids"][i] for i in index], pad_id, device)
    return {
        "input_ids": ids, "attention_mask": mask,
        "source_at": torch.tensor([encoded["source_at"][i] for i in index], dtype=torch.long, device=device),
        "target_at": torch.tensor([encoded["target_at"][i] for i in index], dtype=torch.long, device=device),
    }


def class_weights(targets: np.ndarray, scheme: str, n_classes: int = len(PAIR_CLASS_NAMES)) -> np.ndarray:
    """Loss weights per class: none, sqrt (1/sqrt of frequency) or balanced (1/frequency),
    scaled so that the weighted mean over the training rows is 1."""
    counts = np.bincount(targets, minlength=n_classes).astype(float)
    if scheme == "none":
        return np.ones(n_classes)
    safe = np.maximum(counts, 1.0)
    weights = 1.0 / np.sqrt(safe) if scheme == "sqrt" else 1.0 / safe
    return weights * counts.sum() / float((weights * counts).sum())


class PooledPairClassifier(nn.Module):
    """One-pass reading: the encoder reads each plain text once, and every pair of that text is
    scored from [CLS], the mean states of its source and target mentions, and their product.
    Order carries the direction: (source, target) and (target, source) are different features."""
    def __init__(self, encoder: nn.Module, dropout: float, n_classes: int = len(PAIR_CLASS_NAMES)):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(nn.Linear(4 * hidden, hidden), nn.GELU(), nn.Dropout(dropout),
                                  nn.Linear(hidden, n_classes))

    def forward(self, input_ids, attention_mask, pair_text, pair_spans):
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        # Mean over a token span as a difference of running sums: O(tokens) whatever the number of pairs.
        running = torch.nn.functional.pad(states.float().cumsum(dim=1), (0, 0, 1, 0))

        def pooled(start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
            total = running[pair_text, end] - running[pair_text, start]
            return (total / (end - start).clamp(min=1)[:, None].to(total.dtype)).to(states.dtype)

        source = pooled(pair_spans[:, 0], pair_spans[:, 1])
        target = pooled(pair_spans[:, 2], pair_spans[:, 3])
        features = torch.cat([states[pair_text, 0], source, target, source * target], dim=-1)
        return self.head(self.dropout(features))


def pairs_by_text(pair_text: np.ndarray, n_texts: int) -> list[np.ndarray]:
    """For each text, the indices of its pairs."""
    order = np.argsort(pair_text, kind="stable")
    bounds = np.searchsorted(pair_text[order], np.arange(n_texts + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(n_texts)]


def _collate_texts(encoded: dict, text_index: np.ndarray, text_pairs: list[np.ndarray], pad_id: int,
                   device: torch.device) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """A batch of texts with all their pairs; returns the network's inputs and the pairs' indices."""
    ids, mask = _pad([encoded["input_ids"][t] for t in text_index], pad_id, device)
    rows = [text_pairs[t] for t in text_index]
    pair_index = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    local = np.repeat(np.arange(len(text_index)), [len(r) for r in rows])
    return {"input_ids": ids, "attention_mask": mask,
            "pair_text": torch.as_tensor(local, dtype=torch.long, device=device),
            "pair_spans": torch.as_tensor(encoded["pair_spans"][pair_index], dtype=torch.long, device=device)}, pair_index
