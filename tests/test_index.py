"""The compiled index (lean_chain/index.py): paths, pairs and the hard rules that drop them."""

from __future__ import annotations

import numpy as np

import lean_chain
from lean_chain.index import DROP_REASONS, build_index, excluded_options, parse_shape
from tests.conftest import TINY, set_cells


def test_tiny_has_one_path_per_channel_and_every_sku_on_both():
    """tiny: S1 -> BZ -> R1 (1210, stocked at BZ, 2 days from stock) and S1 -> R1 (9610, 8 days)."""
    index = build_index(lean_chain.load_instance(TINY))
    assert index.paths.key.tolist() == ["1210|L1>L2", "9610|L3"]
    assert index.paths.promise_days.tolist() == [2.0, 8.0]
    node = index.node_pos
    assert index.paths.stock_node.tolist() == [node["BZ"], -1]
    assert len(index.pairs) == 4 and len(index.pairs.excluded_path) == 0
    assert sorted(zip(index.pairs.sku.tolist(), index.pairs.path.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    ]


def test_every_dropped_candidate_keeps_the_first_rule_it_breaks(make_variant):
    """A off the positive list: 9610 and 1210 both require it, so A's two candidates are
    dropped for that rule; B keeps both paths."""
    folder = make_variant(
        tables={
            "skus": set_cells("sku_id", "A", positive_list="false"),
            "channels": set_cells("channel_id", "1210", requires_positive_list="false"),
        }
    )
    instance = lean_chain.load_instance(folder)
    index = build_index(instance)
    pairs = index.pairs
    assert len(pairs) == 3
    assert pairs.dropped["positive_list"] == 1
    assert pairs.excluded_demand_row.tolist() == [0]
    assert index.paths.key[pairs.excluded_path].tolist() == ["9610|L3"]
    assert np.array(DROP_REASONS)[pairs.excluded_reason].tolist() == ["positive_list"]
    why = excluded_options(index, instance, np.array([0, 1]))
    assert why[["demand_row", "channel_id", "rule"]].values.tolist() == [
        [0, "9610", "positive_list"]
    ]
    # only the candidates that would have arrived in time, when asked
    assert excluded_options(index, instance, np.array([0]), np.array([5.0])).empty


def test_parse_shape_marks_optional_steps():
    assert parse_shape("supplier>port?>region") == [
        ("supplier", False),
        ("port", True),
        ("region", False),
    ]
