import hashlib

import pytest

from pipeline.core.config import CorpusSource
from pipeline.corpora.fetch import (
    ChecksumError,
    ManifestEntry,
    fetch_file,
    parse_manifest,
    sha256_file,
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    (root / "dse").mkdir(parents=True)
    (root / "dse" / "train.txt").write_bytes(b"line one\nline two\n")
    return root


SOURCE = CorpusSource(base_url="https://example.invalid/none", manifest="unused", mirror_subdir="dse")


def test_parse_manifest():
    text = f"{'a' * 64}  train.txt\n\n# comment\n{'b' * 64}  sub/x.json\n"
    assert parse_manifest(text) == [ManifestEntry("train.txt", "a" * 64), ManifestEntry("sub/x.json", "b" * 64)]


@pytest.mark.parametrize("line", ["nothex  train.txt", f"{'a' * 64} train.txt", f"{'a' * 64}  ../escape"])
def test_bad_manifest_line_is_named(line):
    with pytest.raises(ValueError, match=":1:"):
        parse_manifest(line, "m.sha256")


def test_fetch_from_mirror_verifies(mirror, tmp_path):
    entry = ManifestEntry("train.txt", _sha(b"line one\nline two\n"))
    dest = tmp_path / "raw"
    assert fetch_file(entry, SOURCE, dest, mirror, 5) == "fetched"
    assert sha256_file(dest / "train.txt") == entry.sha256
    assert fetch_file(entry, SOURCE, dest, mirror, 5) == "kept"


def test_truncated_mirror_file_is_reported_and_never_used(mirror, tmp_path):
    good = _sha(b"line one\nline two\n")
    (mirror / "dse" / "train.txt").write_bytes(b"line one\n")  # truncated
    dest = tmp_path / "raw"
    with pytest.raises(ChecksumError) as error:
        fetch_file(ManifestEntry("train.txt", good), SOURCE, dest, mirror, 5)
    message = str(error.value)
    assert good in message and _sha(b"line one\n") in message and "train.txt" in message
    assert not (dest / "train.txt").exists()
    assert not any(dest.iterdir())  # no temporary file left behind either


def test_corrupt_local_copy_is_replaced(mirror, tmp_path):
    entry = ManifestEntry("train.txt", _sha(b"line one\nline two\n"))
    dest = tmp_path / "raw"
    dest.mkdir()
    (dest / "train.txt").write_bytes(b"tampered")
    assert fetch_file(entry, SOURCE, dest, mirror, 5) == "fetched"
    assert sha256_file(dest / "train.txt") == entry.sha256


def test_missing_mirror_file_is_named(mirror, tmp_path):
    with pytest.raises(FileNotFoundError, match="valid.txt"):
        fetch_file(ManifestEntry("valid.txt", "0" * 64), SOURCE, tmp_path / "raw", mirror, 5)
