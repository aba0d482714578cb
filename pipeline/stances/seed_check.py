"""Check ``make predict``'s stances of the seed article against a hand reading of it.

The reading (``tests/data/seed_reading.yaml``, path in ``predict.seed_reading``)
is a small gold file: the affiliation-level directed pairs the article clearly
expresses as supportive or hostile, and who says which quote. The checks on
the ``stances`` table (one row per claim and directed actor pair):

- every pair of the reading has a net stance of the right sign, net being the
  number of supportive minus the number of hostile rows of that directed
  affiliation pair; a pair without any non-neutral row fails;
- no non-neutral row has the same actor as source and target (a failure);
  non-neutral rows whose source and target *affiliations* are the same
  (Zelensky -> Ukraine) are only reported (:func:`same_affiliation_rows`): an
  actor can oppose its own side, so they are not wrong as such;
- at most ``max_non_neutral`` non-neutral rows in all: a short article does not
  hold hundreds of stances;
- each speaker/quote of the reading is attributed: some claim whose text
  contains the quote has that speaker (case-insensitive, a leading "the", "a",
  "an" or "one" ignored, or the same canonical actor in the dictionary).

Everything here is a pure function of its arguments except :func:`load_reading`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.core.labels import HOSTILE, NEUTRAL, SUPPORTIVE
from pipeline.frontend.actors import ActorDictionary

#: Columns of the stances table the checks read.
STANCE_COLUMNS = ("claim", "speaker", "source", "target", "source_affiliation", "target_affiliation", "label")
STANCES = (SUPPORTIVE, HOSTILE)
PAIR_KEYS = ("source", "target", "stance", "evidence")
SPEAKER_KEYS = ("speaker", "quote")
TOP_KEYS = ("article_title", "affiliation_pairs", "speakers")


@dataclass(frozen=True)
class ReadPair:
    """A directed affiliation pair of the reading and the stance the article expresses."""

    source: str
    target: str
    stance: str  # supportive or hostile
    evidence: str


@dataclass(frozen=True)
class ReadSpeaker:
    """Who says a quote: `quote` is a distinctive substring of the claim's text."""

    speaker: str
    quote: str


@dataclass(frozen=True)
class SeedReading:
    """A hand reading of one article (see the module docstring)."""

    path: Path
    article_title: str
    pairs: tuple[ReadPair, ...]
    speakers: tuple[ReadSpeaker, ...]


# ------------------------------------------------------------- reading ---

def _entries(data: dict, key: str, keys: tuple[str, ...], where: str) -> list[dict[str, str]]:
    """The list under `key`, each entry a mapping of exactly `keys` to non-empty strings."""
    items = data.get(key)
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: '{key}' must be a non-empty list, got {type(items).__name__}")
    entries = []
    for i, item in enumerate(items):
        at = f"{where}: {key}[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{at}: must be a mapping with keys {list(keys)}, got {item!r}")
        unknown = sorted(set(map(str, item)) - set(keys))
        missing = [k for k in keys if k not in item]
        if unknown or missing:
            raise ValueError(f"{at}: keys must be {list(keys)}; missing {missing}, unknown {unknown}")
        bad = [k for k in keys if not isinstance(item[k], str) or not item[k].strip()]
        if bad:
            raise ValueError(f"{at}: {bad} must be non-empty strings")
        entries.append({k: " ".join(item[k].split()) for k in keys})
    return entries


def parse_reading(data: Any, path: Path) -> SeedReading:
    """A reading from its parsed YAML; a problem is a one-line ValueError naming `path` and the entry."""
    where = str(path)
    if not isinstance(data, dict):
        raise ValueError(f"{where}: must be a mapping with keys {list(TOP_KEYS)}, got {type(data).__name__}")
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; expected {list(TOP_KEYS)}")
    title = data.get("article_title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"{where}: 'article_title' must be a non-empty string")
    pairs = []
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(_entries(data, "affiliation_pairs", PAIR_KEYS, where)):
        at = f"{where}: affiliation_pairs[{i}]"
        if entry["stance"] not in STANCES:
            raise ValueError(f"{at}: stance must be one of {list(STANCES)}, got {entry['stance']!r}")
        key = (entry["source"], entry["target"])
        if key[0] == key[1]:
            raise ValueError(f"{at}: source and target are both {key[0]!r}")
        if key in seen:
            raise ValueError(f"{at}: the pair {key[0]} -> {key[1]} is listed twice")
        seen.add(key)
        pairs.append(ReadPair(**entry))
    speakers = [ReadSpeaker(**entry) for entry in _entries(data, "speakers", SPEAKER_KEYS, where)]
    return SeedReading(path, " ".join(title.split()), tuple(pairs), tuple(speakers))


def load_reading(path: Path | str) -> SeedReading:
    """Read and validate a reading file; any problem is a one-line ValueError that names the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the seed reading: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{path}: not valid YAML{line}: {problem}") from None
    return parse_reading(data, path)


def known_names(dictionary: ActorDictionary) -> set[str]:
    """Every canonical name and every affiliation of the actor dictionary."""
    return {e.name for e in dictionary.entries} | {e.affiliation for e in dictionary.entries if e.affiliation}


def unknown_affiliations(reading: SeedReading, dictionary: ActorDictionary) -> list[str]:
    """Affiliation names of the reading that are neither a canonical name nor an affiliation of the dictionary."""
    known = known_names(dictionary)
    return sorted({name for p in reading.pairs for name in (p.source, p.target)} - known)


# -------------------------------------------------------------- checks ---

def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; is it make predict's stances table?")


def non_neutral(stances: pd.DataFrame) -> pd.DataFrame:
    """The rows labelled supportive or hostile."""
    return stances[stances["label"] != NEUTRAL]


def net_stances(stances: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    """(source affiliation, target affiliation) -> (supportive rows, hostile rows), for non-neutral pairs."""
    rows = non_neutral(stances)
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for (source, target), group in rows.groupby(["source_affiliation", "target_affiliation"], sort=True):
        counts[(str(source), str(target))] = (int((group["label"] == SUPPORTIVE).sum()),
                                              int((group["label"] == HOSTILE).sum()))
    return counts


def pair_failures(stances: pd.DataFrame, reading: SeedReading) -> list[str]:
    """A line for each pair of the reading whose net stance is missing, zero or of the wrong sign."""
    counts = net_stances(stances)
    failures = []
    for pair in reading.pairs:
        name = f"{pair.source} -> {pair.target}"
        supportive, hostile = counts.get((pair.source, pair.target), (0, 0))
        if supportive + hostile == 0:
            n_rows = int(((stances["source_affiliation"] == pair.source)
                          & (stances["target_affiliation"] == pair.target)).sum())
            failures.append(f"pair {name}: expected {pair.stance}, found no non-neutral row "
                            f"({n_rows} neutral rows)")
            continue
        net = supportive - hostile
        found = SUPPORTIVE if net > 0 else HOSTILE if net < 0 else "net zero"
        if found != pair.stance:
            failures.append(f"pair {name}: expected {pair.stance}, found {found} (net {net:+d}: "
                            f"{supportive} supportive, {hostile} hostile rows)")
    return failures


def self_pair_rows(stances: pd.DataFrame) -> pd.DataFrame:
    """Non-neutral rows whose source and target are the same actor."""
    rows = non_neutral(stances)
    return rows[rows["source"] == rows["target"]]


def same_affiliation_rows(stances: pd.DataFrame) -> pd.DataFrame:
    """Non-neutral rows of two different actors of the same affiliation (reported, not a failure)."""
    rows = non_neutral(stances)
    return rows[(rows["source"] != rows["target"]) & (rows["source_affiliation"] == rows["target_affiliation"])]


def self_pair_failures(stances: pd.DataFrame) -> list[str]:
    """A line for each actor that is given a non-neutral stance towards itself."""
    rows = self_pair_rows(stances)
    return [f"self-pair {actor} -> {actor}: {len(group)} non-neutral row(s), "
            f"labels {sorted(set(group['label']))}"
            for actor, group in rows.groupby("source", sort=True)]


def volume_failures(stances: pd.DataFrame, max_non_neutral: int) -> list[str]:
    """A line if there are more non-neutral rows than `max_non_neutral`."""
    n = len(non_neutral(stances))
    if n <= max_non_neutral:
        return []
    return [f"too many non-neutral rows: {n} > {max_non_neutral} (of {len(stances)} rows)"]


def fold_text(text: str) -> str:
    """Text for substring matching: straight quotes, one space between words, case-folded."""
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'}))
    return " ".join(text.split()).casefold()


def fold_speaker(name: str) -> str:
    """A speaker name for comparison: :func:`fold_text` without a leading 'the', 'a', 'an' or 'one'."""
    return re.sub(r"^(?:the|a|an|one)\s+", "", fold_text(name))


def same_speaker(found: object, wanted: str, dictionary: ActorDictionary | None = None) -> bool:
    """Whether the pipeline's speaker `found` is the reading's `wanted`: equal when folded, or the
    same dictionary actor (so "Lavrov" in a reading matches "Sergey Lavrov")."""
    if not isinstance(found, str) or not found.strip():
        return False
    if fold_speaker(found) == fold_speaker(wanted):
        return True
    if dictionary is None:
        return False
    a, b = dictionary.lookup(found), dictionary.lookup(wanted)
    return a is not None and b is not None and a.name == b.name


def attributed_claims(stances: pd.DataFrame, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinct (text, speaker) of the claims: from the stances rows and, when given, the claims
    table (``text``, ``speaker_resolved``), which also holds claims without any pair."""
    frames = [pd.DataFrame({"text": stances["claim"].astype(object), "speaker": stances["speaker"].astype(object)})]
    if claims is not None:
        _require_columns(claims, ("text", "speaker_resolved"), "the claims table")
        frames.append(pd.DataFrame({"text": claims["text"].astype(object),
                                    "speaker": claims["speaker_resolved"].astype(object)}))
    both = pd.concat(frames, ignore_index=True)
    return both.drop_duplicates().reset_index(drop=True)


def speaker_failures(stances: pd.DataFrame, reading: SeedReading, claims: pd.DataFrame | None = None,
                     dictionary: ActorDictionary | None = None) -> list[str]:
    """A line for each quote of the reading found in no claim, or in none with the reading's speaker."""
    texts = attributed_claims(stances, claims)
    folded = [fold_text(t) if isinstance(t, str) else "" for t in texts["text"]]
    failures = []
    for item in reading.speakers:
        quote = fold_text(item.quote)
        speakers = [s for t, s in zip(folded, texts["speaker"]) if quote in t]
        if not speakers:
            failures.append(f"speaker of {item.quote!r}: no claim contains the quote (expected {item.speaker})")
        elif not any(same_speaker(s, item.speaker, dictionary) for s in speakers):
            shown = sorted({s if isinstance(s, str) else "none" for s in speakers})
            failures.append(f"speaker of {item.quote!r}: expected {item.speaker}, found {', '.join(shown)}")
    return failures


def check_all(stances: pd.DataFrame, reading: SeedReading, max_non_neutral: int = 25,
              claims: pd.DataFrame | None = None, dictionary: ActorDictionary | None = None) -> dict[str, list[str]]:
    """The failures of each check by name: ``pairs``, ``self_pairs``, ``volume``, ``speakers``."""
    _require_columns(stances, STANCE_COLUMNS, "the stances table")
    return {"pairs": pair_failures(stances, reading), "self_pairs": self_pair_failures(stances),
            "volume": volume_failures(stances, max_non_neutral),
            "speakers": speaker_failures(stances, reading, claims, dictionary)}


def check_predictions(stances: pd.DataFrame, reading: SeedReading, max_non_neutral: int = 25,
                      claims: pd.DataFrame | None = None, dictionary: ActorDictionary | None = None) -> list[str]:
    """Every failure of the stances table against the reading, one line each; empty means it passes.

    `stances` is ``make predict``'s table (claim-level rows). Fails on: a pair
    of the reading without the right net sign (none found is a failure), an
    actor with a non-neutral stance towards itself, more than
    `max_non_neutral` non-neutral rows, a quote not attributed to its speaker.
    Non-neutral rows of two different actors of the same affiliation are
    reported by the runner, not failed (see :func:`same_affiliation_rows`).
    `claims` (the claims table, which also holds claims without pairs) and
    `dictionary` (canonical names) widen the speaker check.
    """
    by_check = check_all(stances, reading, max_non_neutral, claims, dictionary)
    return [line for lines in by_check.values() for line in lines]


def seed_rows(stances: pd.DataFrame, articles: pd.DataFrame, title: str) -> pd.DataFrame:
    """The stances rows of the article(s) titled `title` (compared folded); an error if none is."""
    wanted = fold_text(title)
    ids = {a for a, t in zip(articles["article_id"], articles["title"]) if isinstance(t, str) and fold_text(t) == wanted}
    if not ids:
        raise ValueError(f"no article titled {title!r} among the {len(articles)} predicted; "
                         "run make predict on the seed (the default INPUT)")
    return stances[stances["article_id"].isin(ids)]


def summary_line(stances: pd.DataFrame, reading: SeedReading, by_check: dict[str, list[str]]) -> str:
    """One line of counts from :func:`check_all`'s result: pairs and speakers right of those expected,
    non-neutral rows, self-pair and same-affiliation rows, and the verdict."""
    n_failures = sum(len(lines) for lines in by_check.values())
    n_pairs, n_speakers = len(reading.pairs), len(reading.speakers)
    verdict = "PASS" if not n_failures else f"FAIL ({n_failures} failures)"
    return (f"check-seed: pairs {n_pairs - len(by_check['pairs'])}/{n_pairs} right, "
            f"speakers {n_speakers - len(by_check['speakers'])}/{n_speakers} right, "
            f"{len(non_neutral(stances))} non-neutral rows of {len(stances)}, "
            f"{len(self_pair_rows(stances))} self-pair rows, "
            f"{len(same_affiliation_rows(stances))} same-affiliation rows: {verdict}")
