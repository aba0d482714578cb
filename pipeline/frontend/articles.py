"""articles: user articles (.txt, .jsonl, .csv) become the `articles` table.

A .txt file is one article (first line the title, by default); a .jsonl file
has one JSON object a line; a .csv file one row a record, with a header. Field
names come from the config. Article ids are stable: the record's own id when
it has one, else a digest of its text, so re-running on the same input gives
the same ids. Trailing site boilerplate ("Today's Top News" and the headline
list after it) and credit lines ("Agencies - Xinhua") are cut by configurable
patterns.

Nothing is lost and nothing garbled reaches the tables:

- every file under an input folder is read, or rejected as a whole with its
  reason (unsupported type, binary, too large, unreadable);
- bytes are decoded by their BOM (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), UTF-16
  without a BOM by its NUL-byte pattern, else as UTF-8; UTF-8 with invalid
  bytes and no valid multi-byte sequence falls back to cp1252 (latin-1 where
  cp1252 cannot), otherwise its invalid bytes become U+FFFD and are counted.
  The encoding is recorded per article;
- binary data is rejected: archive and image magic bytes, NUL bytes, or a
  share of control and replacement characters above
  ``articles.max_garbage_share``;
- text is normalised (:func:`normalise_text`): NFC, line breaks to ``\n``,
  C0/C1 controls other than ``\n`` and ``\t`` removed, format characters
  (zero-width, bidi controls, soft hyphen) removed, lone surrogates replaced;
- literal marker strings (``<src>`` ...) are replaced by look-alikes
  (``＜src＞``), counted, so marking a pair can never be ambiguous;
- a malformed record (bad JSON, a broken CSV quote, a wrong field count) is a
  reject naming its line, and the records after it are still read; an
  unexpected error on one record rejects that record, not the batch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pipeline.core.config import ArticlesConfig, ExamplesConfig
from pipeline.core.markers import MarkerError, escape_markers, marker_strings

SUFFIXES = (".txt", ".jsonl", ".csv")
REPLACEMENT = "\ufffd"
DEFAULT_MARKERS = marker_strings(ExamplesConfig())

#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
)
#: Leading bytes of binary formats that are never articles.
MAGIC = (
    (b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
    (b"\xfd7zXZ\x00", "xz"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"(\xb5/\xfd", "zstd"), (b"%PDF-", "PDF"),
    (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"\x7fELF", "ELF"),
    (b"SQLite format 3\x00", "SQLite"),
)
#: Binary formats whose magic bytes are printable: recognised only with their longer signature.
_MAGIC_RE = ((re.compile(rb"BZh[1-9]1AY&SY"), "bzip2"), (re.compile(rb"PAR1(?s:.*)PAR1\Z"), "Parquet"))
#: Characters that are line breaks in Unicode but not ``\n``.
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n\n", "\x85": "\n", "\x0b": "\n", "\x0c": "\n"}
_LINE_BREAK_RE = re.compile("|".join(re.escape(k) for k in sorted(_LINE_BREAKS, key=len, reverse=True)))
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_GARBAGE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


class InputError(ValueError):
    """A whole file cannot be read as articles (binary, unsupported, too large); the message is the reason."""


@dataclass
class IngestResult:
    """Accepted article records, rejects rows, messages for the user and counts that reconcile.

    Files: ``files_read = files_used + files_rejected`` (a rejected file is
    one rejects row with no line). Records: ``read = accepted + rejected``
    (the records of used files). ``counts`` tallies what was repaired.
    """

    articles: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    read: int = 0
    files_read: int = 0
    files_used: int = 0
    files_rejected: int = 0
    record_rejects: int = 0
    counts: Counter = field(default_factory=Counter)

    def extend(self, other: "IngestResult") -> None:
        self.articles += other.articles
        self.rejects += other.rejects
        self.messages += other.messages
        self.read += other.read
        self.files_read += other.files_read
        self.files_used += other.files_used
        self.files_rejected += other.files_rejected
        self.record_rejects += other.record_rejects
        self.counts.update(other.counts)

    def reconciles(self) -> bool:
        """Whether files and records are all accounted for, and every reject is a file or a record."""
        return (self.files_read == self.files_used + self.files_rejected
                and self.read == len(self.articles) + self.record_rejects
                and len(self.rejects) == self.files_rejected + self.record_rejects)

    def summary(self) -> str:
        """The reconciliation line: files and records."""
        return (f"files: read {self.files_read} = used {self.files_used} + rejected {self.files_rejected}; "
                f"records: read {self.read} = accepted {len(self.articles)} + rejected {self.record_rejects}")


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes: the encoding used and how many invalid sequences became U+FFFD."""

    text: str
    encoding: str
    n_replaced: int = 0


def binary_kind(raw: bytes) -> str | None:
    """The binary format `raw` starts with ("gzip", "zip", ...), or None."""
    found = next((name for magic, name in MAGIC if raw.startswith(magic)), None)
    return found or next((name for pattern, name in _MAGIC_RE if pattern.match(raw)), None)


def utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when `raw` has UTF-16's NUL-byte pattern for mostly-Latin text, else None.

    In UTF-16 LE text of Latin script every other byte (the odd ones) is NUL
    and the even ones are not; BE the reverse. Judged on the first 4096 bytes:
    at least 70 % NUL in one parity and at most 5 % in the other.
    """
    sample = raw[:4096]
    if len(sample) < 4 or len(raw) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    share = lambda half: half.count(0) / len(half)  # noqa: E731
    if share(odd) >= 0.7 and share(even) <= 0.05:
        return "utf-16-le"
    if share(even) >= 0.7 and share(odd) <= 0.05:
        return "utf-16-be"
    return None


def decode_bytes(raw: bytes) -> tuple[str, int]:
    """Decode UTF-8, replacing invalid byte sequences; return (text, number replaced).

    Kept for callers that want plain UTF-8 with replacement; ingest uses :func:`decode_text`.
    """
    try:
        return raw.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        # U+FFFD that was already in the input is not a replacement we made.
        genuine = raw.count(REPLACEMENT.encode("utf-8"))
        return text, text.count(REPLACEMENT) - genuine


def decode_text(raw: bytes) -> Decoded:
    """Decode the bytes of a file, or raise InputError when they are not text.

    A BOM decides the encoding; then UTF-16 without a BOM by its NUL
    pattern; any other NUL byte, or leading magic bytes of an archive or
    image, mean binary. Valid UTF-8 is UTF-8. Invalid UTF-8 that holds valid
    multi-byte sequences too is UTF-8 with its invalid bytes replaced (and
    counted); invalid UTF-8 without any is cp1252, or latin-1 where cp1252
    leaves bytes undefined.
    """
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            body = raw[len(bom):]
            text = body.decode(encoding.replace("-sig", ""), errors="replace")
            genuine = body.count(REPLACEMENT.encode(encoding.replace("-sig", "")))
            return Decoded(text, encoding, max(0, text.count(REPLACEMENT) - genuine))
    kind = binary_kind(raw)
    if kind:
        raise InputError(f"binary file: {kind} data (decompress or extract it first)")
    if b"\x00" in raw:
        encoding = utf16_without_bom(raw)
        if encoding is None:
            raise InputError(f"binary file: {raw.count(0):,} NUL byte(s) and no UTF-16/UTF-32 byte-order mark")
        text = raw.decode(encoding, errors="replace")
        return Decoded(text, encoding, text.count(REPLACEMENT))
    try:
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    text, n_replaced = decode_bytes(raw)
    if any(ord(c) > 127 and c != REPLACEMENT for c in text):
        return Decoded(text, "utf-8", n_replaced)
    try:
        return Decoded(raw.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return Decoded(raw.decode("latin-1"), "latin-1")


def garbage_share(text: str, unassigned: bool = False) -> float:
    """The share of `text` that is control characters (other than tab and line breaks) or U+FFFD; with
    `unassigned`, unassigned and private-use code points too (what random bytes decoded as UTF-16 or
    UTF-32 look like; UTF-8 text may hold characters newer than Python's Unicode tables)."""
    if not text:
        return 0.0
    bad = len(_GARBAGE_RE.findall(text))
    if unassigned and not text.isascii():
        bad += sum(1 for c in text if ord(c) > 0x9F and c != REPLACEMENT and unicodedata.category(c) in ("Cn", "Co"))
    return bad / len(text)


def check_not_binary(text: str, settings: ArticlesConfig, what: str = "text", unassigned: bool = False) -> None:
    """Raise InputError when too much of `text` is control or replacement characters (see :func:`garbage_share`)."""
    share = garbage_share(text, unassigned)
    if share > settings.max_garbage_share:
        raise InputError(f"binary or wrongly encoded {what}: {share:.0%} control, replacement or unassigned characters "
                         f"(articles.max_garbage_share={settings.max_garbage_share})")


def count_surrogates(text: str) -> int:
    """How many lone surrogates (from JSON escapes such as ``\\ud800``) `text` holds."""
    return len(_SURROGATE_RE.findall(text))


def normalise_text(text: str) -> tuple[str, int]:
    """NFC text with only ``\n`` and ``\t`` as controls; return (text, characters removed or changed).

    Lone surrogates become U+FFFD; ``\r\n``, ``\r``, U+2028/2029, NEL, VT
    and FF become line breaks; other C0 and C1 controls, and format
    characters (zero-width space and joiners, word joiner, BOM, bidi
    controls, soft hyphen), are removed.
    """
    text, n_surrogates = _SURROGATE_RE.subn(REPLACEMENT, text)
    text, n_breaks = _LINE_BREAK_RE.subn(lambda m: _LINE_BREAKS[m.group()], text)
    text, n_controls = _CONTROL_RE.subn("", text)
    n_format = 0
    if not text.isascii():
        kept = "".join(c for c in text if unicodedata.category(c) != "Cf")
        n_format = len(text) - len(kept)
        composed = unicodedata.normalize("NFC", kept)
        n_format += (len(kept) - len(composed)) or (composed != kept)
        text = composed
    return text, n_surrogates + n_breaks + n_controls + n_format


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


def clean_field(value: str, markers: tuple[str, ...]) -> tuple[str, int, int, int]:
    """A text field normalised and with marker strings escaped: (text, lone surrogates replaced,
    other characters normalised, markers escaped)."""
    n_surrogates = count_surrogates(value)
    value, n_normalised = normalise_text(value)
    value, n_markers = escape_markers(value, markers)
    return value, n_surrogates, n_normalised - n_surrogates, n_markers


def make_article(
    text: str, file: str, line: int | None, settings: ArticlesConfig, *,
    given_id: object = None, title: str | None = None, outlet: str | None = None, n_replaced: int = 0,
    encoding: str = "utf-8", markers: tuple[str, ...] = DEFAULT_MARKERS,
) -> tuple[dict | None, str | None]:
    """Build one article record, or return (None, reason) when it must be rejected.

    The text must not be binary (see :func:`check_not_binary`); text, title
    and outlet are normalised and their marker strings escaped, both counted
    in the record.
    """
    try:
        check_not_binary(text, settings)
    except InputError as exc:
        return None, str(exc)
    text, n_surrogates, n_normalised, n_markers = clean_field(text, markers)
    if settings.txt_title_first_line and title is None and file.endswith(".txt"):
        first, _, rest = text.strip().partition("\n")
        title, text = first.strip() or None, rest
    elif title:
        title, *counts = clean_field(title, markers)
        n_surrogates, n_normalised, n_markers = (x + y for x, y in zip((n_surrogates, n_normalised, n_markers), counts))
    if outlet is not None and str(outlet).strip():
        outlet, *counts = clean_field(str(outlet), markers)
        n_surrogates, n_normalised, n_markers = (x + y for x, y in zip((n_surrogates, n_normalised, n_markers), counts))
    body, n_cut, credit_outlet = cut_boilerplate(text, settings.boilerplate_patterns, settings.credit_patterns)
    body = body.strip()
    if not body:
        return None, "empty article: no text" + (" after boilerplate was cut" if n_cut else "")
    if len(body) > settings.max_chars:
        return None, (f"article has {len(body):,} characters, more than articles.max_chars={settings.max_chars:,} "
                      "(raise it to accept such articles)")
    given = normalise_text(str(given_id))[0] if given_id is not None else None
    return {
        "article_id": article_id_for(body, given), "file": file, "line": line,
        "title": title or None, "outlet": (str(outlet).strip() if outlet else None) or credit_outlet,
        "text": body, "n_chars": len(body), "n_replaced_chars": n_replaced + n_surrogates,
        "n_boilerplate_chars": n_cut, "encoding": encoding, "n_normalised_chars": n_normalised,
        "n_escaped_markers": n_markers,
    }, None


def safe_text(value: str, limit: int = 500) -> str:
    """`value` as text any table or XML can hold: normalised, no surrogates, cut to `limit` characters."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if count_surrogates(value) else value
    return normalise_text(value)[0][:limit]


def _reject(file: str, line: int | None, reason: str, raw: str) -> dict:
    return {"stage": "articles", "file": safe_text(file), "line": line, "reason": safe_text(reason, 2000),
            "raw": safe_text(raw)}


def _add(result: IngestResult, file: str, line: int | None, record: dict | None, reason: str | None, raw: str) -> None:
    """Add one record's outcome: an article, or a record reject (counted)."""
    if record is None:
        result.rejects.append(_reject(file, line, reason or "rejected", raw))
        result.record_rejects += 1
        result.messages.append(f"{safe_text(file)}:{line or 1}: rejected: {safe_text(reason or 'rejected', 2000)}")
        return
    result.articles.append(record)
    for key in ("n_replaced_chars", "n_normalised_chars", "n_escaped_markers"):
        result.counts[key] += record[key]
    if record["n_replaced_chars"]:
        result.messages.append(f"{file}:{line or 1}: {record['n_replaced_chars']} invalid byte sequence(s) or lone "
                               "surrogate(s) replaced with U+FFFD")
    if record["n_escaped_markers"]:
        result.messages.append(f"{file}:{line or 1}: {record['n_escaped_markers']} literal marker string(s) "
                               "replaced by a look-alike")


def _reject_file(result: IngestResult, file: str, reason: str, raw: str = "") -> None:
    """Reject a whole file (a rejects row without a line)."""
    result.rejects.append(_reject(file, None, reason, raw))
    result.files_rejected += 1
    result.messages.append(f"{safe_text(file)}: file rejected: {safe_text(reason, 2000)}")


@dataclass(frozen=True)
class RawRecord:
    """One record as a format reader found it: its fields, or the reason it is malformed."""

    line: int | None
    fields: dict | None
    raw: str
    reason: str | None = None


def txt_records(text: str) -> Iterator[RawRecord]:
    """A .txt file: one record, the whole text (the title is its first line, see make_article)."""
    yield RawRecord(None, {"__text__": text}, text)


def jsonl_records(text: str) -> Iterator[RawRecord]:
    """A .jsonl file: one JSON object a line; blank lines are skipped, not counted."""
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, strict=False)  # raw control characters in strings: normalised later
        except json.JSONDecodeError as exc:
            yield RawRecord(line_no, None, line, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield RawRecord(line_no, None, line, "not valid JSON: nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield RawRecord(line_no, None, line, f"expected a JSON object, got {type(obj).__name__}")
            continue
        yield RawRecord(line_no, obj, line)


def _physical_lines(text: str) -> list[str]:
    """The lines of `text` with their line ends (``\n``, ``\r\n`` or ``\r``), as the csv module reads them."""
    return list(io.StringIO(text, newline=""))


def _one_csv_row(lines: list[str], start: int) -> tuple[list[str] | None, int, str | None]:
    """Parse one CSV record from physical line `start`: (fields, lines consumed, error or None)."""
    reader = csv.reader((lines[i] for i in range(start, len(lines))), strict=True)
    try:
        row = next(reader)
    except StopIteration:
        return None, max(reader.line_num, 1), None
    except csv.Error as exc:
        return None, max(reader.line_num, 1), str(exc)
    return row, max(reader.line_num, 1), None


def csv_records(text: str, text_field: str) -> Iterator[RawRecord]:
    """A .csv file with a header row, parsed strictly, one record at a time.

    A record that cannot be parsed (an unterminated or stray quote) or has
    another number of fields than the header is a reject naming its first
    line; when it ran over several lines, parsing resumes on the line after
    its first, so a broken quote costs one record, not the rest of the file.
    A header without the text column raises InputError (the file is
    rejected).
    """
    csv.field_size_limit(sys.maxsize)
    lines = _physical_lines(text)
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines):
        raise InputError("empty CSV file: no header")
    header, used, error = _one_csv_row(lines, index)
    if error or header is None:
        raise InputError(f"unreadable CSV header on line {index + 1}: {error}")
    if text_field not in header:
        raise InputError(f"CSV has no column '{text_field}' (articles.text_field); columns: {header}")
    if len(set(header)) < len(header):
        raise InputError(f"CSV header on line {index + 1} repeats a column name: {header}")
    index += used
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        row, used, error = _one_csv_row(lines, index)
        first = lines[index]
        if error is None and row is not None and len(row) == len(header):
            yield RawRecord(index + 1, dict(zip(header, row)), "".join(lines[index:index + used]))
            index += used
            continue
        if error is None and row is not None:
            error = f"row has {len(row)} field(s), the header has {len(header)}"
        if used > 1:
            error += f" (the record ran over lines {index + 1}-{index + used}: an unterminated quote?)"
        yield RawRecord(index + 1, None, first, f"malformed CSV row: {error}")
        index += 1


def _from_fields(fields: dict, file: str, line: int | None, settings: ArticlesConfig, decoded: Decoded,
                 markers: tuple[str, ...]) -> tuple[dict | None, str | None]:
    """An article from one record's fields (a .txt file's text, a JSON object, a CSV row)."""
    if "__text__" in fields:
        return make_article(fields["__text__"], file, line, settings, n_replaced=decoded.n_replaced,
                            encoding=decoded.encoding, markers=markers)
    text = fields.get(settings.text_field)
    if text is None:
        return None, f"no '{settings.text_field}' field (articles.text_field)"
    if not isinstance(text, str):
        return None, f"'{settings.text_field}' is a {type(text).__name__}, not a string"
    title = fields.get(settings.title_field)
    outlet = fields.get(settings.outlet_field)
    n_replaced = text.count(REPLACEMENT) + str(title or "").count(REPLACEMENT) if decoded.n_replaced else 0
    return make_article(
        text, file, line, settings, given_id=fields.get(settings.id_field),
        title=str(title) if title not in (None, "") else "", outlet=str(outlet) if outlet is not None else None,
        n_replaced=n_replaced, encoding=decoded.encoding, markers=markers,
    )


def read_records(raw: bytes, file: str, settings: ArticlesConfig, records, markers: tuple[str, ...]) -> IngestResult:
    """Decode one file and turn its records (``records(text)`` yields RawRecords) into articles and rejects.

    The file is rejected as a whole when it is too large, binary or not
    decodable; each record is accepted or rejected on its own, and an
    unexpected error on one record rejects that record only.
    """
    result = IngestResult(files_read=1)
    try:
        if len(raw) > settings.max_file_bytes:
            raise InputError(f"file has {len(raw):,} bytes, more than articles.max_file_bytes="
                             f"{settings.max_file_bytes:,}")
        decoded = decode_text(raw)
        check_not_binary(decoded.text, settings, "file", unassigned=decoded.encoding.startswith(("utf-16", "utf-32")))
        found = records(decoded.text)
        first = next(found, None)
    except InputError as exc:
        _reject_file(result, file, str(exc), raw[:500].decode("utf-8", "replace"))
        return result
    except Exception as exc:  # noqa: BLE001 - one bad file must not take the batch down
        _reject_file(result, file, f"unreadable file: {type(exc).__name__}: {exc}", raw[:500].decode("utf-8", "replace"))
        return result
    result.files_used = 1
    if decoded.encoding not in ("utf-8", "utf-8-sig"):
        result.counts[f"encoding {decoded.encoding}"] += 1
        result.messages.append(f"{file}: decoded as {decoded.encoding}")
    pending = [first] if first is not None else []
    while pending or first is not None:
        try:
            item = pending.pop() if pending else next(found)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 - one bad record must not take the batch down
            result.read += 1
            _add(result, file, None, None, f"unreadable record: {type(exc).__name__}: {exc}", "")
            break
        result.read += 1
        if item.fields is None:
            _add(result, file, item.line, None, item.reason, item.raw)
            continue
        try:
            record, reason = _from_fields(item.fields, file, item.line, settings, decoded, markers)
        except (MarkerError, ValueError, TypeError, RecursionError) as exc:
            record, reason = None, f"unreadable record: {type(exc).__name__}: {exc}"
        _add(result, file, item.line, record, reason, item.raw)
    return result


def read_txt(raw: bytes, file: str, settings: ArticlesConfig, markers: tuple[str, ...] = DEFAULT_MARKERS) -> IngestResult:
    """One .txt file is one article."""
    return read_records(raw, file, settings, txt_records, markers)


def read_jsonl(raw: bytes, file: str, settings: ArticlesConfig, markers: tuple[str, ...] = DEFAULT_MARKERS) -> IngestResult:
    """A .jsonl file: one JSON object a line; blank lines are skipped, not counted."""
    return read_records(raw, file, settings, jsonl_records, markers)


def read_csv(raw: bytes, file: str, settings: ArticlesConfig, markers: tuple[str, ...] = DEFAULT_MARKERS) -> IngestResult:
    """A .csv file with a header row, parsed strictly (see :func:`csv_records`)."""
    return read_records(raw, file, settings, lambda text: csv_records(text, settings.text_field), markers)


READERS = {".txt": read_txt, ".jsonl": read_jsonl, ".csv": read_csv}


def input_files(path: Path) -> list[Path]:
    """Every file under a folder (sorted), whatever its type, or the file itself.

    Files of other types, broken links and pipes are listed too: ingest
    rejects them with their reason, so that every entry is accounted for.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"articles.input: {path} is neither a file nor a folder")
    return sorted(p for p in path.rglob("*") if not p.is_dir())


def _display_name(path: Path, root: Path | None) -> str:
    """The file's name for tables and messages: relative to `root` when under it, always valid text."""
    name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    return safe_text(name, 1000)


def read_path(path: Path, settings: ArticlesConfig, root: Path | None = None,
              markers: tuple[str, ...] = DEFAULT_MARKERS) -> IngestResult:
    """Read one input file; a file of another type, or one that cannot be read, is one reject with its reason.

    Each file is read on its own, so that files can be read in parallel (the
    Ray engine) and merged in their listed order with :func:`drop_duplicate_ids`.
    """
    result = IngestResult()
    name = _display_name(path, root)
    if not path.is_file():
        result.files_read += 1
        _reject_file(result, name, "not a regular file (a broken link, a pipe or a device)")
        return result
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        result.files_read += 1
        _reject_file(result, name, f"unsupported file type '{path.suffix or '(none)'}' "
                                   f"(expected one of {', '.join(SUFFIXES)})")
        return result
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.files_read += 1
        _reject_file(result, name, f"unreadable file: {exc.strerror or exc}")
        return result
    return reader(raw, name, settings, markers)


def drop_duplicate_ids(result: IngestResult) -> IngestResult:
    """`result` with each article id kept at its first record only; the later ones become rejects.

    `result` holds the files' results merged in their listed order (the order
    decides which record is first). Changes and returns `result`.
    """
    seen: dict[str, str] = {}
    kept = []
    for article in result.articles:
        where = f"{article['file']}:{article['line'] or 1}"
        if article["article_id"] in seen:
            reason = f"duplicate article id {article['article_id']} (first seen at {seen[article['article_id']]})"
            result.rejects.append(_reject(article["file"], article["line"], reason, article["text"]))
            result.record_rejects += 1
            result.messages.append(f"{where}: rejected: {reason}")
        else:
            seen[article["article_id"]] = where
            kept.append(article)
    result.articles = kept
    return result


def merge_results(results: list[IngestResult]) -> IngestResult:
    """Per-file results, in the files' listed order, as one result with duplicate ids rejected."""
    merged = IngestResult()
    for result in results:
        merged.extend(result)
    return drop_duplicate_ids(merged)


def ingest_paths(paths: list[Path], settings: ArticlesConfig, root: Path | None = None,
                 markers: tuple[str, ...] = DEFAULT_MARKERS) -> IngestResult:
    """Read every file; a file of another type, or one that cannot be read, is rejected with its reason.

    Duplicate article ids are rejected after the first.
    """
    return merge_results([read_path(path, settings, root, markers) for path in paths])
