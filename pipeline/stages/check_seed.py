"""check-seed: ``make predict``'s stances of the seed article against a hand reading of it.

The thin runner of :mod:`pipeline.stances.seed_check`: it reads the reading
(``predict.seed_reading``), the stances under
``outputs/<config>/<predict.output_subdir>/`` and the front half's articles
and claims tables, prints each failure on one line and a summary line, and
fails (one line, non-zero exit) when any check fails.
"""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.core.tables import read_table
from pipeline.frontend.actors import load_dictionary
from pipeline.stances.seed_check import (
    check_all,
    load_reading,
    same_affiliation_rows,
    seed_rows,
    summary_line,
    unknown_affiliations,
)


def run(config: Config) -> None:
    """Stage runner: check the seed article's stances against the reading; raise if any check fails."""
    path = config.seed_reading_path
    reading = load_reading(path)
    dictionary = load_dictionary(config.actors.dictionary)
    unknown = unknown_affiliations(reading, dictionary)
    if unknown:
        raise ValueError(f"{path}: affiliations {unknown} are not names of the actor dictionary "
                         f"({config.actors.dictionary}); use its canonical names")
    stances_path = config.outputs_dir / config.predict.output_subdir / "stances.parquet"
    if not stances_path.exists():
        raise FileNotFoundError(f"{stances_path}: no stances; run make predict (on the seed, the default INPUT) first")
    stances = read_table(stances_path, "stances")
    if stances["article_id"].nunique() > 1:  # predict ran on more than the seed: keep the seed's rows
        stances = seed_rows(stances, read_table(config.corpus_dir / "articles.parquet", "articles"),
                            reading.article_title)
    claims_path = config.corpus_dir / "claims.parquet"  # also claims without pairs, for the speaker check
    claims = read_table(claims_path, "claims") if claims_path.exists() else None
    if claims is not None:
        claims = claims[claims["article_id"].isin(set(stances["article_id"]))]
    by_check = check_all(stances, reading, config.predict.seed_max_non_neutral, claims, dictionary)
    print(f"check-seed: {stances_path} against {path}")
    for lines in by_check.values():
        for line in lines:
            print(f"FAIL {line}")
    for row in same_affiliation_rows(stances).itertuples(index=False):
        print(f"note same affiliation ({row.source_affiliation}): {row.source} -> {row.target} {row.label}")
    print(summary_line(stances, reading, by_check))
    n_failures = sum(len(lines) for lines in by_check.values())
    if n_failures:
        raise RuntimeError(f"check-seed: {n_failures} failure(s) of the seed's stances against {path} (listed above)")
