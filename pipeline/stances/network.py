"""network: who stands where, per directed actor pair, and the actor network it draws.

Stances (one row per claim and directed pair) are aggregated per directed
pair at two levels: ``actor`` (the canonical actor: "Sergey Lavrov", "US
officials") and ``affiliation`` (the state or body it speaks for: "Russia",
"United States"; an actor without a known affiliation stands for itself).
Each aggregate row counts the labels, the mean stance (supportive +1,
hostile -1, neutral 0, averaged over the pair's claims), the mean confidence
and the number of articles. The aggregator is fed batch by batch, so its
memory grows with the distinct pairs, not with the claims or the articles
(each article's rows come together, so only the last one is held open).

The network of one level is a directed graph (GraphML keeps every pair and
its counts); the picture draws the pairs with stances of the chosen labels,
coloured by their net stance (green supportive, red hostile) and as wide as
their number of such claims.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterable, Sequence

import networkx as nx
import pandas as pd

from pipeline.core.labels import HOSTILE, LABELS, NEUTRAL, SUPPORTIVE
from pipeline.core.tables import SCHEMAS, atomic_path

ACTOR, AFFILIATION = "actor", "affiliation"
LEVELS: dict[str, tuple[str, str]] = {ACTOR: ("source", "target"), AFFILIATION: ("source_affiliation", "target_affiliation")}
POLARITY_LABEL = {"POS": SUPPORTIVE, "NEG": HOSTILE}


class PairAggregator:
    """Per directed pair counts at both levels, accumulated over batches of stance rows.

    Each batch is grouped at once (no Python loop over pairs), and the partial sums are merged
    whenever the pending ones outgrow the merged ones, so adding N rows costs about N log N and
    memory follows the distinct pairs, not the rows or the articles.

    An article's pairs are counted (``n_articles``) once its rows are complete: the rows of one
    article come together, in one batch or running on into the next (both engines write them in
    article order), so only the last article of the stream is held open. A batch with rows of an
    article that an earlier batch already closed is an error, never a double count."""

    KEYS = ["level", "source", "target"]
    COUNTS = [*LABELS, "confidence", "n_articles"]
    MERGE_ROWS = 100_000  # pending grouped rows that always trigger a merge

    def __init__(self) -> None:
        self._sums: list[pd.DataFrame] = []  # the merged sums first, then pending batches
        self._merged_rows = 0
        self._pending_rows = 0
        self._open_article: str | None = None
        self._open_pairs = pd.DataFrame(columns=self.KEYS)  # the distinct pairs of the open article
        self._closed_articles: set[str] = set()
        self.n_rows = 0

    def add(self, stances: pd.DataFrame) -> None:
        """Count one batch of rows with columns article_id, source, target, source_affiliation,
        target_affiliation, label, confidence; each article's rows together (see the class)."""
        if stances.empty:
            return
        unknown = sorted(set(stances["label"]) - set(LABELS))
        if unknown:
            raise ValueError(f"unknown stance labels {unknown}; expected {list(LABELS)}")
        articles = pd.unique(stances["article_id"])
        reopened = [a for a in articles if a in self._closed_articles]
        if reopened:
            raise ValueError(f"stance rows of article {reopened[0]!r} come after other articles' rows; each article's "
                             f"rows must come together ({len(reopened)} article(s) split)")
        self.n_rows += len(stances)
        batch = pd.concat([pd.DataFrame({
            "level": level, "source": stances[source_col].to_numpy(), "target": stances[target_col].to_numpy(),
            "article_id": stances["article_id"].to_numpy(), "confidence": stances["confidence"].to_numpy(dtype=float),
            **{label: (stances["label"] == label).to_numpy(dtype="int64") for label in LABELS},
        }) for level, (source_col, target_col) in LEVELS.items()], ignore_index=True)
        sums = batch.groupby(self.KEYS, sort=False)[list(LABELS) + ["confidence"]].sum()
        last = articles[-1]
        pairs = batch[[*self.KEYS, "article_id"]].drop_duplicates()
        if self._open_article is not None:
            pairs = pd.concat([self._open_pairs.assign(article_id=self._open_article), pairs], ignore_index=True)
        still_open = (pairs["article_id"] == last).to_numpy()
        closed = pairs[~still_open].drop_duplicates()
        self._closed_articles.update(a for a in closed["article_id"].unique())
        self._open_article = last
        self._open_pairs = pairs.loc[still_open, self.KEYS].drop_duplicates(ignore_index=True)
        self._sums.append(sums.join(self._articles_per_pair(closed), how="outer").fillna(0))
        self._pending_rows += len(sums)
        if self._pending_rows > max(self._merged_rows, self.MERGE_ROWS):
            self._merge()

    def _articles_per_pair(self, pairs: pd.DataFrame) -> pd.Series:
        """How many articles each pair of the distinct (pair, article) rows `pairs` appears in."""
        return pairs.groupby(self.KEYS, sort=False).size().rename("n_articles")

    def _close_open_article(self) -> None:
        """Count the pairs of the last article: the stream is over, or a frame is asked for."""
        if self._open_article is None:
            return
        self._sums.append(self._articles_per_pair(self._open_pairs).to_frame())
        self._closed_articles.add(self._open_article)
        self._open_article, self._open_pairs = None, pd.DataFrame(columns=self.KEYS)

    def _merge(self) -> None:
        """Fold the pending batches into the merged sums."""
        if len(self._sums) > 1:
            self._sums = [pd.concat(self._sums).fillna(0).groupby(level=[0, 1, 2], sort=False).sum()]
        self._merged_rows = len(self._sums[0]) if self._sums else 0
        self._pending_rows = 0

    def frame(self) -> pd.DataFrame:
        """The `stance_pairs` table: one row per level and directed pair, most claims first. The last
        article is counted as complete: rows of it added later are an error."""
        self._close_open_article()
        self._merge()
        if not self._sums:
            frame = pd.DataFrame(columns=SCHEMAS["stance_pairs"].names)
            return frame.astype({c: "int64" for c in ("n_pairs", "n_supportive", "n_hostile", "n_neutral", "n_articles")})
        sums = self._sums[0]
        n = sums[list(LABELS)].sum(axis=1)
        frame = pd.DataFrame({
            "n_pairs": n.astype("int64"), "n_supportive": sums[SUPPORTIVE].astype("int64"),
            "n_hostile": sums[HOSTILE].astype("int64"), "n_neutral": sums[NEUTRAL].astype("int64"),
            "mean_stance": (sums[SUPPORTIVE] - sums[HOSTILE]) / n, "mean_confidence": sums["confidence"] / n,
            "n_articles": sums["n_articles"].astype("int64"),
        }).reset_index()[SCHEMAS["stance_pairs"].names]
        return frame.sort_values(["level", "n_pairs", "source", "target"], ascending=[True, False, True, True],
                                 ignore_index=True)


def aggregate(stances: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a whole stance table at once (see :class:`PairAggregator`)."""
    aggregator = PairAggregator()
    aggregator.add(stances)
    return aggregator.frame()


def triplets_as_stances(triplets: pd.DataFrame, author: str = "(author)") -> pd.DataFrame:
    """SEESAW-style triplets (article_id, subject, object, sentiment POS|NEG) as stance rows,
    so gold and predicted triplets can be aggregated and drawn like predictions.

    A null subject is the article's author; entities stand for themselves at
    the affiliation level.
    """
    subject = triplets["subject"].where(triplets["subject"].notna(), author).astype(str)
    unknown = sorted(set(triplets["sentiment"]) - set(POLARITY_LABEL))
    if unknown:
        raise ValueError(f"unknown sentiments {unknown}; expected {sorted(POLARITY_LABEL)}")
    return pd.DataFrame({
        "article_id": triplets["article_id"].astype(str).to_numpy(), "source": subject.to_numpy(),
        "target": triplets["object"].astype(str).to_numpy(), "source_affiliation": subject.to_numpy(),
        "target_affiliation": triplets["object"].astype(str).to_numpy(),
        "label": triplets["sentiment"].map(POLARITY_LABEL).to_numpy(), "confidence": 1.0,
    })


def build_graph(pairs: pd.DataFrame, level: str) -> nx.DiGraph:
    """The directed actor graph of one level: every pair an edge with its counts;
    nodes carry how many pairs they source and receive."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {list(LEVELS)}")
    graph = nx.DiGraph(level=level)
    for row in pairs[pairs["level"] == level].itertuples(index=False):
        for node in (row.source, row.target):
            if node not in graph:
                graph.add_node(node, n_out=0, n_in=0)
        graph.nodes[row.source]["n_out"] += int(row.n_pairs)
        graph.nodes[row.target]["n_in"] += int(row.n_pairs)
        graph.add_edge(row.source, row.target, n_pairs=int(row.n_pairs), n_supportive=int(row.n_supportive),
                       n_hostile=int(row.n_hostile), n_neutral=int(row.n_neutral),
                       mean_stance=float(row.mean_stance), mean_confidence=float(row.mean_confidence),
                       n_articles=int(row.n_articles))
    return graph


#: Characters XML 1.0 does not allow (C0 controls other than tab and line breaks, surrogates, U+FFFE/FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: object) -> object:
    """A string with the characters XML cannot hold replaced by U+FFFD; other values unchanged."""
    return _XML_ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def xml_safe_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy of `graph` whose node names and string attributes are all XML-safe (:func:`xml_safe`).

    Ingest already removes control characters from article text; this keeps
    the GraphML well-formed whatever names reach it. Two names that become
    equal are one node (its counts summed); of two edges that become one, the first is kept.
    """
    safe = nx.DiGraph(**{k: xml_safe(v) for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        name = xml_safe(node)
        if name in safe:
            for key, value in data.items():
                if isinstance(value, (int, float)) and key in safe.nodes[name]:
                    safe.nodes[name][key] += value
        else:
            safe.add_node(name, **{k: xml_safe(v) for k, v in data.items()})
    for source, target, data in graph.edges(data=True):
        edge = (xml_safe(source), xml_safe(target))
        if not safe.has_edge(*edge):
            safe.add_edge(*edge, **{k: xml_safe(v) for k, v in data.items()})
    return safe


def write_graphml(graph: nx.DiGraph, path: Path) -> None:
    """Write a graph as GraphML, atomically, its names made XML-safe first (:func:`xml_safe_graph`)."""
    with atomic_path(path) as tmp:
        nx.write_graphml(xml_safe_graph(graph), tmp)


def drawn_edges(graph: nx.DiGraph, labels: Sequence[str] = (SUPPORTIVE, HOSTILE), min_count: int = 1,
                max_edges: int = 80) -> list[tuple[str, str, int, float]]:
    """The edges a picture draws: (source, target, count of the chosen labels, net stance in [-1, 1]).

    Self-loops (an affiliation about itself) are left out; the heaviest
    `max_edges` edges with at least `min_count` such claims are kept.
    """
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise ValueError(f"unknown labels {unknown}; expected {list(LABELS)}")
    edges = []
    for source, target, data in graph.edges(data=True):
        if source == target:
            continue
        count = sum(int(data[f"n_{label}"]) for label in labels)
        if count < min_count or count == 0:
            continue
        sup = data["n_supportive"] if SUPPORTIVE in labels else 0
        host = data["n_hostile"] if HOSTILE in labels else 0
        net = (sup - host) / (sup + host) if sup + host else 0.0
        edges.append((source, target, count, net))
    edges.sort(key=lambda e: (-e[2], e[0], e[1]))
    return edges[:max_edges]


def draw_network(graph: nx.DiGraph, path: Path | None = None, labels: Sequence[str] = (SUPPORTIVE, HOSTILE),
                 min_count: int = 1, max_edges: int = 80, title: str = ""):
    """Draw the stance network: edge colour = net stance (red hostile .. grey .. green supportive),
    edge width = number of claims with the chosen labels. Saves a PNG when `path` is given;
    returns the matplotlib figure."""
    import matplotlib
    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    edges = drawn_edges(graph, labels, min_count, max_edges)
    nodes = sorted({n for e in edges for n in e[:2]})
    fig, ax = plt.subplots(figsize=(11, 8.5))
    ax.set_axis_off()
    ax.set_title(title or f"stance network ({graph.graph.get('level', '?')} level): {len(edges)} pairs, "
                 f"{len(nodes)} actors", fontsize=12)
    if not edges:
        ax.text(0.5, 0.5, f"no pairs labelled {', '.join(labels)}", ha="center", va="center", fontsize=14,
                transform=ax.transAxes)
    else:
        drawn = nx.DiGraph()
        drawn.add_nodes_from(nodes)
        drawn.add_edges_from((s, t) for s, t, _, _ in edges)
        layout = nx.spring_layout(drawn, seed=7, k=2.5 / math.sqrt(max(len(nodes), 1)), iterations=200)
        weight = {n: 0 for n in nodes}
        for s, t, count, _ in edges:
            weight[s] += count
            weight[t] += count
        cmap = plt.get_cmap("RdYlGn")
        norm = TwoSlopeNorm(vmin=-1.0, vcenter=0.0, vmax=1.0)
        nx.draw_networkx_nodes(drawn, layout, ax=ax, node_color="#dde6f0", edgecolors="#4a5a6a",
                               node_size=[300 + 120 * math.sqrt(weight[n]) for n in nodes])
        max_count = max(e[2] for e in edges)
        nx.draw_networkx_edges(
            drawn, layout, ax=ax, edgelist=[(s, t) for s, t, _, _ in edges],
            edge_color=[cmap(norm(net)) for *_, net in edges],
            width=[1.0 + 5.0 * math.sqrt(count / max_count) for _, _, count, _ in edges],
            arrows=True, arrowstyle="-|>", arrowsize=14, connectionstyle="arc3,rad=0.12",
            node_size=[300 + 120 * math.sqrt(weight[n]) for n in nodes])
        nx.draw_networkx_labels(drawn, layout, ax=ax, font_size=8)
        colorbar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6)
        colorbar.set_label("net stance: hostile -1 .. +1 supportive")
    # Fixed margins, not tight_layout: its measuring pass renders the whole figure once more.
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.95)
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
    return fig


def summary_lines(pairs: pd.DataFrame, level: str, labels: Iterable[str] = (SUPPORTIVE, HOSTILE), limit: int = 20) -> list[str]:
    """The pairs of one level with claims of the given labels, as readable lines."""
    labels = list(labels)
    rows = pairs[pairs["level"] == level].copy()
    rows["n_chosen"] = sum(rows[f"n_{label}"] for label in labels) if len(rows) else []
    rows = rows[rows["n_chosen"] > 0].sort_values(["n_chosen", "source"], ascending=[False, True]).head(limit)
    return [f"  {r.source} -> {r.target}: supportive {r.n_supportive}, hostile {r.n_hostile}, neutral {r.n_neutral} "
            f"(mean stance {r.mean_stance:+.2f}, {r.n_articles} article{'s' if r.n_articles != 1 else ''})"
            for r in rows.itertuples(index=False)]


__all__ = ["ACTOR", "AFFILIATION", "LEVELS", "PairAggregator", "aggregate", "build_graph", "draw_network",
           "drawn_edges", "summary_lines", "triplets_as_stances", "write_graphml", "xml_safe", "xml_safe_graph"]
