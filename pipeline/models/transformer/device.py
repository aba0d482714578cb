"""Where and how fast the network runs: device, threads, native bf16, seeds."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def pick_device(setting: str) -> torch.device:
    """``auto``: CUDA when present, else CPU. Nothing requires a GPU."""
    if setting == "cuda" or (setting == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("transformer.device=cuda but no CUDA device is available")
        return torch.device("cuda")
    return torch.device("cpu")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AMX or AVX512-BF16). Elsewhere torch emulates
    bf16 and it is slower than fp32, so `auto` settings use it only here."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(bool(check()) for check in checks if callable(check))


def resolve_inference(setting: str, device: torch.device) -> str:
    """The prediction path a setting means on `device`: on a GPU always the GPU's own
    (``gpu``); on a CPU ``auto`` is bf16 with native bf16, else fp32.

    Not int8 under ``auto``: its activations are quantized with one scale per batch, so a pair's
    probabilities move with the other texts of its batch (on a 2-core AVX2 EPYC, 20 of 3,605 labels
    flipped between one call and per-article calls, probabilities by up to 0.14; fp32 moved by
    1e-6, none flipped), and it was only 8 % faster than fp32 there. int8 stays a setting."""
    if device.type == "cuda":
        return "gpu"
    if setting == "auto":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return setting


def set_threads(threads: int | None) -> int:
    """Use `threads` CPU threads (default: every core this process may use)."""
    if threads:
        count = threads
    else:
        count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    count = max(1, int(count))
    torch.set_num_threads(count)
    return count
