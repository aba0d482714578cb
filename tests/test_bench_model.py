import numpy as np
import pytest

from pipeline.bench.model import machine
from pipeline.core.config import ExamplesConfig
from pipeline.models.hybrid import HybridConfig, HybridModel, blend
from pipeline.models.majority import MajorityModel
from pipeline.models.transformer import TransformerConfig
from pipeline.models.transformer.model import TransformerModel

MARKERS = ExamplesConfig()


def test_a_hybrid_offers_and_sets_the_prediction_paths_of_its_transformer():
    transformer = TransformerModel(TransformerConfig(inference="bf16"), MARKERS)
    hybrid = HybridModel(HybridConfig(), MARKERS)
    hybrid.members = [transformer, MajorityModel(MARKERS)]
    assert hybrid.prediction_paths() == transformer.prediction_paths()
    assert {"fp32", "int8", "bf16"} <= set(hybrid.prediction_paths())
    hybrid.set_prediction_path("int8")
    assert transformer.inference == "int8"
    assert hybrid.configured_prediction_path() == "bf16"


def test_a_family_without_fast_paths_offers_none():
    model = MajorityModel(MARKERS)
    assert model.prediction_paths() == [] and model.configured_prediction_path() == "fp32"
    with pytest.raises(ValueError, match="no prediction path"):
        model.set_prediction_path("int8")


def test_blend_rows_sum_to_one_and_weights_pick_members():
    first = np.array([[0.7, 0.1, 0.1, 0.05, 0.05]])
    second = np.array([[0.1, 0.6, 0.1, 0.1, 0.1]])
    for kind in ("linear", "log"):
        np.testing.assert_allclose(blend(first, second, 1.0, 1.0, kind), first, atol=1e-9)
        np.testing.assert_allclose(blend(first, second, 0.0, 1.0, kind), second, atol=1e-9)
        mixed = blend(first, second, 0.5, 2.0, kind)
        assert mixed.sum() == pytest.approx(1.0)


def test_machine_names_this_cpu_and_its_cores():
    import os
    from pathlib import Path

    import torch

    info = machine()
    model_names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name")]
    if model_names:
        assert info["cpu"] == model_names[0]
    assert info["cores"] == len(os.sched_getaffinity(0))
    assert info["torch_threads"] == torch.get_num_threads() and info["torch"] == torch.__version__
