"""fetch: bring the gold corpora into data/raw, whole and unaltered.

Each corpus has a sha256 manifest under configs/. Files come from the offline
mirror named by an environment variable when it is set, else from the pinned
upstream URL. Every file is verified before it is used; a corrupt or
truncated one is reported with both sums and never lands in data/raw.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import CONFIG_DIR, Config, CorpusSource
from pipeline.core.tables import atomic_path

log = logging.getLogger(__name__)


class ChecksumError(RuntimeError):
    """A file's sha256 differs from the pinned one."""


@dataclass(frozen=True)
class ManifestEntry:
    """One pinned file of a corpus."""

    relpath: str
    sha256: str


def parse_manifest(text: str, source: str = "<manifest>") -> list[ManifestEntry]:
    """Parse ``sha256sum`` output: ``<64 hex>  <relative path>`` per line."""
    entries = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        digest, _, relpath = line.strip().partition("  ")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not relpath:
            raise ValueError(f"{source}:{line_no}: expected '<sha256>  <path>', got {line!r}")
        if relpath.startswith("/") or ".." in Path(relpath).parts:
            raise ValueError(f"{source}:{line_no}: path must stay inside the corpus: {relpath!r}")
        entries.append(ManifestEntry(relpath=relpath, sha256=digest))
    if not entries:
        raise ValueError(f"{source}: manifest lists no files")
    return entries


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    """Raise ChecksumError naming both sums when `path` is not the pinned file."""
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumError(f"{path}: sha256 mismatch: expected {expected}, got {actual} (corrupt or truncated)")


def corpus_sha256(source: CorpusSource) -> str:
    """One digest for a whole corpus version: the sha256 of its manifest."""
    return hashlib.sha256((CONFIG_DIR / source.manifest).read_bytes()).hexdigest()


def corpus_digests(config: Config) -> dict[str, str]:
    """``<name>_sha256`` -> the corpus digest, for every configured corpus (tags of each run)."""
    return {f"{name}_sha256": corpus_sha256(source) for name, source in config.corpora.sources().items()}


def _obtain(entry: ManifestEntry, source: CorpusSource, mirror: Path | None, tmp: Path, timeout: float) -> str:
    """Copy or download one file to `tmp`; return where it came from."""
    if mirror is not None:
        origin = mirror / source.mirror_subdir / entry.relpath
        if not origin.exists():
            raise FileNotFoundError(f"{origin}: not in the mirror (needed by {source.manifest})")
        shutil.copyfile(origin, tmp)
        return str(origin)
    url = f"{source.base_url.rstrip('/')}/{entry.relpath}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, TimeoutError) as exc:
        raise ConnectionError(f"{url}: cannot download ({getattr(exc, 'reason', exc)}); set "
                              f"STANCE_DATA_MIRROR to an offline mirror or check the network") from None
    return url


def fetch_file(entry: ManifestEntry, source: CorpusSource, dest_dir: Path, mirror: Path | None, timeout: float) -> str:
    """Make `dest_dir/entry.relpath` the pinned file; return 'kept' or 'fetched'."""
    dest = dest_dir / entry.relpath
    if dest.exists():
        try:
            verify(dest, entry.sha256)
            return "kept"
        except ChecksumError as exc:
            log.warning("%s; fetching it again", exc)
    with atomic_path(dest) as tmp:
        origin = _obtain(entry, source, mirror, tmp, timeout)
        try:
            verify(tmp, entry.sha256)
        except ChecksumError as exc:
            raise ChecksumError(f"{origin}: {str(exc).split(': ', 1)[1]}") from None
    return "fetched"


def verify_corpus(name: str, config: Config) -> int:
    """Check every raw file of a fetched corpus against its manifest; return the number checked.

    A missing or changed file raises one line naming it and what to do.
    """
    source = config.corpora.source(name)
    manifest_path = CONFIG_DIR / source.manifest
    entries = parse_manifest(manifest_path.read_text(encoding="utf-8"), str(manifest_path))
    raw_dir = config.raw_dir / name
    for entry in entries:
        path = raw_dir / entry.relpath
        if not path.is_file():
            raise ChecksumError(f"{path}: missing; run `make fetch` (python -m pipeline fetch) first")
        if sha256_file(path) != entry.sha256:
            raise ChecksumError(f"{path}: changed since fetch (sha256 differs from {manifest_path.name}); "
                                f"delete it and run `make fetch` again")
    return len(entries)


def mirror_folder(config: Config) -> Path | None:
    """The offline mirror, when its environment variable is set."""
    value = os.environ.get(config.corpora.mirror_env)
    if not value:
        return None
    mirror = Path(value).expanduser().resolve()
    if not mirror.is_dir():
        raise FileNotFoundError(f"{config.corpora.mirror_env}={value}: not a folder")
    return mirror


def fetch_corpus(name: str, config: Config) -> dict[str, int]:
    """Fetch and verify every file of one configured corpus into data/raw/<name>/; return counts."""
    source = config.corpora.source(name)
    manifest_path = CONFIG_DIR / source.manifest
    entries = parse_manifest(manifest_path.read_text(encoding="utf-8"), str(manifest_path))
    mirror = mirror_folder(config)
    dest_dir = config.raw_dir / name
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(
            lambda e: fetch_file(e, source, dest_dir, mirror, config.corpora.download_timeout_s), entries
        ))
    counts = {"files": len(entries), "fetched": outcomes.count("fetched"), "kept": outcomes.count("kept")}
    log.info("%s: %d files verified (%d fetched from %s, %d already here)",
             name, counts["files"], counts["fetched"], mirror or source.base_url, counts["kept"])
    return counts
