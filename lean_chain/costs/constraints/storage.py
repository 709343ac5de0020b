"""On-hand stock at an open node fits its storage (m3); a closed node stores nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints import base
from lean_chain.costs.constraints.findings import node_limit_finding

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def m3_per_stock_unit(model: CostModel) -> np.ndarray:
    """Storage one unit of on-hand stock of each (SKU, node) group kh takes, in m3."""
    return model.sku_volume_m3[model.kh_sku]


def define_storage_rows(b: base.RowBuilder, model: CostModel) -> None:
    """Storage (on-hand m3) of open nodes: substituted stock on the shares, explicit
    stock I_kh, <= the node's m3 times z_h."""
    storage_nodes = np.flatnonzero(~np.isnan(model.h_storage_m3))
    if len(storage_nodes) == 0:
        return
    x0, z0 = b.col_blocks["x"].start, b.col_blocks["z"].start
    h_of_pair = model.h_of_pair
    stocked = np.flatnonzero(h_of_pair >= 0)
    row_of_h = base.rows_of(storage_nodes, len(model.h_node))
    sub = stocked[base.substituted_stock(model)[stocked] & (row_of_h[h_of_pair[stocked]] >= 0)]
    with_min = base.stock_groups_with_minimum(model)
    kh_rows = row_of_h[model.kh_h[with_min]]
    keep = kh_rows >= 0
    i0 = b.col_blocks["I"].start if "I" in b.col_blocks else 0
    m = len(storage_nodes)
    b.add_rows(
        "storage",
        m,
        np.concatenate([row_of_h[h_of_pair[sub]], kh_rows[keep], np.arange(m)]),
        np.concatenate([x0 + sub, i0 + np.flatnonzero(keep), z0 + storage_nodes]),
        np.concatenate(
            [
                model.pair_volume_m3[sub] * model.on_hand_per_share[sub],
                m3_per_stock_unit(model)[with_min[keep]],
                -model.h_storage_m3[storage_nodes],
            ]
        ),
        -np.inf,
        0.0,
        objects=("node", model.h_node[storage_nodes]),
    )


def storage_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Nodes whose on-hand stock takes more m3 than they hold (closed: any)."""
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    storage = np.bincount(
        model.kh_h, weights=m3_per_stock_unit(model) * on_hand, minlength=len(model.h_node)
    )
    cap = base.node_capacity(model.h_storage_m3, decisions.node_open)
    return [
        f"storage at {node_ids[model.h_node[h]]}: {storage[h]:.6g} m3 > {cap[h]:.6g} m3"
        for h in base.over_limit(storage, cap)
    ]


def explain_storage_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The node's storage that has to give, and the demand rows only it can serve."""
    return node_limit_finding(namer, gave, namer.model.h_storage_m3, "storage", gave.unit)


FAMILY = base.coupling_family(
    "storage",
    define_storage_rows,
    storage_violations,
    explain_storage_slack,
    unit="m³",
    when_full=("m³", "storage is full", "storage"),
)
