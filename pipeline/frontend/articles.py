"""articles: user articles (.txt, .jsonl, .csv) become the `articles` table.

A .txt file is one article (first line the title, by default); a .jsonl file
has one JSON object a line; a .csv file one row a record, with a header. Field
names come from the config. Article ids are stable: the record's own id when
it has one, else a digest of its text, so re-running on the same input gives
the same ids. Trailing site boilerplate ("Today's Top News" and the headline
list after it) and credit lines ("Agencies - Xinhua") are cut by configurable
patterns. Invalid UTF-8 is decoded with replacement characters and counted.
Every record is accepted or rejected with file, line and reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.config import ArticlesConfig

SUFFIXES = (".txt", ".jsonl", ".csv")
REPLACEMENT = "\ufffd"


@dataclass
class IngestResult:
    """Accepted article records, rejects rows and messages for the user."""

    articles: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    read: int = 0

    def extend(self, other: "IngestResult") -> None:
        self.articles += other.articles
        self.rejects += other.rejects
        self.messages += other.messages
        self.read += other.read


def decode_bytes(raw: bytes) -> tuple[str, int]:
    """Decode UTF-8, replacing invalid byte sequences; return (text, number replaced)."""
    try:
        return raw.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        # U+FFFD that was already in the input is not a replacement we made.
        genuine = raw.count(REPLACEMENT.encode("utf-8"))
        return text, text.count(REPLACEMENT) - genuine


def article_id_for(text: str, given: object = None) -> str:
    """A stable article id: the record's own id (sanitised) if given, else a digest of the text."""
    if given is not None and str(given).strip():
        return re.sub(r"[^\w.-]+", "_", str(given).strip())[:80]
    return "a" + hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def cut_boilerplate(text: str, boilerplate_patterns: list[str], credit_patterns: list[str]) -> tuple[str, int, str | None]:
    """Cut trailing site boilerplate and credit lines.

    A line matching a boilerplate pattern starts the trailing boilerplate: it
    and everything after it go. Then trailing lines matching a credit pattern
    go; a credit pattern's group named ``outlet`` (``Agencies - Xinhua``)
    names the outlet. Returns (kept text, characters cut, outlet or None).
    """
    lines = text.split("\n")
    boiler = [re.compile(p, re.IGNORECASE) for p in boilerplate_patterns]
    credits = [re.compile(p, re.IGNORECASE) for p in credit_patterns]
    # Never treat the first line as boilerplate: an article that is only
    # boilerplate should be rejected as empty by the caller, not vanish here.
    for index, line in enumerate(lines[1:], start=1):
        if any(p.search(line) for p in boiler):
            lines = lines[:index]
            break
    outlet = None
    while lines and (not lines[-1].strip() or any(p.search(lines[-1]) for p in credits)):
        line = lines.pop()
        for pattern in credits:
            match = pattern.search(line)
            if match and "outlet" in pattern.groupindex and match.group("outlet") and outlet is None:
                outlet = match.group("outlet").strip()
    kept = "\n".join(lines).rstrip()
    return kept, len(text.rstrip()) - len(kept), outlet


def make_article(
    text: str, file: str, line: int | None, settings: ArticlesConfig, *,
    given_id: object = None, title: str | None = None, outlet: str | None = None, n_replaced: int = 0,
) -> tuple[dict | None, str | None]:
    """Build one article record, or return (None, reason) when it must be rejected."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if settings.txt_title_first_line and title is None and file.endswith(".txt"):
        first, _, rest = text.strip().partition("\n")
        title, text = first.strip() or None, rest
    body, n_cut, credit_outlet = cut_boilerplate(text, settings.boilerplate_patterns, settings.credit_patterns)
    body = body.strip()
    if not body:
        return None, "empty article: no text" + (" after boilerplate was cut" if n_cut else "")
    if len(body) > settings.max_chars:
        return None, (f"article has {len(body):,} characters, more than articles.max_chars={settings.max_chars:,} "
                      "(raise it to accept such articles)")
    return {
        "article_id": article_id_for(body, given_id), "file": file, "line": line,
        "title": title or None, "outlet": (str(outlet).strip() if outlet else None) or credit_outlet,
        "text": body, "n_chars": len(body), "n_replaced_chars": n_replaced, "n_boilerplate_chars": n_cut,
    }, None


def _reject(file: str, line: int | None, reason: str, raw: str) -> dict:
    return {"stage": "articles", "file": file, "line": line, "reason": reason, "raw": raw[:500]}


def _add(result: IngestResult, file: str, line: int | None, record: dict | None, reason: str | None, raw: str) -> None:
    if record is None:
        result.rejects.append(_reject(file, line, reason or "rejected", raw))
        result.messages.append(f"{file}:{line or 1}: rejected: {reason}")
    else:
        result.articles.append(record)
        if record["n_replaced_chars"]:
            result.messages.append(f"{file}:{line or 1}: invalid UTF-8: {record['n_replaced_chars']} "
                                   "byte sequence(s) replaced with U+FFFD")


def read_txt(raw: bytes, file: str, settings: ArticlesConfig) -> IngestResult:
    """One .txt file is one article."""
    result = IngestResult(read=1)
    text, n_replaced = decode_bytes(raw)
    record, reason = make_article(text, file, None, settings, n_replaced=n_replaced)
    _add(result, file, None, record, reason, text)
    return result


def read_jsonl(raw: bytes, file: str, settings: ArticlesConfig) -> IngestResult:
    """A .jsonl file: one JSON object a line; blank lines are skipped, not counted."""
    result = IngestResult()
    for line_no, raw_line in enumerate(raw.split(b"\n"), start=1):
        if not raw_line.strip():
            continue
        result.read += 1
        line, n_replaced = decode_bytes(raw_line)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            _add(result, file, line_no, None, f"not valid JSON: {exc.msg} at column {exc.colno}", line)
            continue
        if not isinstance(obj, dict):
            _add(result, file, line_no, None, f"expected a JSON object, got {type(obj).__name__}", line)
            continue
        _add(result, file, line_no, *_from_mapping(obj, file, line_no, settings, n_replaced), line)
    return result


def read_csv(raw: bytes, file: str, settings: ArticlesConfig) -> IngestResult:
    """A .csv file with a header row; a file without the text column is one reject (line 1)."""
    result = IngestResult()
    text, n_replaced_file = decode_bytes(raw)
    csv.field_size_limit(sys.maxsize)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        header, reason = None, f"unreadable CSV header: {exc}"
    else:
        reason = None if header else "empty CSV file: no header"
    if header is not None and settings.text_field not in header:
        reason = f"CSV has no column '{settings.text_field}' (articles.text_field); columns: {header}"
    if reason:
        result.read = 1
        _add(result, file, 1, None, reason, text[:500])
        return result
    previous_end = reader.line_num
    while True:
        start_line = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.read += 1
            _add(result, file, start_line, None, f"malformed CSV row: {exc}", "")
            previous_end = reader.line_num
            continue
        previous_end = reader.line_num
        result.read += 1
        n_replaced = sum(str(v).count(REPLACEMENT) for v in row.values() if v) if n_replaced_file else 0
        if None in row:
            _add(result, file, start_line, None, f"row has {len(row[None])} more field(s) than the header",
                 json.dumps(row, default=str))
            continue
        _add(result, file, start_line, *_from_mapping(row, file, start_line, settings, n_replaced),
             json.dumps(row, default=str))
    return result


def _from_mapping(obj: dict, file: str, line: int, settings: ArticlesConfig, n_replaced: int) -> tuple[dict | None, str | None]:
    text = obj.get(settings.text_field)
    if text is None:
        return None, f"no '{settings.text_field}' field (articles.text_field)"
    if not isinstance(text, str):
        return None, f"'{settings.text_field}' is a {type(text).__name__}, not a string"
    title = obj.get(settings.title_field)
    return make_article(
        text, file, line, settings, given_id=obj.get(settings.id_field),
        title=str(title) if title not in (None, "") else "", outlet=obj.get(settings.outlet_field),
        n_replaced=n_replaced,
    )


READERS = {".txt": read_txt, ".jsonl": read_jsonl, ".csv": read_csv}


def input_files(path: Path) -> list[Path]:
    """The article files under a folder (sorted), or the file itself."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"articles.input: {path} is neither a file nor a folder")
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def ingest_paths(paths: list[Path], settings: ArticlesConfig, root: Path | None = None) -> IngestResult:
    """Read every file; duplicate article ids are rejected after the first."""
    result = IngestResult()
    for path in paths:
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            result.read += 1
            _add(result, name, None, None, f"unsupported file type '{path.suffix}' (expected {SUFFIXES})", "")
            continue
        result.extend(reader(path.read_bytes(), name, settings))
    seen: dict[str, str] = {}
    kept = []
    for article in result.articles:
        where = f"{article['file']}:{article['line'] or 1}"
        if article["article_id"] in seen:
            reason = f"duplicate article id {article['article_id']} (first seen at {seen[article['article_id']]})"
            result.rejects.append(_reject(article["file"], article["line"], reason, article["text"]))
            result.messages.append(f"{where}: rejected: {reason}")
        else:
            seen[article["article_id"]] = where
            kept.append(article)
    result.articles = kept
    return result
