"""pairs: the directed (source, target) actor pairs each claim puts in play.

For each claim: the speaker towards each actor it mentions (origin
``speaker``); for a narrative claim, the author (outlet) towards each actor
(``author``); and each ordered pair of actors mentioned (``mention``).
Pairs are deduplicated per claim (first origin wins, in that order) and
carry the text the classifier reads, marked exactly as the gold examples are:
source and target mentions wrapped in their markers, or, when the source
(speaker or author) is not mentioned in the claim, the claim prefixed with
``<src>Name</src>: ``.
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config, ExamplesConfig, PairsConfig
from pipeline.examples import mark_pair
from pipeline.tables import SCHEMAS, read_table, write_table

SPEAKER, AUTHOR, MENTION = "speaker", "author", "mention"


def marked_text(text: str, target_span: tuple[int, int], markers: ExamplesConfig,
                source_span: tuple[int, int] | None = None, source_name: str | None = None) -> str:
    """The claim with source and target marked.

    With a source span, both spans are wrapped in place (as in the gold
    examples). Without one, the source (a speaker or author not mentioned in
    the claim) is named in a prefix: ``<src>Sergey Lavrov</src>: <claim>``.
    """
    if source_span is not None:
        return mark_pair(text, source_span, target_span, markers)
    if not source_name:
        raise ValueError("a source that is not mentioned in the claim needs a name")
    start, end = target_span
    if not 0 <= start < end <= len(text):
        raise ValueError(f"target span {target_span} is empty or outside a text of {len(text)} characters")
    body = (text[:start] + markers.target_open + text[start:end] + markers.target_close + text[end:])
    return f"{markers.source_open}{source_name}{markers.source_close}: {body}"


def claim_pairs(claim: dict, mentions: list[dict], author: str, author_affiliation: str | None,
                settings: PairsConfig, markers: ExamplesConfig) -> list[dict]:
    """The `pairs` records of one claim, given its mentions (claim-relative offsets)."""
    actors: dict[str, dict] = {}
    for mention in sorted(mentions, key=lambda m: m["start"]):
        actors.setdefault(mention["canonical"], mention)
    names = list(actors)[: settings.max_actors_per_claim]

    sources: list[tuple[str, str | None, str]] = []
    speaker = claim.get("speaker_resolved")
    if isinstance(speaker, str) and speaker:
        affiliation = claim.get("speaker_affiliation")
        sources.append((speaker, affiliation if isinstance(affiliation, str) else None, SPEAKER))
    elif claim["kind"] == "narrative" and settings.include_author:
        sources.append((author, author_affiliation, AUTHOR))

    planned: list[tuple[str, str | None, str, str]] = []
    for source, affiliation, origin in sources:
        planned += [(source, affiliation, target, origin) for target in names if target != source]
    if settings.mention_pairs:
        planned += [(a, actors[a]["affiliation"], b, MENTION) for a in names for b in names if a != b]

    records, seen = [], set()
    for source, source_affiliation, target, origin in planned:
        if (source, target) in seen:
            continue
        seen.add((source, target))
        target_mention = actors[target]
        target_span = (target_mention["start"], target_mention["end"])
        source_mention = next(
            (m for m in sorted(mentions, key=lambda m: m["start"]) if m["canonical"] == source
             and not (m["start"] < target_span[1] and target_span[0] < m["end"])), None)
        source_span = (source_mention["start"], source_mention["end"]) if source_mention else None
        if source_mention is not None and source_affiliation is None:
            source_affiliation = source_mention["affiliation"]
        records.append({
            "pair_id": f"{claim['claim_id']}-p{len(records):02d}", "claim_id": claim["claim_id"],
            "article_id": claim["article_id"], "source": source, "target": target,
            "source_affiliation": source_affiliation, "target_affiliation": target_mention["affiliation"],
            "origin": origin, "source_mention_id": source_mention["mention_id"] if source_mention else None,
            "target_mention_id": target_mention["mention_id"],
            "text": marked_text(claim["text"], target_span, markers, source_span, source),
        })
    return records


def author_of(outlet: object, unknown: str) -> str:
    """The author actor of an article: its outlet, or the configured unknown-author name."""
    return outlet.strip() if isinstance(outlet, str) and outlet.strip() else unknown


def run(config: Config) -> None:
    """Read articles, claims and mentions; write the pairs table."""
    from pipeline.actors import load_dictionary
    from pipeline.ingest.articles import corpus_dir

    out = corpus_dir(config)
    articles = read_table(out / "articles.parquet", "articles")
    claims = read_table(out / "claims.parquet", "claims")
    mentions = read_table(out / "mentions.parquet", "mentions")
    dictionary = load_dictionary(config.actors.dictionary)
    outlets = dict(zip(articles["article_id"], articles["outlet"]))
    by_claim = {cid: g.to_dict("records") for cid, g in mentions.groupby("claim_id", sort=False)}
    records, without = [], 0
    for claim in claims.to_dict("records"):
        author = author_of(outlets.get(claim["article_id"]), config.actors.author_unknown)
        entry = dictionary.lookup(author)
        found = claim_pairs(claim, by_claim.get(claim["claim_id"], []), entry.name if entry else author,
                            entry.affiliation if entry else None, config.pairs, config.examples)
        without += not found
        records += found
    write_table(pd.DataFrame(records, columns=SCHEMAS["pairs"].names), "pairs", out / "pairs.parquet")
    origins = pd.Series([r["origin"] for r in records], dtype=object).value_counts().to_dict()
    print(f"pairs: read {len(claims)} claims: with pairs {len(claims) - without}, without {without} "
          f"(fewer than two actors, no speaker or author); {len(records)} pairs {origins} -> {out / 'pairs.parquet'}")


def claims_table(claims: pd.DataFrame, mentions: pd.DataFrame, pairs: pd.DataFrame, width: int = 70) -> str:
    """A readable table of claims: kind, speaker (as written -> resolved), cue, actors, pairs, text."""
    actors = mentions.groupby("claim_id")["canonical"].agg(lambda s: ", ".join(dict.fromkeys(s)))
    n_pairs = pairs.groupby("claim_id").size()
    lines = []
    for article_id, group in claims.groupby("article_id", sort=False):
        lines.append(f"== article {article_id}: {len(group)} claims")
        lines.append(f"{'#':>3}  {'kind':<15}  {'speaker':<36}  {'cue':<20}  {'pairs':>5}  actors | text")
        for claim in group.sort_values("claim_index").itertuples(index=False):
            speaker = ""
            if isinstance(claim.speaker, str):
                resolved = claim.speaker_resolved if isinstance(claim.speaker_resolved, str) else "?"
                speaker = claim.speaker if claim.speaker == resolved else f"{claim.speaker} -> {resolved}"
            text = " ".join(claim.text.split())
            text = text if len(text) <= width else text[: width - 1] + "…"
            lines.append(f"{claim.claim_index:>3}  {claim.kind:<15}  {speaker[:36]:<36}  "
                         f"{(claim.cue if isinstance(claim.cue, str) else '')[:20]:<20}  "
                         f"{int(n_pairs.get(claim.claim_id, 0)):>5}  {actors.get(claim.claim_id, '-')} | {text}")
    return "\n".join(lines)


def show(config: Config) -> None:
    """Print the claims table of the user corpus (after the pairs stage)."""
    from pipeline.ingest.articles import corpus_dir

    out = corpus_dir(config)
    print(claims_table(read_table(out / "claims.parquet", "claims"), read_table(out / "mentions.parquet", "mentions"),
                       read_table(out / "pairs.parquet", "pairs")))


if __name__ == "__main__":  # python -m pipeline.pairs --config NAME [key=value ...]: print the claims table
    import argparse

    from pipeline.config import load_config

    parser = argparse.ArgumentParser(description="Print the claims table of the user corpus.")
    parser.add_argument("--config", default="default")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    show(load_config(args.config, args.overrides))
