"""Profit mode: a demand row sells only when its SKU is listed on its platform, a
listing needs its platform open, and an open platform serves at least its minimum
fill rate of its demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import TOLERANCE, ConstraintFamily, RowBuilder, add_link_rows

if TYPE_CHECKING:
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def listings_used(model: CostModel, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(SKU, platform) listings and platforms that sell anything under ``share``."""
    sales = model.sales
    sold = np.bincount(model.pair_kq, weights=share, minlength=len(sales.kq_sku)) > 0
    platform_open = np.zeros(len(sales.platform_fee), dtype=bool)
    platform_open[sales.kq_platform[sold & (sales.kq_platform >= 0)]] = True
    return sold, platform_open


def platform_demand(model: CostModel) -> np.ndarray:
    """Units demanded per platform (the base of its minimum fill rate)."""
    platform = model.sales.platform[model.kr_demand_row]
    on = platform >= 0
    units = model.instance.demand["units"].to_numpy(np.float64)[model.kr_demand_row]
    return np.bincount(
        platform[on], weights=units[on], minlength=len(model.sales.platform_min_fill)
    )


def define_listing_rows(b: RowBuilder, model: CostModel) -> None:
    """Profit mode: a demand row sells only when its SKU is listed on its platform
    (sum of shares <= L_kq), a listing needs its platform open (L_kq <= O_q), and an open
    platform serves at least its minimum fill rate of its demand."""
    if not model.profit_mode:
        return
    x0, l0, o0 = b.col_blocks["x"].start, b.col_blocks["L"].start, b.col_blocks["O"].start
    n, n_kr = model.n_pairs, len(model.kr_demand_row)
    sales = model.sales
    kq_of_kr = sales.row_kq[model.kr_demand_row]
    b.add_rows(
        "listing_link",
        n_kr,
        np.concatenate([model.kr_of_pair, np.arange(n_kr)]),
        np.concatenate([x0 + np.arange(n), l0 + kq_of_kr]),
        np.concatenate([np.ones(n), -np.ones(n_kr)]),
        -np.inf,
        0.0,
        objects=("demand_row", model.kr_demand_row),
    )
    on = np.flatnonzero(sales.kq_platform >= 0)
    add_link_rows(b, "platform_link", l0 + on, o0 + sales.kq_platform[on])
    platform = sales.platform[model.index.pairs.demand_row]
    fill = sales.platform_min_fill
    demanded = platform_demand(model)
    rows = np.flatnonzero((fill > 0) & (demanded > 0))
    if len(rows):
        row_of = np.full(len(fill), -1, dtype=np.int64)
        row_of[rows] = np.arange(len(rows))
        members = np.flatnonzero((platform >= 0) & (row_of[np.maximum(platform, 0)] >= 0))
        m = len(rows)
        b.add_rows(
            "platform_fill",
            m,
            np.concatenate([row_of[platform[members]], np.arange(m)]),
            np.concatenate([x0 + members, o0 + rows]),
            np.concatenate([model.demand_units[members], -fill[rows] * demanded[rows]]),
            0.0,
            np.inf,
        )


def listing_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Profit mode: open platforms below their minimum fill rate.

    Listings and platforms are read from the shares (:func:`listings_used`), so
    the two links hold by construction.
    """
    sales, share = model.sales, decisions.share
    fill = sales.platform_min_fill
    if not model.profit_mode or not np.any(fill > 0):
        return []
    wanted = platform_demand(model)
    pair_platform = sales.platform[model.index.pairs.demand_row]
    sold_on = pair_platform >= 0
    sold = np.bincount(
        pair_platform[sold_on],
        weights=(model.demand_units * share)[sold_on],
        minlength=len(fill),
    )
    _, platform_open = listings_used(model, share)
    ids = model.instance.table("platforms")["platform_id"].to_numpy(object)
    bad = platform_open & (sold < fill * wanted * (1 - TOLERANCE) - TOLERANCE)
    return [
        f"platform {ids[q]}: fill rate {sold[q] / wanted[q]:.4f} < its minimum {fill[q]:g}"
        for q in np.flatnonzero(bad)
    ]


FAMILY = ConstraintFamily(
    name="listing",
    define=define_listing_rows,
    violations=listing_violations,
    rows=("listing_link", "platform_link", "platform_fill"),
)
