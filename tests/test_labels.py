import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.labels import (
    DSE_CLASSES,
    HOSTILE,
    LABELS,
    NEUTRAL,
    SUPPORTIVE,
    SWAP_PAIR_CLASS,
    directed_proba,
    encode_labels,
    five_to_directed,
    pair_class,
)


def test_five_classes_map_to_the_design_scheme():
    assert five_to_directed(0) == (NEUTRAL, NEUTRAL)
    assert five_to_directed(1) == (SUPPORTIVE, NEUTRAL)
    assert five_to_directed(2) == (NEUTRAL, SUPPORTIVE)
    assert five_to_directed(3) == (HOSTILE, NEUTRAL)
    assert five_to_directed(4) == (NEUTRAL, HOSTILE)


@pytest.mark.parametrize("bad", [5, -1, "x"])
def test_unknown_dse_class_is_refused(bad):
    with pytest.raises(ValueError, match="not a DSE class"):
        five_to_directed(bad)


@given(st.sampled_from(DSE_CLASSES))
def test_pair_class_of_the_reverse_reading_is_the_swap(dse_class):
    assert pair_class(dse_class, "qp") == SWAP_PAIR_CLASS[pair_class(dse_class, "pq")]
    assert SWAP_PAIR_CLASS[SWAP_PAIR_CLASS[dse_class]] == dse_class
    # The directed label of (q -> p) is what the swapped pair class says of its source.
    label_qp = five_to_directed(dse_class)[1]
    one_hot = np.eye(5)[[pair_class(dse_class, "qp")]]
    assert LABELS[directed_proba(one_hot).argmax()] == label_qp


def test_directed_proba_sums_probability_mass():
    proba = np.array([[0.1, 0.2, 0.3, 0.25, 0.15]])
    out = directed_proba(proba)
    assert out.sum() == pytest.approx(1.0)
    assert out[0, LABELS.index(SUPPORTIVE)] == pytest.approx(0.2)
    assert out[0, LABELS.index(HOSTILE)] == pytest.approx(0.25)
    assert out[0, LABELS.index(NEUTRAL)] == pytest.approx(0.55)


def test_encode_labels_names_unknown_labels():
    with pytest.raises(ValueError, match="positive"):
        encode_labels(["supportive", "positive"])
