"""Declared table schemas, checked on write and on read, and atomic file writes.

Stages talk only through these tables. A table that does not match its
schema (missing or extra column, wrong type, null in a required column) is
an error naming the file and the column.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class SchemaError(ValueError):
    """A table does not match its declared schema."""


def _field(name: str, type_: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


#: One thing the claims stage found in a claim; offsets relative to the claim text.
#: `kind` is "entity" (a spaCy named entity, its NER label in `label`),
#: "pronoun" or "nominal" (a pronoun or a definite nominal such as "the
#: president", resolved to the actor `resolved_to` of type `resolved_type`),
#: or "phrase" (a common-noun phrase from the tagger: an issue candidate).
CLAIM_ENTITY = pa.struct([
    _field("start", pa.int64()),
    _field("end", pa.int64()),
    _field("kind", pa.string()),
    _field("label", pa.string(), nullable=True),
    _field("text", pa.string()),
    _field("resolved_to", pa.string(), nullable=True),
    _field("resolved_type", pa.string(), nullable=True),
])

SCHEMAS: dict[str, pa.Schema] = {
    # One DSE line, unescaped, entity brackets removed, entity offsets into `text`.
    "dse_rows": pa.schema([
        _field("row_id", pa.string()),
        _field("split", pa.string()),
        _field("line_no", pa.int64()),
        _field("text", pa.string()),
        _field("p", pa.string()),
        _field("q", pa.string()),
        _field("p_start", pa.int64()),
        _field("p_end", pa.int64()),
        _field("q_start", pa.int64()),
        _field("q_end", pa.int64()),
        _field("dse_label", pa.int64()),
    ]),
    # One SEESAW article; sentences kept in `seesaw_sentences`.
    "seesaw_articles": pa.schema([
        _field("article_id", pa.string()),
        _field("story_id", pa.string()),
        _field("split", pa.string()),
        _field("outlet", pa.string(), nullable=True),
        _field("bias_label", pa.int64(), nullable=True),
        _field("title", pa.string()),
        _field("text", pa.string()),
        _field("n_sentences", pa.int64()),
    ]),
    "seesaw_sentences": pa.schema([
        _field("article_id", pa.string()),
        _field("split", pa.string()),
        _field("sentence_id", pa.int64()),
        _field("text", pa.string()),
    ]),
    "seesaw_entities": pa.schema([
        _field("article_id", pa.string()),
        _field("split", pa.string()),
        _field("name", pa.string()),
        _field("entity_type", pa.string()),
        _field("salience", pa.string()),
    ]),
    # subject None in SEESAW (the author) becomes subject_is_author = True.
    "seesaw_triplets": pa.schema([
        _field("article_id", pa.string()),
        _field("split", pa.string()),
        _field("sentence_id", pa.int64()),
        _field("subject", pa.string(), nullable=True),
        _field("subject_is_author", pa.bool_()),
        _field("sentiment", pa.string()),
        _field("object", pa.string()),
    ]),
    # A directed example: what does `source` think of `target`?
    "examples": pa.schema([
        _field("example_id", pa.string()),
        _field("row_id", pa.string()),
        _field("split", pa.string()),
        _field("direction", pa.string()),
        _field("source", pa.string()),
        _field("target", pa.string()),
        _field("text", pa.string()),
        _field("label", pa.string()),
        _field("dse_label", pa.int64()),
    ]),
    # Predictions of one model on one split, one row per directed example.
    "predictions": pa.schema([
        _field("example_id", pa.string()),
        _field("row_id", pa.string()),
        _field("split", pa.string()),
        _field("direction", pa.string()),
        _field("label", pa.string()),
        _field("predicted", pa.string()),
        _field("confidence", pa.float64()),
        _field("p_supportive", pa.float64()),
        _field("p_hostile", pa.float64()),
        _field("p_neutral", pa.float64()),
    ]),
    # Front half (user articles). A user article, boilerplate cut, title apart.
    "articles": pa.schema([
        _field("article_id", pa.string()),
        _field("file", pa.string()),
        _field("line", pa.int64(), nullable=True),
        _field("title", pa.string(), nullable=True),
        _field("outlet", pa.string(), nullable=True),
        _field("text", pa.string()),
        _field("n_chars", pa.int64()),
        _field("n_replaced_chars", pa.int64()),
        _field("n_boilerplate_chars", pa.int64()),
        _field("encoding", pa.string()),  # utf-8, utf-8-sig, utf-16-le/be, utf-32-le/be, or the fallback cp1252/latin-1
        _field("n_normalised_chars", pa.int64()),  # controls, format characters, line breaks changed at ingest
        _field("n_escaped_markers", pa.int64()),  # literal marker strings replaced by a look-alike
    ]),
    # A claim: a sentence, or a quotation over several sentences. Offsets into
    # the article text; `entities` (offsets relative to the claim) are what the
    # claims stage found, so the actors stage need not run spaCy again: see
    # CLAIM_ENTITY.
    "claims": pa.schema([
        _field("claim_id", pa.string()),
        _field("article_id", pa.string()),
        _field("claim_index", pa.int64()),
        _field("start", pa.int64()),
        _field("end", pa.int64()),
        _field("text", pa.string()),
        _field("kind", pa.string()),
        _field("n_sentences", pa.int64()),
        _field("speaker", pa.string(), nullable=True),
        _field("speaker_type", pa.string(), nullable=True),
        _field("speaker_start", pa.int64(), nullable=True),
        _field("speaker_end", pa.int64(), nullable=True),
        _field("speaker_resolved", pa.string(), nullable=True),
        _field("speaker_affiliation", pa.string(), nullable=True),
        _field("cue", pa.string(), nullable=True),
        _field("entities", pa.list_(pa.field("item", CLAIM_ENTITY, nullable=False))),
    ]),
    # An actor mention inside a claim; start/end are relative to the claim text.
    "mentions": pa.schema([
        _field("mention_id", pa.string()),
        _field("claim_id", pa.string()),
        _field("article_id", pa.string()),
        _field("start", pa.int64()),
        _field("end", pa.int64()),
        _field("surface", pa.string()),
        _field("label", pa.string()),
        _field("origin", pa.string()),
        _field("canonical", pa.string()),
        _field("actor_type", pa.string()),
        _field("affiliation", pa.string(), nullable=True),
    ]),
    # A directed (source, target) pair a claim puts in play, with the marked text.
    "pairs": pa.schema([
        _field("pair_id", pa.string()),
        _field("claim_id", pa.string()),
        _field("article_id", pa.string()),
        _field("source", pa.string()),
        _field("target", pa.string()),
        _field("source_affiliation", pa.string(), nullable=True),
        _field("target_affiliation", pa.string(), nullable=True),
        _field("origin", pa.string()),
        _field("source_mention_id", pa.string(), nullable=True),
        _field("target_mention_id", pa.string()),  # an implicit target: its first mention in the article
        _field("text", pa.string()),
        _field("target_type", pa.string()),  # the target's actor type; "issue" for policies, issues, events
        _field("source_evidence", pa.string()),  # named | pronoun | nominal | speaker | author | implicit
        _field("target_evidence", pa.string()),  # named | pronoun | nominal | implicit
    ]),
    # Back half (predict): the champion's stance on each pair of the user corpus.
    # Affiliations fall back to the actor itself, so they are never null.
    "stances": pa.schema([
        _field("pair_id", pa.string()),
        _field("article_id", pa.string()),
        _field("claim_id", pa.string()),
        _field("claim_index", pa.int64()),
        _field("claim", pa.string()),
        _field("kind", pa.string()),
        _field("speaker", pa.string(), nullable=True),
        _field("origin", pa.string()),
        _field("source", pa.string()),
        _field("target", pa.string()),
        _field("source_affiliation", pa.string()),
        _field("target_affiliation", pa.string()),
        _field("label", pa.string()),
        _field("confidence", pa.float64()),
        _field("p_supportive", pa.float64()),
        _field("p_hostile", pa.float64()),
        _field("p_neutral", pa.float64()),
    ]),
    # One directed pair at one level ("actor" or "affiliation"): what the corpus says of it.
    "stance_pairs": pa.schema([
        _field("level", pa.string()),
        _field("source", pa.string()),
        _field("target", pa.string()),
        _field("n_pairs", pa.int64()),
        _field("n_supportive", pa.int64()),
        _field("n_hostile", pa.int64()),
        _field("n_neutral", pa.int64()),
        _field("mean_stance", pa.float64()),
        _field("mean_confidence", pa.float64()),
        _field("n_articles", pa.int64()),
    ]),
    # One row per article and directed actor pair: the article's stance of the source on the target, from
    # the noisy-or of the pair's claims under the model's article thresholds (pipeline/core/decision.py).
    "stance_article_pairs": pa.schema([
        _field("article_id", pa.string()),
        _field("source", pa.string()),
        _field("target", pa.string()),
        _field("source_affiliation", pa.string()),
        _field("target_affiliation", pa.string()),
        _field("is_author", pa.bool_()),
        _field("n_claims", pa.int64()),
        _field("n_supportive", pa.int64()),
        _field("n_hostile", pa.int64()),
        _field("support", pa.float64()),
        _field("hostility", pa.float64()),
        _field("label", pa.string()),
    ]),
    # One row per input article, also those without claims or pairs (zero counts).
    "stance_articles": pa.schema([
        _field("article_id", pa.string()),
        _field("title", pa.string(), nullable=True),
        _field("n_claims", pa.int64()),
        _field("n_pairs", pa.int64()),
        _field("n_supportive", pa.int64()),
        _field("n_hostile", pa.int64()),
        _field("n_neutral", pa.int64()),
    ]),
    # End-to-end evaluation: a predicted non-neutral triplet of one system, matched or not.
    "e2e_triplets": pa.schema([
        _field("system", pa.string()),
        _field("article_id", pa.string()),
        _field("sentence_id", pa.int64()),
        _field("source", pa.string()),
        _field("target", pa.string()),
        _field("polarity", pa.string()),
        _field("is_author", pa.bool_()),
        _field("confidence", pa.float64()),
        _field("text", pa.string()),
        _field("matched_strict", pa.bool_()),
        _field("matched_lenient", pa.bool_()),
    ]),
    # End-to-end evaluation: a gold triplet, found or not by one system.
    "e2e_gold": pa.schema([
        _field("system", pa.string()),
        _field("article_id", pa.string()),
        _field("sentence_id", pa.int64()),
        _field("subject", pa.string()),
        _field("object", pa.string()),
        _field("polarity", pa.string()),
        _field("is_author", pa.bool_()),
        _field("found_strict", pa.bool_()),
        _field("found_lenient", pa.bool_()),
    ]),
    # Pair-given evaluation (eval-pairs): a SEESAW gold triplet, the text the model read for its pair,
    # and the model's reading of it; predicted is the forced POS|NEG, open_predicted POS|NEG|neutral.
    "pairs_given": pa.schema([
        _field("article_id", pa.string()),
        _field("sentence_id", pa.int64()),
        _field("subject", pa.string()),
        _field("object", pa.string()),
        _field("gold", pa.string()),
        _field("text", pa.string()),
        _field("subject_found", pa.bool_()),
        _field("object_found", pa.bool_()),
        _field("label", pa.string()),
        _field("confidence", pa.float64()),
        _field("p_supportive", pa.float64()),
        _field("p_hostile", pa.float64()),
        _field("p_neutral", pa.float64()),
        _field("predicted", pa.string()),
        _field("open_predicted", pa.string()),
    ]),
    # Anything a stage could not accept, with where it came from and why.
    "rejects": pa.schema([
        _field("stage", pa.string()),
        _field("file", pa.string()),
        _field("line", pa.int64(), nullable=True),
        _field("reason", pa.string()),
        _field("raw", pa.string()),
    ]),
}


# SEESAW candidate pairs labelled from the gold triplets (seesaw-examples): the `examples` columns, so
# that the models read them as they read DSE's, plus where each came from. `dse_label` and `direction`
# give the pair class relative to the marked source and target (core.labels.pair_class).
SCHEMAS["seesaw_examples"] = pa.schema([
    *SCHEMAS["examples"],
    _field("origin", pa.string()),  # speaker | author | mention (the front half's pairs)
    _field("source_evidence", pa.string()),
    _field("target_evidence", pa.string()),
    _field("article_id", pa.string()),
    _field("sentence_id", pa.int64()),
    _field("sentence_annotated", pa.bool_()),  # the sentence holds at least one gold triplet
])
# A model's probabilities for every SEESAW valid candidate pair, from which its decision rule is tuned.
SCHEMAS["seesaw_valid_proba"] = pa.schema([
    _field("example_id", pa.string()),
    _field("article_id", pa.string()),
    _field("sentence_id", pa.int64()),
    _field("source", pa.string()),
    _field("target", pa.string()),
    _field("origin", pa.string()),
    _field("source_evidence", pa.string()),
    _field("target_evidence", pa.string()),
    _field("label", pa.string()),  # the candidate's own gold label
    _field("p_supportive", pa.float64()),
    _field("p_hostile", pa.float64()),
    _field("p_neutral", pa.float64()),
])
# A SEESAW gold triplet that no candidate pair matches, and why; subject null for the author.
SCHEMAS["seesaw_gold_unmatched"] = pa.schema([
    _field("article_id", pa.string()),
    _field("sentence_id", pa.int64()),
    _field("subject", pa.string(), nullable=True),
    _field("object", pa.string()),
    _field("polarity", pa.string()),
    _field("reason", pa.string()),
])


def register_schema(table: str, schema: pa.Schema) -> None:
    """Declare the schema of a new table (a gold corpus adapter declares its own tables).

    Declaring a name again with the same schema is a no-op; with another schema, an error.
    """
    known = SCHEMAS.get(table)
    if known is not None and not known.equals(schema):
        raise ValueError(f"table {table!r} is already declared with another schema")
    SCHEMAS[table] = schema


def empty_frame(table: str) -> pd.DataFrame:
    """An empty DataFrame with the columns of a declared table."""
    return SCHEMAS[table].empty_table().to_pandas()


def check_frame(df: pd.DataFrame, table: str, where: str = "") -> pa.Table:
    """Validate a DataFrame against its declared schema and return it as Arrow."""
    schema = SCHEMAS[table]
    label = f"{table} table{f' ({where})' if where else ''}"
    expected, actual = list(schema.names), list(df.columns)
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    if missing or extra:
        raise SchemaError(f"{label}: missing columns {missing}, unexpected columns {extra}")
    for field in schema:
        if not field.nullable and df[field.name].isna().any():
            first_bad = int(df[field.name].isna().to_numpy().argmax())
            raise SchemaError(f"{label}: column '{field.name}' is null in row {first_bad}, but is required")
    try:
        return pa.Table.from_pandas(df[expected], schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SchemaError(f"{label}: {exc}") from exc
    except UnicodeEncodeError as exc:
        raise SchemaError(f"{label}: {unencodable_cell(df[expected])}: text that is not valid Unicode "
                          f"({exc.reason}); clean it before writing") from exc


def unencodable_cell(df: pd.DataFrame) -> str:
    """Where the first string that UTF-8 cannot encode (a lone surrogate) is: "column 'c', row i"."""
    for column in df.columns:
        for row, value in enumerate(df[column]):
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return f"column '{column}', row {row}"
    return "a nested value"


#: Every temporary file or folder a write leaves beside its target starts with this prefix,
#: then the writer's pid: ``.tmp-<pid>-<n>-<name>``. A later run removes those of dead pids.
TMP_PREFIX = ".tmp-"
#: Test hook: seconds to sleep after each file a staged write moves or writes (kill tests).
SLOW_WRITES_ENV = "PIPELINE_TEST_SLOW_WRITES"
_COMMITTED = ".committed"
_tmp_counter = itertools.count()


def tmp_name(name: str, role: str = "") -> str:
    """A recognisable temporary name for `name`: ``.tmp-<pid>-<n>-[<role>-]<name>``."""
    return f"{TMP_PREFIX}{os.getpid()}-{next(_tmp_counter)}-{f'{role}-' if role else ''}{name}"


def tmp_owner(name: str) -> int | None:
    """The pid in a temporary name, or None when `name` is not one."""
    if not name.startswith(TMP_PREFIX):
        return None
    pid = name[len(TMP_PREFIX):].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _finish_moves(staging: Path, folder: Path) -> None:
    """Move every file of a committed staging folder into `folder` (roll forward), then drop it."""
    for item in sorted(staging.iterdir()):
        if item.name != _COMMITTED:
            os.replace(item, folder / item.name)
            _slow_write_hook()
    _remove(staging)


def sweep_stale(folder: Path) -> list[str]:
    """Clean up after killed writers in `folder`; return the names handled.

    A temporary entry of a dead pid is removed, except that a committed file
    set is moved into place (its run had passed every check) and a previous
    output folder whose replacement never arrived is put back.
    """
    handled = []
    if not folder.is_dir():
        return handled
    for entry in sorted(folder.iterdir()):
        pid = tmp_owner(entry.name)
        if pid is None or pid_alive(pid):
            continue
        rest = entry.name.split("-", 3)[-1]
        if rest.startswith("old-") and not (folder / rest[4:]).exists():
            os.replace(entry, folder / rest[4:])
        elif entry.is_dir() and (entry / _COMMITTED).exists():
            _finish_moves(entry, folder)
        else:
            _remove(entry)
        handled.append(entry.name)
    return handled


def _slow_write_hook() -> None:
    """Test hook: sleep ``$PIPELINE_TEST_SLOW_WRITES`` seconds (kill tests catch a write midway)."""
    delay = os.environ.get(SLOW_WRITES_ENV)
    if delay:
        time.sleep(float(delay))


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only on success.

    The temporary file is named ``.tmp-<pid>-<n>-<name>``; one left by a killed
    run is removed by the next write to the same folder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path.parent)
    tmp = path.parent / tmp_name(path.name)
    try:
        yield tmp
        _slow_write_hook()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def staged_outputs(final_dir: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `final_dir`; swap it in whole when the block succeeds.

    The swap is two renames (the previous folder aside, the new one in); the
    previous folder is then removed. When the block raises, the staging folder
    is dropped and the previous output set stays as it was. After a kill, the
    next run's :func:`sweep_stale` removes the staging folder, or puts the
    previous folder back when the kill fell between the two renames.
    """
    parent = final_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(parent)
    staging = parent / tmp_name(final_dir.name)
    staging.mkdir()
    try:
        yield staging
        old = parent / tmp_name(final_dir.name, role="old")
        if final_dir.exists():
            os.replace(final_dir, old)
            _slow_write_hook()
        os.replace(staging, final_dir)
        _remove(old)
    finally:
        if staging.exists():
            _remove(staging)


@contextmanager
def staged_files(folder: Path) -> Iterator[Path]:
    """Yield a staging folder for a set of files that land in the shared `folder` together.

    On success the staging folder is marked committed, then each file moves
    into `folder`. A kill before the mark leaves the previous files untouched
    (the next run removes the staging folder); a kill after it is rolled
    forward by the next :func:`sweep_stale` of `folder` (every stage writing or
    reading there runs one), so readers see the old set or the new one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sweep_stale(folder)
    staging = folder / tmp_name("staged")
    staging.mkdir()
    try:
        yield staging
        (staging / _COMMITTED).touch()
        _finish_moves(staging, folder)
    finally:
        if staging.exists() and not (staging / _COMMITTED).exists():
            _remove(staging)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_table(df: pd.DataFrame, table: str, path: Path) -> None:
    """Check `df` against its schema and write it to Parquet atomically."""
    arrow_table = check_frame(df, table, where=str(path))
    with atomic_path(path) as tmp:
        pq.write_table(arrow_table, tmp)
    _slow_write_hook()


def read_table(path: Path, table: str) -> pd.DataFrame:
    """Read a Parquet table and check it against its declared schema."""
    sweep_stale(path.parent)
    if not path.exists():
        raise FileNotFoundError(f"{path}: table '{table}' not found; run the stage that writes it first")
    arrow_table = pq.read_table(path)
    expected = SCHEMAS[table]
    if not arrow_table.schema.remove_metadata().equals(expected):
        raise SchemaError(
            f"{path}: does not match the declared '{table}' schema\n"
            f"  expected: {expected.to_string(show_schema_metadata=False)}\n"
            f"  found:    {arrow_table.schema.remove_metadata().to_string(show_schema_metadata=False)}"
        )
    return arrow_table.to_pandas()
