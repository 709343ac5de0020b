"""A SKU ships from a stocking node only where it is stocked, is stocked only at an
open node, and keeps its minimum stock there."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints import base
from lean_chain.costs.constraints.findings import bound_explainer

if TYPE_CHECKING:
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def define_stocking_rows(b: base.RowBuilder, model: CostModel) -> None:
    """Per (demand row, stocking node): shares <= s_kh; s_kh <= z_h; minimum stock."""
    x0, s0, z0 = b.col_blocks["x"].start, b.col_blocks["s"].start, b.col_blocks["z"].start
    stocked = np.flatnonzero(model.kh_of_pair >= 0)
    if len(stocked) == 0:
        return
    node = model.index.pairs.stock_node[stocked]
    n_nodes = len(model.instance.nodes)
    n_groups, group = base.group_rows(model.kr_of_pair[stocked] * n_nodes + node)
    kh_of_group = np.zeros(n_groups, dtype=np.int64)
    kh_of_group[group] = model.kh_of_pair[stocked]
    b.add_rows(
        "stock_link",
        n_groups,
        np.concatenate([group, np.arange(n_groups)]),
        np.concatenate([x0 + stocked, s0 + kh_of_group]),
        np.concatenate([np.ones(len(stocked)), -np.ones(n_groups)]),
        -np.inf,
        0.0,
    )
    n_kh = len(model.kh_sku)
    base.add_link_rows(b, "open_link", s0 + np.arange(n_kh), z0 + model.kh_h)
    with_min = base.stock_groups_with_minimum(model)
    if len(with_min):
        i0 = b.col_blocks["I"].start
        local = np.full(n_kh, -1, dtype=np.int64)
        local[with_min] = np.arange(len(with_min))
        members = stocked[local[model.kh_of_pair[stocked]] >= 0]
        row = local[model.kh_of_pair[members]]
        m = len(with_min)
        b.add_rows(
            "stock_required",
            m,
            np.concatenate([np.arange(m), row]),
            np.concatenate([i0 + np.arange(m), x0 + members]),
            np.concatenate([np.ones(m), -model.on_hand_per_share[members]]),
            0.0,
            np.inf,
        )
        b.add_rows(
            "stock_minimum",
            m,
            np.repeat(np.arange(m), 2),
            np.column_stack([i0 + np.arange(m), s0 + with_min]).ravel(),
            np.column_stack([np.ones(m), -model.kh_min_stock[with_min]]).ravel(),
            0.0,
            np.inf,
            objects=("stock_group", with_min),
        )


def stocking_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Flow from a node where the SKU is not stocked; stock at a closed node.

    The plan's on-hand stock is at least the minimum by construction
    (:func:`lean_chain.costs.evaluate.on_hand_stock`).
    """
    inst = model.instance
    node_ids = inst.nodes["node_id"].to_numpy(object)
    sku_ids = inst.skus["sku_id"].to_numpy(object)
    share = decisions.share
    problems = []
    stocked_pairs = model.kh_of_pair >= 0
    kh_flow = np.bincount(
        model.kh_of_pair[stocked_pairs], weights=share[stocked_pairs], minlength=len(model.kh_sku)
    )
    unstocked = np.flatnonzero((kh_flow > base.TOLERANCE) & ~decisions.stocked)
    for g in unstocked[: base.MAX_LISTED]:
        problems.append(
            f"{sku_ids[model.kh_sku[g]]} ships from {node_ids[model.kh_node[g]]} "
            "where it is not stocked"
        )
    at_closed = np.flatnonzero(decisions.stocked & ~decisions.node_open[model.kh_h])
    for g in at_closed[: base.MAX_LISTED]:
        problems.append(
            f"{sku_ids[model.kh_sku[g]]} stocked at closed node {node_ids[model.kh_node[g]]}"
        )
    return problems


FAMILY = base.ConstraintFamily(
    name="stocking",
    define=define_stocking_rows,
    violations=stocking_violations,
    rows=("stock_link", "open_link", "stock_required", "stock_minimum"),
    limits={"stock_minimum": "units"},
    explain_slack=bound_explainer("minimum stock"),
)
