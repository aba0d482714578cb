import numpy as np
import pytest

from pipeline.bench_model import machine, micro_f1, set_inference
from pipeline.config import ExamplesConfig, HybridConfig, TransformerConfig
from pipeline.models.hybrid import HybridModel, blend
from pipeline.models.majority import MajorityModel
from pipeline.models.transformer import TransformerModel

MARKERS = ExamplesConfig()


def test_micro_f1_is_accuracy_over_rows():
    assert micro_f1(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 3])) == pytest.approx(0.75)


def test_set_inference_reaches_transformers_inside_a_hybrid():
    transformer = TransformerModel(TransformerConfig(), MARKERS)
    hybrid = HybridModel(HybridConfig(), MARKERS)
    hybrid.members = [transformer, MajorityModel(MARKERS)]
    assert set_inference(hybrid, "fp32") and transformer.inference == "fp32"
    assert not set_inference(MajorityModel(MARKERS), "int8")


def test_blend_rows_sum_to_one_and_weights_pick_members():
    first = np.array([[0.7, 0.1, 0.1, 0.05, 0.05]])
    second = np.array([[0.1, 0.6, 0.1, 0.1, 0.1]])
    for kind in ("linear", "log"):
        np.testing.assert_allclose(blend(first, second, 1.0, 1.0, kind), first, atol=1e-9)
        np.testing.assert_allclose(blend(first, second, 0.0, 1.0, kind), second, atol=1e-9)
        mixed = blend(first, second, 0.5, 2.0, kind)
        assert mixed.sum() == pytest.approx(1.0)


def test_machine_names_the_cpu_and_cores():
    info = machine()
    assert info["cores"] >= 1 and info["torch_threads"] >= 1 and info["cpu"]
