"""Marked texts to token ids: the marker tokens and an entity-preserving truncation."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from pipeline.core.config import ExamplesConfig


def marker_tokens(markers: ExamplesConfig) -> list[str]:
    return [markers.source_open, markers.source_close, markers.target_open, markers.target_close]


def entity_window(ids: Sequence[int], marker_ids: Sequence[int], budget: int) -> list[int]:
    """Keep at most `budget` tokens of `ids`, never cutting a marked entity.

    `marker_ids` are the ids of (source open, source close, target open,
    target close). Every token between an opening and its closing marker is
    kept; the remaining budget goes to the tokens nearest either entity, so
    a long text keeps a window around each entity (and drops the middle when
    the entities lie far apart). Order is preserved. Only when the two
    entities alone exceed the budget are their interiors shortened, keeping
    all four markers.
    """
    ids = list(ids)
    if len(ids) <= budget:
        return ids
    positions = []
    for marker in marker_ids:
        try:
            positions.append(ids.index(marker))
        except ValueError as exc:
            raise ValueError(f"marker token {marker} missing from the encoded text") from exc
    spans = [(positions[0], positions[1]), (positions[2], positions[3])]
    index = np.arange(len(ids))
    distance = np.full(len(ids), np.inf)
    for start, end in spans:
        outside = np.where(index < start, start - index, np.where(index > end, index - end, 0))
        distance = np.minimum(distance, outside)
    inside = int((distance == 0).sum())
    if inside > budget:
        # Entities longer than the whole budget: keep markers and each entity's first tokens.
        distance = distance.astype(float)
        for start, end in spans:
            distance[start + 1:end] = (np.arange(start + 1, end) - start) / (len(ids) + 1.0)
        distance[positions] = -1.0
    keep = np.sort(np.argsort(distance, kind="stable")[:budget])
    return [ids[i] for i in keep]


class MarkedEncoder:
    """Tokenizer wrapper: marked text -> token ids with the markers' positions."""
    def __init__(self, tokenizer, markers: ExamplesConfig, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.marker_ids = tokenizer.convert_tokens_to_ids(marker_tokens(markers))
        if any(i is None or i == tokenizer.unk_token_id for i in self.marker_ids):
            raise ValueError("the tokenizer lacks the marker tokens; call add_marker_tokens first")
        # The model's own special tokens around one text ([CLS] ... [SEP] for BERT, <s> ... </s> for MPNet).
        probe = tokenizer("a", add_special_tokens=False)["input_ids"]
        full = tokenizer("a", add_special_tokens=True)["input_ids"]
        at = next(i for i in range(len(full)) if full[i:i + len(probe)] == probe)
        self.prefix, self.suffix = full[:at], full[at + len(probe):]
        self.budget = max_length - len(self.prefix) - len(self.suffix)

    def __call__(self, texts: Sequence[str]) -> dict[str, list]:
        encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        input_ids, source_at, target_at = [], [], []
        for ids in encoded:
            ids = self.prefix + entity_window(ids, self.marker_ids, self.budget) + self.suffix
            input_ids.append(ids)
            source_at.append(ids.index(self.marker_ids[0]))
            target_at.append(ids.index(self.marker_ids[2]))
        return {"input_ids": input_ids, "source_at": source_at, "target_at": target_at,
                "length": [len(ids) for ids in input_ids]}


def add_marker_tokens(tokenizer, encoder: nn.Module, markers: ExamplesConfig, seed: int) -> None:
    """Add the markers as special tokens; their embeddings start at the mean embedding plus a
    small seeded random offset, so that the four are distinguishable from the start."""
    added = tokenizer.add_tokens(marker_tokens(markers), special_tokens=True)
    if not added:
        return
    old = encoder.get_input_embeddings().weight.shape[0]
    encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    weight = encoder.get_input_embeddings().weight
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        mean, std = weight[:old].mean(dim=0), weight[:old].std(dim=0)
        new_ids = tokenizer.convert_tokens_to_ids(marker_tokens(markers))
        for token_id in new_ids:
            if token_id >= old:
                weight[token_id] = mean + 0.5 * std * torch.randn(weight.shape[1], generator=generator)


def unmark(text: str, markers: ExamplesConfig) -> tuple[str, tuple[int, int], tuple[int, int]]:
    """A marked text without its markers, and the character spans of its source and target in it.

    ``"<src>Biden</src> met <tgt>Xi</tgt>"`` -> ``("Biden met Xi", (0, 5), (10, 12))``. A
    prefix-named participant (``<src>Fox News</src>: ...``) keeps its name in the plain text,
    so every pair of a claim with the same prefix shares one plain text.
    """
    found = []
    for marker in marker_tokens(markers):
        at = text.find(marker)
        if at == -1 or text.find(marker, at + 1) != -1:
            raise ValueError(f"marker {marker!r} must occur exactly once: {text[:120]!r}")
        found.append((at, marker))
    plain, cursor, positions = [], 0, {}
    for at, marker in sorted(found):
        plain.append(text[cursor:at])
        positions[marker] = sum(len(part) for part in plain)
        cursor = at + len(marker)
    plain.append(text[cursor:])
    source = (positions[markers.source_open], positions[markers.source_close])
    target = (positions[markers.target_open], positions[markers.target_close])
    if source[0] >= source[1] or target[0] >= target[1]:
        raise ValueError(f"empty source or target span: {text[:120]!r}")
    return "".join(plain), source, target


def token_span(offsets: Sequence[tuple[int, int]], span: tuple[int, int]) -> tuple[int, int] | None:
    """The [first, last + 1) tokens that overlap the character `span`, given each token's
    character offsets (special tokens have (0, 0)); None when no kept token does (truncated)."""
    start, end = span
    hits = [i for i, (s, e) in enumerate(offsets) if e > s and e > start and s < end]
    return (hits[0], hits[-1] + 1) if hits else None


class PooledEncoder:
    """Tokenizer wrapper for one-pass reading: marked texts -> each distinct plain text encoded once,
    and for each marked text its plain text's index and the token spans of its source and target.

    A mention cut off by truncation falls back to the [CLS] position (counted in ``lost``)."""
    def __init__(self, tokenizer, markers: ExamplesConfig, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.markers = markers
        self.max_length = max_length

    def __call__(self, texts: Sequence[str]) -> dict[str, Any]:
        plain_index: dict[str, int] = {}
        pair_text, char_spans = [], []
        for text in texts:
            plain, source, target = unmark(text, self.markers)
            pair_text.append(plain_index.setdefault(plain, len(plain_index)))
            char_spans.append((source, target))
        plains = list(plain_index)
        encoded = self.tokenizer(plains, truncation=True, max_length=self.max_length,
                                 return_offsets_mapping=True) if plains else {"input_ids": [], "offset_mapping": []}
        spans, lost = [], 0
        for text_at, (source, target) in zip(pair_text, char_spans):
            offsets = encoded["offset_mapping"][text_at]
            row = []
            for span in (source, target):
                tokens = token_span(offsets, span)
                if tokens is None:
                    lost += 1
                    tokens = (0, 1)
                row.extend(tokens)
            spans.append(row)
        input_ids = list(encoded["input_ids"])
        return {"input_ids": input_ids, "length": [len(ids) for ids in input_ids],
                "pair_text": np.asarray(pair_text, dtype=np.int64),
                "pair_spans": np.asarray(spans, dtype=np.int64).reshape(-1, 4), "lost": lost}
