"""Packaged encoders: split-zip assembly with a pinned checksum."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from pipeline.models import encoders
from pipeline.models.encoders import (
    EncoderUnavailable,
    SplitZipEncoder,
    assemble,
    is_complete,
    part_files,
)


def split_zip(tmp_path, parts: int = 3):
    """A zip holding an encoder folder, cut into `parts` pieces; returns (pieces, sha256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in encoders.REQUIRED_FILES:
            archive.writestr(f"enc/{name}", f"content of {name} " * 50)
    data = buffer.getvalue()
    size = -(-len(data) // parts)
    pieces = []
    for i in range(parts):
        piece = tmp_path / f"enc.zip.{i + 1:03d}"
        piece.write_bytes(data[i * size:(i + 1) * size])
        pieces.append(piece)
    return pieces, hashlib.sha256(data).hexdigest()


@pytest.fixture
def fake_encoder(tmp_path, monkeypatch):
    pieces, sha = split_zip(tmp_path)
    spec = SplitZipEncoder(name="enc", distributions=("enc-part-1", "enc-part-2", "enc-part-3"),
                           zip_sha256=sha, folder_in_zip="enc")
    monkeypatch.setitem(encoders.SPLIT_ENCODERS, "enc", spec)
    monkeypatch.setattr(encoders, "part_files", lambda encoder: pieces)
    return pieces


def test_assemble_joins_checks_and_unpacks_once(fake_encoder, tmp_path):
    folder = assemble("enc", tmp_path / "encoders")
    assert folder == tmp_path / "encoders" / "enc" and is_complete(folder)
    assert (folder / "config.json").read_text().startswith("content of config.json")
    assert [p.name for p in (tmp_path / "encoders").iterdir()] == ["enc"]  # no scratch left behind
    fake_encoder[0].unlink()  # a rerun with the folder complete does not need the pieces
    assert assemble("enc", tmp_path / "encoders") == folder


def test_a_corrupt_piece_is_refused_and_leaves_no_folder(fake_encoder, tmp_path):
    fake_encoder[1].write_bytes(b"x" + fake_encoder[1].read_bytes()[1:])
    with pytest.raises(EncoderUnavailable, match="sha256"):
        assemble("enc", tmp_path / "encoders")
    assert not (tmp_path / "encoders" / "enc").exists()


def test_missing_packages_are_named_with_the_command_that_installs_them():
    spec = SplitZipEncoder(name="x", distributions=("no-such-dist-part-001",), zip_sha256="0" * 64,
                           folder_in_zip="x")
    with pytest.raises(EncoderUnavailable, match=r"no-such-dist-part-001.*pip install no-such-dist-part-001"):
        part_files(spec)


def test_unknown_encoder_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown packaged encoder"):
        assemble("nope", tmp_path)
