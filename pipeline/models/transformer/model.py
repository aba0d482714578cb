"""The transformer family's model: training, the prediction paths, saving and loading."""

from __future__ import annotations

import contextlib
import logging
import math
import resource
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from pipeline.core.config import ExamplesConfig
from pipeline.core.labels import PAIR_CLASS_NAMES, SWAP_PAIR_CLASS, directed_proba
from pipeline.core.metrics import five_class_scores
from pipeline.models.base import (
    TEACHER_COLUMNS,
    FitReport,
    StanceModel,
    canonical_examples,
    canonicalize,
    pair_targets,
    swap_roles,
)
from pipeline.models.encoders import resolve_model_path
from pipeline.models.transformer import TransformerConfig
from pipeline.models.transformer.consistency import transitive_loss, transitive_paths
from pipeline.models.transformer.device import (
    cpu_has_native_bf16,
    pick_device,
    resolve_inference,
    seed_everything,
    set_threads,
)
from pipeline.models.transformer.encoding import (
    MarkedEncoder,
    PooledEncoder,
    add_marker_tokens,
    marker_tokens,
)
from pipeline.models.transformer.network import (
    PairClassifier,
    PooledPairClassifier,
    _batches,
    _collate,
    _collate_texts,
    class_weights,
    pairs_by_text,
)
from pipeline.models.transformer.quantize import bf16_copy, quantize_int8

log = logging.getLogger(__name__)


def quiet_libraries() -> None:
    """Keep the libraries' per-call progress bars (datasets' "Map", transformers' "Loading weights")
    out of the terminal: the stages show their own progress."""
    import datasets
    from transformers.utils import logging as transformers_logging

    datasets.disable_progress_bars()
    transformers_logging.disable_progress_bar()

HEAD_FILE = "head.safetensors"


def teacher_targets(train: pd.DataFrame) -> np.ndarray | None:
    """The teacher's pair-class probabilities of the training rows, renormalised, and all zero for a
    row the teacher did not label (NaN: it learns from its gold label alone); None without them."""
    if not set(TEACHER_COLUMNS) <= set(train.columns):
        return None
    soft = np.array(train[list(TEACHER_COLUMNS)], dtype=np.float64)  # a copy: rows are zeroed below
    unlabelled = np.isnan(soft).all(axis=1)
    soft[unlabelled] = 0.0
    if not np.isfinite(soft).all() or (soft < 0).any():
        raise ValueError("teacher probabilities must be finite and non-negative (or NaN for a whole row)")
    return soft / np.clip(soft.sum(axis=1, keepdims=True), 1e-12, None)


def with_closing_pairs(batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """A one-pass batch with the closing pairs of its transitive paths appended after its own pairs,
    and the paths (:func:`~pipeline.models.transformer.consistency.transitive_paths`)."""
    closing_text, closing_spans, paths = transitive_paths(batch["pair_text"].cpu().numpy(),
                                                          batch["pair_spans"].cpu().numpy())
    device = batch["pair_text"].device
    extended = dict(batch)
    if len(closing_text):
        extended["pair_text"] = torch.cat([batch["pair_text"], torch.as_tensor(closing_text, device=device)])
        extended["pair_spans"] = torch.cat([batch["pair_spans"], torch.as_tensor(closing_spans, device=device)])
    return extended, torch.as_tensor(paths, device=device)


class TransformerModel(StanceModel):
    """Fine-tuned encoder over the marked canonical text."""

    family = "transformer"

    def __init__(self, settings: TransformerConfig, markers: ExamplesConfig, encoders_dir: Path | None = None) -> None:
        super().__init__(markers)
        quiet_libraries()
        self.settings = settings
        self.encoders_dir = encoders_dir
        self.tokenizer = None
        self.networks: list[nn.Module] = []
        self.device = torch.device("cpu")
        self.inference = settings.inference
        self._fast: dict[tuple[str, int], nn.Module] = {}
        # What prediction has read so far (bench-e2e-speed): encoder rows, their tokens and squared
        # lengths (attention's cost), and the pairs scored.
        self.read_counts = {"texts": 0, "tokens": 0, "tokens_squared": 0, "pairs": 0}

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
    def _encode(self, texts: Sequence[str]) -> dict[str, Any]:
        """Token ids of marked texts: one row per text, or with ``one_pass`` one row per distinct
        plain text and the pairs' token spans in it."""
        if self.settings.one_pass:
            limit = min(self.settings.one_pass_max_length, self.tokenizer.model_max_length)  # the encoder's own limit
            encoded = PooledEncoder(self.tokenizer, self.markers, limit)(texts)
            if encoded["lost"]:
                log.warning("transformer: %d of %d mentions lie beyond one_pass_max_length=%d tokens and read "
                            "[CLS] instead", encoded["lost"], 2 * len(texts), limit)
            return encoded
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

    def _new_network(self, path: str, seed: int) -> nn.Module:
        """A fresh network from the pretrained encoder at `path`: with embeddings for the marker
        tokens, or with ``one_pass`` a pooling head and no markers."""
        from transformers import AutoModel, AutoTokenizer

        encoder = AutoModel.from_pretrained(path)
        if not self.settings.one_pass:
            add_marker_tokens(AutoTokenizer.from_pretrained(path), encoder, self.markers, seed)
        encoder.config.id2label = dict(enumerate(PAIR_CLASS_NAMES))
        encoder.config.label2id = {name: i for i, name in enumerate(PAIR_CLASS_NAMES)}
        return self._wrap(encoder).to(self.device)

    def _wrap(self, encoder: nn.Module) -> nn.Module:
        """The classifier around `encoder` that the settings ask for."""
        if self.settings.one_pass:
            return PooledPairClassifier(encoder, self.settings.dropout)
        return PairClassifier(encoder, self.settings.head, self.settings.dropout)

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
        row_weights = (train["weight"].to_numpy(dtype=float) if "weight" in train.columns
                       else np.ones(len(train)))
        path = resolve_model_path(settings.model_path, self.encoders_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        if not settings.one_pass:
            self.tokenizer.add_tokens(marker_tokens(self.markers), special_tokens=True)
        started = time.perf_counter()
        data = self._encode(train["text"].tolist())
        targets = pair_targets(train)
        soft_targets = teacher_targets(train)
        if settings.teacher is not None and soft_targets is None:
            raise ValueError(f"train.transformer.teacher={settings.teacher!r} is set but the training rows carry "
                             f"no {TEACHER_COLUMNS[0]}.. columns (the train stage adds them)")
        valid_data = self._encode(self._readings(valid["text"].tolist()))
        valid_gold = valid["dse_label"].to_numpy()
        articles = self._encode_articles()

        # One-pass batches hold batch_size texts, each with all of its pairs.
        steps_per_epoch = math.ceil(len(data["length"]) / settings.batch_size)
        total = settings.max_steps or max(1, round(settings.epochs * steps_per_epoch))
        weights = class_weights(targets, settings.class_weighting)
        report = FitReport(params={
            "model_path": path, "train_examples": len(targets), "steps": total, "seeds": settings.seeds,
            "warmup_steps": int(settings.warmup_ratio * total), "device": self.device.type, "threads": threads,
            "mixed_precision": str(self.mixed_dtype()).replace("torch.", "") if self.mixed_dtype() else "fp32",
            "class_weights": str(np.round(weights, 3).tolist()), "train_texts": len(data["length"]),
        })
        networks, seen = [], 0
        for member in range(settings.seeds):
            seed_everything(seed + member)
            network = self._new_network(path, seed + member)
            seen += self._train_network(network, data, targets, soft_targets, weights, row_weights, valid_data,
                                        valid_gold, articles, total, steps_per_epoch, seed + member, member, report,
                                        started)
            networks.append(network.eval())
        self.networks, self._fast = networks, {}
        report.params["train_examples_per_second"] = round(seen / (time.perf_counter() - started), 2)
        report.params["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return report

    def _train_network(self, network: nn.Module, data: dict[str, Any], targets: np.ndarray,
                       soft_targets: np.ndarray | None, weights: np.ndarray, row_weights: np.ndarray,
                       valid_data: dict[str, Any],
                       valid_gold: np.ndarray, articles: "tuple[dict[str, Any], np.ndarray, np.ndarray] | None",
                       total: int, steps_per_epoch: int, seed: int, member: int,
                       report: FitReport, started: float) -> int:
        """Train one network for `total` steps, evaluating on valid `evals_per_epoch` times an epoch and
        restoring the best checkpoint (by ``select_checkpoint``); appends to `report`; returns the
        examples seen. The loss is class-weighted (`weights`) and row-weighted (`row_weights`: a
        corpus's weight); with `soft_targets` (a teacher's pair-class probabilities) it is blended
        with the cross-entropy against them by ``distill_weight``. `articles`
        (:meth:`_encode_articles`) adds the whole-article figures."""

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
        class_weight = torch.tensor(weights, dtype=torch.float32, device=self.device)
        loss_fn = nn.CrossEntropyLoss(weight=class_weight, reduction="none")
        scaler = torch.amp.GradScaler("cuda", enabled=self.device.type == "cuda"
                                      and self.mixed_dtype() == torch.float16)
        rng = np.random.default_rng(seed)
        lengths = np.asarray(data["length"])
        text_pairs = pairs_by_text(data["pair_text"], len(lengths)) if self.settings.one_pass else None
        prefix = f"seed {seed}: " if settings.seeds > 1 else ""
        report.params[f"eval_steps{'_' + str(member) if member else ''}"] = str(eval_steps)

        best_score, best_state, step, seen, path_count = -1.0, None, 0, 0, 0
        running, running_n = 0.0, 0
        network.train()
        while step < total:
            for index in _batches(lengths, settings.batch_size, rng, settings.group_by_length):
                if text_pairs is None:
                    batch = _collate(data, index, self.tokenizer.pad_token_id, self.device)
                else:
                    batch, index = _collate_texts(data, index, text_pairs, self.tokenizer.pad_token_id, self.device)
                paths = None
                if settings.consistency == "transitive":
                    batch, paths = with_closing_pairs(batch)
                    path_count += len(paths)
                with self._autocast():
                    logits = network(**batch)
                target = torch.as_tensor(targets[index], device=self.device)
                row_weight = torch.as_tensor(row_weights[index], dtype=torch.float32, device=self.device)
                labelled = logits[:len(index)].float()
                # The weighted mean of CrossEntropyLoss(weight=...), each row also scaled by its corpus weight.
                row_loss = loss_fn(labelled, target)
                if soft_targets is not None:
                    # A row the teacher labelled mixes its gold and soft cross-entropies (same class weight);
                    # a row it did not (all-zero soft targets) keeps its gold loss alone.
                    soft = torch.as_tensor(soft_targets[index], dtype=torch.float32, device=self.device)
                    mix = settings.distill_weight * soft.sum(dim=-1)
                    soft_loss = -(soft * torch.log_softmax(labelled, dim=-1)).sum(dim=-1) * class_weight[target]
                    row_loss = (1.0 - mix) * row_loss + mix * soft_loss
                loss = (row_loss * row_weight).sum() / (class_weight[target] * row_weight).sum()
                if paths is not None:
                    loss = loss + settings.consistency_weight * transitive_loss(logits, paths)
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
                    on_articles = self._score_articles(articles, network)
                    # Members log one after another on a shared step axis.
                    report.history.append({
                        "step": member * total + step, "epoch": step / steps_per_epoch, "member": member,
                        "epoch_train_loss": running / max(1, running_n),
                        "epoch_valid_macro_f1": scores["macro_f1"], "epoch_valid_micro_f1": scores["micro_f1"],
                        "epoch_learning_rate": schedule.get_last_lr()[0],
                        "epoch_examples_per_second": seen / (time.perf_counter() - started),
                        **{f"epoch_valid_e2e_{group}_f1": on_articles[f"{group}_rule_f1"]
                           for group in ("entity", "author") if f"{group}_rule_f1" in on_articles},
                    })
                    article_line = (f", SEESAW valid entity F1 {on_articles['entity_rule_f1']:.4f}"
                                    if "entity_rule_f1" in on_articles else "")
                    print(f"transformer {prefix}step {step}/{total} (epoch {step / steps_per_epoch:.2f}): train loss "
                          f"{running / max(1, running_n):.4f}, valid macro-F1 {scores['macro_f1']:.4f}, "
                          f"micro-F1 {scores['micro_f1']:.4f}{article_line}", flush=True)
                    running, running_n = 0.0, 0
                    score = on_articles["entity_rule_f1"] if settings.select_checkpoint == "articles" \
                        else scores["macro_f1"]
                    if score > best_score:
                        best_score = score
                        report.params[f"best_step{'_' + str(member) if member else ''}"] = step
                        best_state = {k: v.detach().to("cpu", copy=True) for k, v in network.state_dict().items()}
                    network.train()
                if step >= total:
                    break
        if settings.consistency == "transitive":
            report.params[f"consistency_paths{'_' + str(member) if member else ''}"] = path_count
        if best_state is not None:
            network.load_state_dict(best_state)
        return seen

    def _encode_articles(self) -> "tuple[dict[str, Any], np.ndarray, np.ndarray] | None":
        """The whole-article candidates (``article_candidates``) encoded once for scoring while
        training: (encoded distinct canonical texts, each candidate's row in them, the candidates
        read the other way round); None when there are none."""
        if self.article_candidates is None:
            if self.settings.select_checkpoint == "articles":
                raise ValueError("train.transformer.select_checkpoint=articles needs SEESAW valid candidates: "
                                 "list the transformer in decision.families")
            return None
        canonical, swapped = canonicalize(list(self.article_candidates.texts), self.markers)
        unique, inverse = np.unique(np.asarray(canonical, dtype=object), return_inverse=True)
        return self._encode(self._readings(unique.tolist())), inverse.reshape(-1), swapped

    def _score_articles(self, articles: "tuple[dict[str, Any], np.ndarray, np.ndarray] | None",
                        network: nn.Module) -> dict[str, float]:
        """The rule figures of `network` on the whole-article candidates ({} without them)."""
        if articles is None:
            return {}
        encoded, inverse, swapped = articles
        pair_proba = self._combine_readings(self._predict_encoded(encoded, self._training_path(), [network]))[inverse]
        pair_proba[swapped] = pair_proba[swapped][:, SWAP_PAIR_CLASS]
        return self.article_candidates.score(directed_proba(pair_proba))

    # -- inference -----------------------------------------------------------
    def _training_path(self) -> str:
        """The prediction path valid evaluation uses while training: the training precision."""
        if self.device.type == "cuda":
            return "gpu"
        return "bf16" if self.mixed_dtype() == torch.bfloat16 else "fp32"

    def _predict_encoded(self, encoded: dict[str, Any], path: str,
                         networks: "list[nn.Module] | None" = None) -> np.ndarray:
        """Softmax probabilities of encoded pairs through prediction path `path` (gpu, fp32,
        bf16 or int8), in length-sorted batches of texts, averaged over the ensemble's networks."""
        if networks is None:
            networks = [self.inference_network(path, k) for k in range(len(self.networks))]
        lengths = np.asarray(encoded["length"])
        text_pairs = pairs_by_text(encoded["pair_text"], len(lengths)) if "pair_text" in encoded else None
        n_pairs = len(lengths) if text_pairs is None else len(encoded["pair_text"])
        out = np.zeros((n_pairs, len(PAIR_CLASS_NAMES)), dtype=np.float64)
        device = self.device if path == "gpu" else torch.device("cpu")
        with torch.inference_mode():
            for network in networks:
                network.eval()
                # A bf16 copy (inference_network) runs as it is; a network still in fp32 (valid scoring
                # while training) runs under bf16 autocast.
                in_fp32 = next(network.parameters()).dtype == torch.float32
                context = {"gpu": self._autocast,
                           "bf16": (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if in_fp32
                           else contextlib.nullcontext}.get(path, contextlib.nullcontext)
                for index in _batches(lengths, self.settings.eval_batch_size, None):
                    if text_pairs is None:
                        batch = _collate(encoded, index, self.tokenizer.pad_token_id, device)
                    else:
                        batch, index = _collate_texts(encoded, index, text_pairs, self.tokenizer.pad_token_id, device)
                    with context():
                        logits = network(**batch)
                    out[index] += torch.softmax(logits.float(), dim=-1).cpu().numpy()
        self.read_counts["texts"] += len(lengths) * len(networks)
        self.read_counts["tokens"] += int(lengths.sum()) * len(networks)
        self.read_counts["tokens_squared"] += int((lengths.astype(np.int64) ** 2).sum()) * len(networks)
        self.read_counts["pairs"] += n_pairs
        return out / len(networks)

    def inference_network(self, path: str, member: int = 0) -> nn.Module:
        """The network a prediction path runs for ensemble member `member`: the trained one, for
        int8 its quantized CPU copy, for bf16 a copy with bf16 weights (about 10 % faster than
        autocast, which casts every weight at every batch)."""
        if not self.networks:
            raise RuntimeError("model is not fitted")
        if path == "int8" or (path == "bf16" and self.device.type == "cpu"):
            if (path, member) not in self._fast:
                copy_of = quantize_int8 if path == "int8" else bf16_copy
                self._fast[(path, member)] = copy_of(self.networks[member])
            return self._fast[(path, member)]
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

        # A model saved before one-pass reading existed reads marked texts.
        model = cls(TransformerConfig(**{"one_pass": False, **settings["transformer"]}), markers)
        set_threads(model.settings.threads)
        model.device = pick_device(model.settings.device)
        model.tokenizer = AutoTokenizer.from_pretrained(path)
        networks = []
        for member in range(int(settings.get("members", 1))):
            folder = path if member == 0 else path / f"member-{member}"
            hf_config = AutoConfig.from_pretrained(folder)
            if [hf_config.id2label[i] for i in range(len(PAIR_CLASS_NAMES))] != list(PAIR_CLASS_NAMES):
                raise ValueError(f"{folder}: encoder label maps {hf_config.id2label} differ from {PAIR_CLASS_NAMES}")
            network = model._wrap(AutoModel.from_pretrained(folder))
            network.head.load_state_dict(load_file(str(folder / HEAD_FILE)))
            networks.append(network.to(model.device).eval())
        model.networks = networks
        return model
