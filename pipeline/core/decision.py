"""The decision rule: from a pair's label probabilities to a triplet or none.

A model gives each candidate pair three probabilities (supportive, hostile,
neutral). On whole articles almost every candidate is neutral, so taking the
most probable label is not what maximises end-to-end F1. The rule says a
pair carries a stance when its larger stance probability reaches a threshold,
one for the author's pairs and one for every other pair, and then takes the
larger of the two. :func:`tune_rule` chooses the thresholds on labelled
candidates (SEESAW valid) to maximise the F1 of the triplets they give; the
rule travels with the registered model (a version tag) so that ``make
predict`` and ``eval-e2e`` apply the same one.

An article's stance of one actor on another is a second decision, from all the
claims of the article that pair the two: their stance probabilities are
combined by noisy-or (the chance that at least one claim carries the stance,
:func:`article_evidence`), so a pair that several claims hint at outweighs one
that a single claim hints at equally, and the combined strength is held to an
article threshold per group (:func:`article_labels`), tuned by
:func:`tune_article_rule` on the article-level triplets of SEESAW valid.
Without article thresholds (a rule from before them), an article's stance is
that of the majority of its stanced claims.

The same article evidence also steers the claims themselves
(:func:`claim_labels`), in two ways that the rule may carry:

- a *gate*: a claim keeps its stance only where the article's combined
  strength of its pair reaches a gate threshold (per group), so a pair that
  the article hints at once, weakly, and never again gives no triplet;
- *polarity pooling*: a stanced claim's polarity is read from its own
  log-odds of supportive over hostile blended with the mean log-odds of the
  same pair over all the article's claims (weight ``polarity_pooling``), so
  that one claim cannot flip a pair the rest of the article reads the
  other way.

:func:`tune_claim_gate` chooses the gate together with the claim threshold on
SEESAW valid's candidates.

A group's claims may also be ranked by a *claim scorer* instead of their
larger stance probability (:class:`ClaimScorer`): a logistic model over the
claim's probabilities, its pair's article evidence and how prominent its two
actors are in the article (:func:`claim_features`: how many of the article's
claims each takes part in, their share and rank, each actor's own noisy-or of
stance). SEESAW's annotators code stances only among an article's salient
actors; one sentence cannot tell the classifier which those are, the article
can. :func:`fit_claim_scorer` fits it on SEESAW valid's candidates and
chooses its threshold on out-of-fold scores (articles held out together).

The gate, pooling and the scorer need a whole article's claims before any of
them is decided: ``make predict`` holds one article's rows at a time
(:func:`pipeline.stances.predict.decide_by_article`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from pipeline.core.labels import HOSTILE, LABELS, NEUTRAL, SUPPORTIVE

_SUPPORTIVE, _HOSTILE = LABELS.index(SUPPORTIVE), LABELS.index(HOSTILE)
GROUPS = ("entity", "author")


@dataclass(frozen=True)
class DecisionRule:
    """Thresholds on the larger stance probability; None in a group: the most probable label.

    A group with a ``*_scorer`` (:class:`ClaimScorer`) holds its claim threshold to the scorer's
    probability instead of the larger stance probability.

    The ``article_*`` thresholds hold an article's combined strength of a pair's stance (see the module);
    None: the majority of the pair's stanced claims. The ``gate_*`` thresholds hold the same strength for
    each claim of the pair, and ``polarity_pooling`` blends the pair's article mean into a claim's
    polarity (:func:`claim_labels`); None: each claim on its own."""

    entity_threshold: float | None = None
    author_threshold: float | None = None
    article_entity_threshold: float | None = None
    article_author_threshold: float | None = None
    gate_entity_threshold: float | None = None
    gate_author_threshold: float | None = None
    polarity_pooling: float | None = None
    entity_scorer: "ClaimScorer | None" = None
    author_scorer: "ClaimScorer | None" = None

    def threshold(self, group: str) -> float | None:
        """The threshold of ``entity`` or ``author`` pairs."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.entity_threshold if group == "entity" else self.author_threshold

    def article_threshold(self, group: str) -> float | None:
        """The article threshold of ``entity`` or ``author`` pairs."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.article_entity_threshold if group == "entity" else self.article_author_threshold

    def gate_threshold(self, group: str) -> float | None:
        """The gate threshold of ``entity`` or ``author`` claims."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.gate_entity_threshold if group == "entity" else self.gate_author_threshold

    def scorer(self, group: str) -> "ClaimScorer | None":
        """The claim scorer of ``entity`` or ``author`` pairs (None: the larger stance probability)."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.entity_scorer if group == "entity" else self.author_scorer

    def decides_by_article(self) -> bool:
        """Whether a claim's label depends on the other claims of its article (a gate, pooling, a scorer)."""
        return (self.gate_entity_threshold is not None or self.gate_author_threshold is not None
                or bool(self.polarity_pooling) or self.entity_scorer is not None or self.author_scorer is not None)

    def has_article_rule(self) -> bool:
        """Whether an article's stances come from combined strengths (else from its claims' majority)."""
        return self.article_entity_threshold is not None or self.article_author_threshold is not None

    def to_json(self) -> str:
        """The rule as one line of JSON (a version tag, a run parameter)."""
        return json.dumps(asdict(self), sort_keys=True)

    def summary(self) -> str:
        """:meth:`to_json` with each claim scorer named by its size, not written out (a line for people)."""
        fields = asdict(self)
        for name in ("entity_scorer", "author_scorer"):
            if fields[name] is not None:
                fields[name] = f"logistic over {len(fields[name]['features'])} features"
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "DecisionRule":
        """The rule written by :meth:`to_json`; None or an empty text is the argmax rule."""
        if not text:
            return cls()
        try:
            fields = json.loads(text)
            for name in ("entity_scorer", "author_scorer"):
                if fields.get(name) is not None:
                    fields[name] = ClaimScorer.from_mapping(fields[name])
            return cls(**fields)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise ValueError(f"not a decision rule: {text[:200]!r} ({exc})") from None


def apply_rule(proba: np.ndarray, is_author: np.ndarray, rule: DecisionRule) -> np.ndarray:
    """Labels (LABELS names) of pairs with directed probabilities `proba` (n, 3, in LABELS order).

    A group without a threshold takes the most probable label.
    """
    proba = np.asarray(proba, dtype=float)
    is_author = np.asarray(is_author, dtype=bool)
    stance = np.where(proba[:, _SUPPORTIVE] >= proba[:, _HOSTILE], SUPPORTIVE, HOSTILE).astype(object)
    argmax = np.asarray(LABELS, dtype=object)[proba.argmax(axis=1)] if len(proba) else np.array([], dtype=object)
    labels = argmax.copy()
    strength = np.maximum(proba[:, _SUPPORTIVE], proba[:, _HOSTILE]) if len(proba) else np.zeros(0)
    for group, members in (("entity", ~is_author), ("author", is_author)):
        threshold = rule.threshold(group)
        if threshold is not None:
            labels[members] = np.where(strength[members] >= threshold, stance[members], NEUTRAL)
    return labels


#: The columns a claim's rows need for :func:`claim_labels`: the pair in its article, and the probabilities.
PAIR_KEYS = ["article_id", "source", "target", "is_author"]
_TINY = 1e-9  # keeps log-odds finite where a probability is zero
_CERTAIN = 1.0 - 1e-6  # a probability of one would make the noisy-or's log infinite


def log_not(p: np.ndarray | pd.Series) -> np.ndarray:
    """log(1 - p), p clipped below certainty: summed over claims, the log of none carrying the stance."""
    return np.log1p(-np.clip(np.asarray(p, dtype=float), 0.0, _CERTAIN))


def noisy_or(summed_log_not: np.ndarray | pd.Series) -> np.ndarray:
    """The chance that at least one claim carries the stance, from the sum of their :func:`log_not`."""
    return -np.expm1(np.asarray(summed_log_not, dtype=float))


def log_odds(p_supportive: np.ndarray, p_hostile: np.ndarray) -> np.ndarray:
    """log(p_supportive / p_hostile): above zero reads supportive, below hostile."""
    return (np.log(np.asarray(p_supportive, dtype=float) + _TINY)
            - np.log(np.asarray(p_hostile, dtype=float) + _TINY))


def pair_context(rows: pd.DataFrame) -> pd.DataFrame:
    """Per row of `rows` (one claim's pair: :data:`PAIR_KEYS`, ``p_supportive``, ``p_hostile``), what its
    article says of the same pair: ``article_strength``, the larger noisy-or strength over all its claims
    (:func:`article_evidence`), and ``mean_log_odds``, the mean of their :func:`log_odds`."""
    if rows.empty:
        return pd.DataFrame({"article_strength": pd.Series(dtype=float), "mean_log_odds": pd.Series(dtype=float)},
                            index=rows.index)
    keyed = rows[PAIR_KEYS].assign(
        _lnot_s=log_not(rows["p_supportive"]), _lnot_h=log_not(rows["p_hostile"]),
        _lo=log_odds(rows["p_supportive"], rows["p_hostile"]))
    grouped = keyed.groupby(PAIR_KEYS, sort=False, dropna=False)
    support, hostility = noisy_or(grouped["_lnot_s"].transform("sum")), noisy_or(grouped["_lnot_h"].transform("sum"))
    return pd.DataFrame({"article_strength": np.maximum(support, hostility),
                         "mean_log_odds": grouped["_lo"].transform("mean").to_numpy()}, index=rows.index)


def pooled_stance(own_log_odds: np.ndarray, mean_log_odds: np.ndarray, weight: float | None) -> np.ndarray:
    """Supportive or hostile from a claim's log-odds blended with its pair's article mean (`weight` of the
    mean; None or 0: the claim alone). A tie reads supportive, as :func:`apply_rule` does."""
    weight = float(weight or 0.0)
    blended = (1.0 - weight) * np.asarray(own_log_odds, dtype=float) + weight * np.asarray(mean_log_odds, dtype=float)
    return np.where(blended >= 0, SUPPORTIVE, HOSTILE).astype(object)


def claim_labels(rows: pd.DataFrame, rule: DecisionRule) -> np.ndarray:
    """The label (LABELS names) of every claim's pair in `rows`, which hold whole articles
    (:data:`PAIR_KEYS`, ``p_supportive``, ``p_hostile``, ``p_neutral``): :func:`apply_rule` (a group with a
    claim scorer: its score against the group's threshold), then the rule's gate and polarity pooling
    (see the module). A rule with none of these gives :func:`apply_rule` alone."""
    proba = rows[["p_supportive", "p_hostile", "p_neutral"]].to_numpy(dtype=float)
    is_author = rows["is_author"].to_numpy(dtype=bool)
    labels = apply_rule(proba, is_author, rule)
    if not rule.decides_by_article() or rows.empty:
        return labels
    context = pair_context(rows)
    if rule.entity_scorer is not None or rule.author_scorer is not None:
        features = claim_features(rows, context)
        stance = np.where(proba[:, _SUPPORTIVE] >= proba[:, _HOSTILE], SUPPORTIVE, HOSTILE).astype(object)
        for group, members in (("entity", ~is_author), ("author", is_author)):
            scorer, threshold = rule.scorer(group), rule.threshold(group)
            if scorer is not None and threshold is not None and members.any():
                scores = scorer.score(features[members])
                labels[members] = np.where(scores >= threshold, stance[members], NEUTRAL)
    stanced = labels != NEUTRAL
    if rule.polarity_pooling:
        stance = pooled_stance(log_odds(proba[:, _SUPPORTIVE], proba[:, _HOSTILE]),
                               context["mean_log_odds"].to_numpy(), rule.polarity_pooling)
        labels = np.where(stanced, stance, labels).astype(object)
    strength = context["article_strength"].to_numpy()
    for group, members in (("entity", ~is_author), ("author", is_author)):
        gate = rule.gate_threshold(group)
        if gate is not None:
            labels[members & stanced & (strength < gate)] = NEUTRAL
    return labels


def tune_claim_gate(rows: pd.DataFrame, gold: np.ndarray, n_gold: dict[str, int], pooling: float | None,
                    gated: tuple[str, ...] = GROUPS, thresholds: np.ndarray | None = None,
                    gates: np.ndarray | None = None,
                    tolerance: float = 0.0) -> tuple[dict[str, tuple[float | None, float | None]], dict[str, float]]:
    """The claim threshold and gate threshold, per group, that maximise the claims' triplet F1 together.

    `rows` are labelled candidates of whole articles (as for :func:`claim_labels`), `gold` their
    own-direction gold labels, `n_gold` the gold triplets per group, `pooling` the polarity pooling
    weight the rule will carry. In the groups of `gated`, every gate of `gates` (and none) is tried with
    every claim threshold of `thresholds`, and a gate is kept only where it raises F1 above the best
    without one; the other groups get the best claim threshold alone. Under each gate the claim threshold
    is chosen as :func:`tune_rule` chooses it (the highest within `tolerance` of the best F1). Returns
    ``{group: (claim threshold, gate)}`` and, per group, the chosen pair's
    ``{group}_rule_{precision,recall,f1,predicted,threshold}``, ``{group}_rule_gate`` (where one is
    kept) and ``{group}_rule_ungated_f1``."""
    thresholds = np.round(np.arange(0.05, 0.96, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    gates = np.round(np.arange(0.30, 0.99, 0.02), 2) if gates is None else np.asarray(gates)
    p_supportive, p_hostile = rows["p_supportive"].to_numpy(dtype=float), rows["p_hostile"].to_numpy(dtype=float)
    context = pair_context(rows)
    stance = pooled_stance(log_odds(p_supportive, p_hostile), context["mean_log_odds"].to_numpy(), pooling)
    correct = stance == np.asarray(gold, dtype=object)
    strength, article = np.maximum(p_supportive, p_hostile), context["article_strength"].to_numpy()
    is_author = rows["is_author"].to_numpy(dtype=bool)
    chosen: dict[str, tuple[float | None, float | None]] = {}
    figures: dict[str, float] = {}
    for group, members in (("entity", ~is_author), ("author", is_author)):
        chosen[group] = (None, None)
        if not members.any():
            continue
        best: tuple[float, float | None, int, np.ndarray] | None = None
        ungated = 0.0
        for gate in (None, *(gates if group in gated else ())):
            kept = members if gate is None else members & (article >= gate)
            curve = threshold_curve(strength[kept], correct[kept], n_gold.get(group, 0), thresholds)
            near = np.flatnonzero(curve[:, 2] >= curve[:, 2].max() - tolerance)
            at = int(near[np.argmax(thresholds[near])])
            if gate is None:
                ungated = float(curve[at, 2])
            if best is None or curve[at, 2] > best[0]:
                best = (float(curve[at, 2]), None if gate is None else float(gate), at, curve)
        f1, gate, at, curve = best
        chosen[group] = (float(thresholds[at]), gate)
        figures |= {f"{group}_rule_threshold": float(thresholds[at]), f"{group}_rule_precision": curve[at, 0],
                    f"{group}_rule_recall": curve[at, 1], f"{group}_rule_f1": f1,
                    f"{group}_rule_predicted": curve[at, 3], f"{group}_rule_ungated_f1": ungated}
        if gate is not None:
            figures[f"{group}_rule_gate"] = gate
    return chosen, figures


#: What :func:`claim_features` gives per claim's pair, in this order (counts and ranks on a log scale).
CLAIM_FEATURES = ("strength", "p_supportive", "p_hostile", "pair_strength", "log_pair_claims",
                  "log_source_claims", "source_share", "log_source_rank", "source_activity",
                  "log_target_claims", "target_share", "log_target_rank", "target_activity", "log_article_claims")


def actor_prominence(rows: pd.DataFrame) -> pd.DataFrame:
    """Per article and actor of `rows` (whole articles: :data:`PAIR_KEYS`, ``p_supportive``, ``p_hostile``):
    ``claims``, the claims' pairs it takes part in (as source or target), ``share`` of the article's,
    ``rank`` among the article's actors (1: the most; ties share the better rank) and ``activity``, the
    noisy-or of every stance probability of those pairs: how much the article has the actor take or
    receive a stance at all."""
    strengths = log_not(rows["p_supportive"]) + log_not(rows["p_hostile"])
    long = pd.concat([pd.DataFrame({"article_id": rows["article_id"].to_numpy(), "actor": rows[side].to_numpy(),
                                    "lnot": strengths}) for side in ("source", "target")], ignore_index=True)
    actors = long.groupby(["article_id", "actor"], sort=False).agg(claims=("lnot", "size"), lnot=("lnot", "sum"))
    actors = actors.reset_index()
    total = rows.groupby("article_id", sort=False).size().rename("article_claims")
    actors = actors.join(total, on="article_id")
    actors["share"] = actors["claims"] / actors["article_claims"]
    actors["rank"] = actors.groupby("article_id", sort=False)["claims"].rank(ascending=False, method="min")
    actors["activity"] = noisy_or(actors["lnot"])
    return actors[["article_id", "actor", "claims", "share", "rank", "activity", "article_claims"]]


def claim_features(rows: pd.DataFrame, context: pd.DataFrame | None = None) -> pd.DataFrame:
    """The :data:`CLAIM_FEATURES` of every row of `rows` (whole articles, as for :func:`claim_labels`), in
    the rows' order: the claim's own probabilities, its pair's article evidence (`context`, the rows'
    :func:`pair_context`, computed when not given; and how many claims join the pair) and the
    :func:`actor_prominence` of its source and its target."""
    if rows.empty:
        return pd.DataFrame({name: pd.Series(dtype=float) for name in CLAIM_FEATURES}, index=rows.index)
    context = pair_context(rows) if context is None else context
    actors = actor_prominence(rows).set_index(["article_id", "actor"])
    p_supportive, p_hostile = rows["p_supportive"].to_numpy(dtype=float), rows["p_hostile"].to_numpy(dtype=float)
    columns = {"strength": np.maximum(p_supportive, p_hostile), "p_supportive": p_supportive, "p_hostile": p_hostile,
               "pair_strength": context["article_strength"].to_numpy(),
               "log_pair_claims": np.log1p(rows.groupby(PAIR_KEYS, sort=False, dropna=False)["article_id"]
                                           .transform("size").to_numpy(dtype=float)),
               "log_article_claims": np.log1p(rows.groupby("article_id", sort=False)["article_id"]
                                              .transform("size").to_numpy(dtype=float))}
    for side in ("source", "target"):
        found = actors.reindex(pd.MultiIndex.from_arrays([rows["article_id"].to_numpy(), rows[side].to_numpy()]))
        columns |= {f"log_{side}_claims": np.log1p(found["claims"].to_numpy(dtype=float)),
                    f"{side}_share": found["share"].to_numpy(dtype=float),
                    f"log_{side}_rank": np.log1p(found["rank"].to_numpy(dtype=float)),
                    f"{side}_activity": found["activity"].to_numpy(dtype=float)}
    return pd.DataFrame(columns, index=rows.index)[list(CLAIM_FEATURES)]


@dataclass(frozen=True)
class ClaimScorer:
    """A logistic model of "this claim's stance is a gold triplet" over standardised claim features
    (:func:`claim_features`): sigmoid(sum(coef * (x - mean) / scale) + intercept)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def __post_init__(self) -> None:
        unknown = sorted(set(self.features) - set(CLAIM_FEATURES))
        if unknown:
            raise ValueError(f"claim scorer: unknown features {unknown}; expected some of {list(CLAIM_FEATURES)}")
        if not len(self.features) == len(self.mean) == len(self.scale) == len(self.coef):
            raise ValueError(f"claim scorer: {len(self.features)} features with {len(self.mean)} means, "
                             f"{len(self.scale)} scales and {len(self.coef)} coefficients")
        if any(not np.isfinite(v) or v <= 0 for v in self.scale):
            raise ValueError(f"claim scorer: every scale must be positive and finite, got {list(self.scale)}")

    @classmethod
    def from_mapping(cls, data: dict) -> "ClaimScorer":
        """The scorer :func:`dataclasses.asdict` wrote (a decision rule's JSON)."""
        return cls(features=tuple(data["features"]), mean=tuple(map(float, data["mean"])),
                   scale=tuple(map(float, data["scale"])), coef=tuple(map(float, data["coef"])),
                   intercept=float(data["intercept"]))

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """The probability of each row of `features` (:func:`claim_features`' columns)."""
        x = features[list(self.features)].to_numpy(dtype=float)
        z = np.nan_to_num((x - np.asarray(self.mean)) / np.asarray(self.scale))
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))


def article_folds(article_ids: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each row's fold (0 .. folds - 1), whole articles together, articles dealt to folds in a seeded shuffle."""
    articles = np.array(sorted(set(article_ids)), dtype=object)
    np.random.default_rng(seed).shuffle(articles)
    fold_of = {article: i % folds for i, article in enumerate(articles)}
    return np.array([fold_of[a] for a in article_ids], dtype=int)


def _fit_logistic(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], c: float) -> ClaimScorer:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return ClaimScorer(features, tuple(np.round(mean, 8).tolist()), tuple(np.round(scale, 8).tolist()),
                       tuple(np.round(model.coef_[0], 8).tolist()), float(np.round(model.intercept_[0], 8)))


def fit_claim_scorer(features: pd.DataFrame, correct: np.ndarray, article_ids: np.ndarray, n_gold: int,
                     folds: int = 5, seed: int = 13, c: float = 1.0, tolerance: float = 0.0,
                     thresholds: np.ndarray | None = None) -> tuple[ClaimScorer | None, float | None, dict[str, float]]:
    """A :class:`ClaimScorer` fitted on labelled candidates of one group, its threshold, and the figures.

    `features` are the candidates' :func:`claim_features`, `correct` whether each one's stance (the larger
    probability) is its gold label, `n_gold` the gold triplets to find. The threshold is the one that
    maximises triplet F1 on *out-of-fold* scores (`folds` folds of whole articles, each scored by a scorer
    fitted on the others; the highest within `tolerance` of the best), so the figures are those of
    articles the scorer did not see; the scorer returned is fitted on every candidate. Returns
    ``(None, None, {})`` where there is nothing to learn (no correct candidate, or fewer articles than
    folds). Figures: ``scorer_{precision,recall,f1,predicted,threshold}`` out of fold and
    ``scorer_insample_f1`` of the returned scorer at the threshold."""
    thresholds = np.round(np.arange(0.01, 1.0, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    correct, article_ids = np.asarray(correct, dtype=bool), np.asarray(article_ids, dtype=object)
    names = tuple(features.columns)
    x = features.to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("claim features hold missing or infinite values; every actor of a claim needs its article")
    if not correct.any() or correct.all() or len(set(article_ids)) < folds:
        return None, None, {}
    fold = article_folds(article_ids, folds, seed)
    held_out = np.zeros(len(correct))
    for k in range(folds):
        train, test = fold != k, fold == k
        if correct[train].any() and not correct[train].all():
            held_out[test] = _fit_logistic(x[train], correct[train], names, c).score(features[test])
    curve = threshold_curve(held_out, correct, n_gold, thresholds)
    near = np.flatnonzero(curve[:, 2] >= curve[:, 2].max() - tolerance)
    at = int(near[np.argmax(thresholds[near])])
    scorer = _fit_logistic(x, correct, names, c)
    insample = threshold_curve(scorer.score(features), correct, n_gold, thresholds[at:at + 1])[0]
    figures = {"scorer_threshold": float(thresholds[at]), "scorer_precision": curve[at, 0],
               "scorer_recall": curve[at, 1], "scorer_f1": curve[at, 2], "scorer_predicted": curve[at, 3],
               "scorer_insample_f1": insample[2]}
    return scorer, float(thresholds[at]), figures


def f1_curve(proba: np.ndarray, gold: np.ndarray, n_gold: int, thresholds: np.ndarray) -> np.ndarray:
    """(thresholds, 4) of precision, recall, F1 and predictions of the triplets at each threshold.

    `gold` are the candidates' own-direction gold labels; a candidate above
    the threshold is a predicted triplet, correct when its stance equals its
    gold label. `n_gold` is the number of gold triplets to find (those no
    candidate reaches count as missed).
    """
    proba = np.asarray(proba, dtype=float)
    strength = np.maximum(proba[:, _SUPPORTIVE], proba[:, _HOSTILE])
    stance = np.where(proba[:, _SUPPORTIVE] >= proba[:, _HOSTILE], SUPPORTIVE, HOSTILE)
    return threshold_curve(strength, stance == np.asarray(gold, dtype=object), n_gold, thresholds)


def threshold_curve(strength: np.ndarray, correct: np.ndarray, n_gold: int, thresholds: np.ndarray) -> np.ndarray:
    """(thresholds, 4) of precision, recall, F1 and predictions when every item whose `strength` reaches
    a threshold is predicted, `correct` says which predictions are right, and `n_gold` are to be found."""
    strength, correct = np.asarray(strength, dtype=float), np.asarray(correct, dtype=bool)
    order = np.argsort(-strength, kind="stable")
    sorted_strength, cumulative = strength[order], np.cumsum(correct[order])
    rows = []
    for threshold in thresholds:
        predicted = int(np.searchsorted(-sorted_strength, -threshold, side="right"))
        hits = int(cumulative[predicted - 1]) if predicted else 0
        precision = hits / predicted if predicted else 0.0
        recall = hits / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((precision, recall, f1, predicted))
    return np.asarray(rows, dtype=float).reshape(len(thresholds), 4)


def tune_rule(proba: np.ndarray, gold: np.ndarray, is_author: np.ndarray, n_gold: dict[str, int],
              thresholds: np.ndarray | None = None, tolerance: float = 0.0) -> tuple[DecisionRule, dict[str, float]]:
    """The thresholds that maximise each group's triplet F1 on labelled candidates, and the figures.

    Near the best, F1 is flat over a wide range of thresholds while the
    number of triplets halves; so each group takes the highest threshold
    whose F1 is within `tolerance` of its best (0: the best itself): fewer,
    surer triplets for the same F1, as the one-standard-error rule prefers
    the simpler model. Returns the rule and, per group, the chosen
    threshold's precision, recall, F1 and predictions
    (``{group}_rule_{precision,recall,f1,predicted,threshold}``) and the
    best F1 of the grid (``{group}_rule_best_f1``). A group without
    candidates keeps the argmax rule.
    """
    thresholds = np.round(np.arange(0.05, 0.96, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    proba, gold, is_author = np.asarray(proba, dtype=float), np.asarray(gold, dtype=object), np.asarray(is_author, bool)
    chosen: dict[str, float | None] = {}
    figures: dict[str, float] = {}
    for group, members in (("entity", ~is_author), ("author", is_author)):
        if not members.any():
            chosen[group] = None
            continue
        curve = f1_curve(proba[members], gold[members], n_gold.get(group, 0), thresholds)
        best_f1 = float(curve[:, 2].max())
        near = np.flatnonzero(curve[:, 2] >= best_f1 - tolerance)
        best = int(near[np.argmax(thresholds[near])])
        chosen[group] = float(thresholds[best])
        figures |= {f"{group}_rule_threshold": float(thresholds[best]), f"{group}_rule_precision": curve[best, 0],
                    f"{group}_rule_recall": curve[best, 1], f"{group}_rule_f1": curve[best, 2],
                    f"{group}_rule_predicted": curve[best, 3], f"{group}_rule_best_f1": best_f1}
    return DecisionRule(chosen["entity"], chosen["author"]), figures


#: The columns :func:`article_evidence` gives per article and directed pair, besides the keys.
EVIDENCE_COLUMNS = ["n_claims", "n_supportive", "n_hostile", "support", "hostility"]


#: What :func:`evidence_sums` adds up per group: sums of several batches of rows add up again.
SUM_COLUMNS = ["n_claims", "n_supportive", "n_hostile", "log_not_support", "log_not_hostility"]


def evidence_sums(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys` (an article and a directed pair), the :data:`SUM_COLUMNS`: the claims, the
    claims labelled supportive and hostile, and the sums of log(1 - p) of the claims' supportive and
    hostile probabilities. `rows` has the `keys`, ``p_supportive``, ``p_hostile`` and ``label`` (a
    claim-level label)."""
    return rows[keys].assign(
        n_claims=1, n_supportive=(rows["label"] == SUPPORTIVE).to_numpy(dtype="int64"),
        n_hostile=(rows["label"] == HOSTILE).to_numpy(dtype="int64"),
        log_not_support=log_not(rows["p_supportive"]), log_not_hostility=log_not(rows["p_hostile"]),
    ).groupby(keys, sort=False, dropna=False)[SUM_COLUMNS].sum().reset_index()


def article_evidence(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys` (an article and a directed pair): the claims, the claims labelled supportive
    and hostile, and the noisy-or of the claims' supportive and hostile probabilities
    (:data:`EVIDENCE_COLUMNS`); `rows` as for :func:`evidence_sums`."""
    return combined_evidence(evidence_sums(rows, keys), keys)


def combined_evidence(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:data:`EVIDENCE_COLUMNS` from the :data:`SUM_COLUMNS` of :func:`evidence_sums` (those of several
    batches of one group added up first, where they came in batches)."""
    return sums[keys].assign(
        n_claims=sums["n_claims"].astype("int64"), n_supportive=sums["n_supportive"].astype("int64"),
        n_hostile=sums["n_hostile"].astype("int64"),
        support=noisy_or(sums["log_not_support"]), hostility=noisy_or(sums["log_not_hostility"]))


def article_labels(evidence: pd.DataFrame, is_author: np.ndarray, rule: DecisionRule) -> np.ndarray:
    """An article's stance of each pair of :func:`article_evidence` (LABELS names).

    With the group's article threshold: the larger combined strength when it reaches the threshold.
    Without: the stance of most of the pair's stanced claims (ties to the larger strength), neutral
    when none is stanced."""
    support = evidence["support"].to_numpy(dtype=float)
    hostility = evidence["hostility"].to_numpy(dtype=float)
    stance = np.where(support >= hostility, SUPPORTIVE, HOSTILE).astype(object)
    n_supportive, n_hostile = evidence["n_supportive"].to_numpy(), evidence["n_hostile"].to_numpy()
    by_claims = np.where(n_supportive > n_hostile, SUPPORTIVE, np.where(n_hostile > n_supportive, HOSTILE, stance))
    labels = np.where(n_supportive + n_hostile > 0, by_claims, NEUTRAL).astype(object)
    is_author = np.asarray(is_author, dtype=bool)
    for group, members in (("entity", ~is_author), ("author", is_author)):
        threshold = rule.article_threshold(group)
        if threshold is not None:
            labels[members] = np.where(np.maximum(support, hostility)[members] >= threshold, stance[members], NEUTRAL)
    return labels


def tune_article_rule(evidence: pd.DataFrame, gold: pd.Series, is_author: np.ndarray, n_gold: dict[str, int],
                      thresholds: np.ndarray | None = None) -> tuple[dict[str, float | None], dict[str, float]]:
    """The article thresholds that maximise each group's article-level triplet F1.

    `evidence` is :func:`article_evidence` of labelled candidates, `gold` per row the set of gold
    stances (LABELS names) that any of the pair's claims carries, `n_gold` the article-level gold
    triplets per group (a pair with both stances counts twice; one prediction can find only one).
    Returns ``{"entity": t, "author": t}`` (None for a group without pairs) and, per group, the
    chosen threshold's ``article_{group}_{precision,recall,f1,predicted,threshold}``."""
    thresholds = np.round(np.arange(0.05, 1.0, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    strength = np.maximum(evidence["support"].to_numpy(dtype=float), evidence["hostility"].to_numpy(dtype=float))
    stance = np.where(evidence["support"].to_numpy() >= evidence["hostility"].to_numpy(), SUPPORTIVE, HOSTILE)
    correct = np.array([label in stances for label, stances in zip(stance, gold)], dtype=bool)
    is_author = np.asarray(is_author, dtype=bool)
    chosen: dict[str, float | None] = {}
    figures: dict[str, float] = {}
    for group, members in (("entity", ~is_author), ("author", is_author)):
        chosen[group] = None
        if members.any():
            curve = threshold_curve(strength[members], correct[members], n_gold.get(group, 0), thresholds)
            best = int(np.argmax(curve[:, 2]))
            chosen[group] = float(thresholds[best])
            figures |= {f"article_{group}_threshold": float(thresholds[best]),
                        f"article_{group}_precision": curve[best, 0], f"article_{group}_recall": curve[best, 1],
                        f"article_{group}_f1": curve[best, 2], f"article_{group}_predicted": curve[best, 3]}
    return chosen, figures


@dataclass(frozen=True)
class LabelledCandidates:
    """Candidate pairs of whole articles with their own-direction gold labels (SEESAW valid), for
    scoring a model's probabilities as the champion is crowned: triplet F1 under a tuned rule.

    `texts` are the candidates' marked texts, `gold` their LABELS names, `is_author` whether the
    source is the article's author, `n_gold` the gold triplets to find per group (those no
    candidate reaches count as missed)."""

    texts: tuple[str, ...]
    gold: np.ndarray
    is_author: np.ndarray
    n_gold: dict[str, int]

    def digest(self) -> str:
        """A short sha256 of what the rule is tuned and scored on (texts, gold labels, groups, gold counts):
        two runs' whole-article figures are comparable only when their digests agree."""
        hasher = hashlib.sha256(json.dumps(self.n_gold, sort_keys=True).encode())
        for text, gold, author in zip(self.texts, self.gold, self.is_author):
            hasher.update(f"{text}\x1f{gold}\x1f{int(author)}\x1e".encode())
        return hasher.hexdigest()[:16]

    def score(self, proba: np.ndarray) -> dict[str, float]:
        """The rule figures of :func:`tune_rule` for directed probabilities `proba` of the candidates."""
        if len(proba) != len(self.texts):
            raise ValueError(f"{len(proba)} probability rows for {len(self.texts)} candidates")
        return tune_rule(proba, self.gold, self.is_author, self.n_gold)[1]
