"""Sales terms per demand row: price, commission and platform fees (vectorized).

A demand row sells through at most one platform (``demand.platform_id``; blank:
sold directly, no fees). Per unit of the row, at the row's price ``P``
(``demand.price``, else ``skus.retail_price``; :meth:`Instance.row_prices`):

- commission = max(``min_commission_per_unit``, tiered commission of ``P``), the tiers
  of ``platform_fees.csv`` for the platform and the SKU's category (an exact
  category before ``'*'``): ``whole`` tiers charge the rate of the tier ``P``
  falls in on all of ``P``; ``portion`` tiers charge each tier's rate on the part
  of ``P`` inside it;
- payment fee = ``payment_fee_rate`` x P;
- order fee = ``fee_per_order`` / units per order;
- fulfilment fee = the platform's size-tier fee for the SKU
  (``platform_fulfilment_fees.csv``, :meth:`Instance.row_fulfilment_fees`).

Per (SKU, platform) listing: ``listing_fee`` per horizon; per platform:
``annual_fee`` x horizon / 365 when it sells anything.

Examples
--------
A 10 % tier below 100 and 5 % from 100 up ("whole" price): a 99 sale pays 9.90,
a 120 sale 6.00; as portions, 120 pays 10 + 1 = 11.00:

>>> import numpy as np
>>> tiers = dict(low=np.array([0.0, 100.0]), high=np.array([100.0, np.inf]),
...              rate=np.array([0.10, 0.05]))
>>> tiered_commission(np.array([99.0, 120.0]), np.array([0, 0]), **tiers,
...                   group=np.array([0, 0]), portion=np.array([False])).round(2).tolist()
[9.9, 6.0]
>>> tiered_commission(np.array([120.0]), np.array([0]), **tiers,
...                   group=np.array([0, 0]), portion=np.array([True])).round(2).tolist()
[11.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lean_chain.model.instance import Instance


@dataclass(frozen=True, eq=False)
class SalesTerms:
    """Per demand row: price and per-unit fees; per platform and listing: fixed fees.

    ``platform`` indexes ``instance.platforms`` (-1: sold directly). ``net_price`` is
    price - commission - payment fee - order fee per unit. Listing groups ``kq`` are
    the (SKU, platform) combinations with demand; ``row_kq`` gives each demand row's.
    """

    price: np.ndarray
    commission: np.ndarray
    payment_fee: np.ndarray
    order_fee: np.ndarray
    fulfilment_fee: np.ndarray
    platform: np.ndarray
    row_kq: np.ndarray
    kq_sku: np.ndarray
    kq_platform: np.ndarray  # -1: sold directly
    kq_listing_fee: np.ndarray
    platform_fee: np.ndarray  # annual fee x horizon / 365, per platform
    platform_min_fill: np.ndarray
    # returns per demand row (platform_returns.csv; 0 without)
    return_rate: np.ndarray | None = None
    cost_per_return: np.ndarray | None = None
    resaleable_share: np.ndarray | None = None
    reimport_tax_rate: np.ndarray | None = None

    @property
    def net_price(self) -> np.ndarray:
        return (
            self.price - self.commission - self.payment_fee - self.order_fee - self.fulfilment_fee
        )

    @property
    def fees(self) -> np.ndarray:
        """Payment, order and fulfilment fees per unit (commission apart)."""
        return self.payment_fee + self.order_fee + self.fulfilment_fee


def tiered_commission(
    price: np.ndarray,
    group_of: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    rate: np.ndarray,
    group: np.ndarray,
    portion: np.ndarray,
) -> np.ndarray:
    """Commission per unit of each ``price`` under the tiers of its group ``group_of``
    (-1: no tiers, commission 0).

    Tiers are given as parallel arrays ``low``, ``high`` (inf: no limit), ``rate``
    with their ``group``; ``portion[g]`` says whether group g charges per portion.
    One array operation over (price, tier of its group) cells.
    """
    out = np.zeros(len(price))
    if len(low) == 0 or len(price) == 0:
        return out
    order = np.argsort(group, kind="stable")
    n_groups = len(portion)
    start = np.searchsorted(group[order], np.arange(n_groups), side="left")
    stop = np.searchsorted(group[order], np.arange(n_groups), side="right")
    has = group_of >= 0
    g = np.where(has, group_of, 0)
    counts = np.where(has, stop[g] - start[g], 0)
    item = np.repeat(np.arange(len(price)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    tier = order[start[g][item] + offset]
    p = price[item]
    by_portion = portion[g[item]]
    inside = (p >= low[tier]) & (p < high[tier])
    part = np.clip(np.minimum(p, high[tier]) - low[tier], 0.0, None)
    cell = np.where(by_portion, rate[tier] * part, np.where(inside, rate[tier] * p, 0.0))
    np.add.at(out, item, cell)
    return out


def sales_terms(instance: Instance) -> SalesTerms:
    """Price and fees of every demand row of ``instance`` (cached on the instance)."""
    cached = instance._cache.get("sales_terms")
    if cached is not None:
        return cached
    demand, skus = instance.demand, instance.skus
    platforms = instance.table("platforms")
    fees = instance.table("platform_fees")
    price = instance.row_prices()
    n = len(demand)
    platform_ids = pd.Index(platforms["platform_id"].astype(str))
    row_platform_id = (
        demand["platform_id"].astype(str)
        if "platform_id" in demand.columns
        else pd.Series([""] * n)
    )
    platform = platform_ids.get_indexer(row_platform_id).astype(np.int64)
    on = platform >= 0
    safe = np.maximum(platform, 0)

    def column(name: str) -> np.ndarray:
        values = platforms[name].to_numpy(np.float64) if len(platforms) else np.zeros(1)
        return np.where(on, values[safe] if len(platforms) else 0.0, 0.0)

    units_per_order = demand["units_per_order"].to_numpy(np.float64)
    payment_fee = column("payment_fee_rate") * price
    order_fee = column("fee_per_order") / units_per_order
    minimum = column("min_commission_per_unit")

    sku = pd.Index(skus["sku_id"]).get_indexer(demand["sku_id"])
    category = skus["category"].astype(str).to_numpy(object)[sku]
    commission = np.zeros(n)
    if len(fees) and on.any():
        keys = fees["platform_id"].astype(str) + "\x1f" + fees["category"].astype(str)
        groups, group = np.unique(keys.to_numpy(object), return_inverse=True)
        group = group.reshape(-1)
        lookup = pd.Index(groups)
        pid = row_platform_id.to_numpy(object)
        exact = lookup.get_indexer(pid + "\x1f" + category)
        star = lookup.get_indexer(pid + "\x1f*")
        group_of = np.where(on, np.where(exact >= 0, exact, star), -1)
        portion = np.zeros(len(groups), dtype=bool)
        portion[group] = (fees["tier_mode"] == "portion").to_numpy(bool)
        commission = tiered_commission(
            price,
            group_of,
            fees["min_price"].to_numpy(np.float64),
            np.nan_to_num(fees["max_price"].to_numpy(np.float64), nan=np.inf),
            fees["commission_rate"].to_numpy(np.float64),
            group,
            portion,
        )
    commission = np.where(on, np.maximum(commission, minimum), 0.0)

    n_skus = len(skus)
    kq_key = (platform + 1) * n_skus + sku
    kq_keys, row_kq = np.unique(kq_key, return_inverse=True)
    kq_platform = kq_keys // n_skus - 1
    kq_sku = kq_keys % n_skus
    kq_listing_fee = np.zeros(len(kq_keys))
    if len(platforms):
        listing = platforms["listing_fee"].to_numpy(np.float64)
        kq_listing_fee = np.where(kq_platform >= 0, listing[np.maximum(kq_platform, 0)], 0.0)
    returns = _row_returns(instance, row_platform_id.to_numpy(object), category, on)
    horizon = float(instance.params["horizon_days"])
    annual = platforms["annual_fee"].to_numpy(np.float64) if len(platforms) else np.zeros(0)
    terms = SalesTerms(
        price=price,
        commission=commission,
        payment_fee=payment_fee,
        order_fee=order_fee,
        # a row whose SKU fits no size tier has no path: its fee is never charged
        fulfilment_fee=np.nan_to_num(instance.row_fulfilment_fees(), posinf=0.0),
        platform=platform,
        row_kq=row_kq.reshape(-1).astype(np.int64),
        kq_sku=kq_sku.astype(np.int64),
        kq_platform=kq_platform.astype(np.int64),
        kq_listing_fee=kq_listing_fee,
        platform_fee=annual * horizon / 365.0,
        platform_min_fill=(
            platforms["min_fill_rate"].to_numpy(np.float64) if len(platforms) else np.zeros(0)
        ),
        **returns,
    )
    instance._cache["sales_terms"] = terms
    return terms


def _row_returns(
    instance: Instance, platform_id: np.ndarray, category: np.ndarray, on: np.ndarray
) -> dict[str, np.ndarray]:
    """Return rate, cost per return, resaleable share and re-import tax rate per demand
    row: the platform's row for the SKU's category, else its '*' row, else none."""
    table = instance.table("platform_returns")
    n = len(platform_id)
    out = {
        name: np.zeros(n)
        for name in ("return_rate", "cost_per_return", "resaleable_share", "reimport_tax_rate")
    }
    if len(table) == 0 or not on.any():
        return out
    keys = pd.Index(table["platform_id"].astype(str) + "\x1f" + table["category"].astype(str))
    exact = keys.get_indexer(platform_id + "\x1f" + category)
    star = keys.get_indexer(platform_id + "\x1f*")
    found = np.where(on, np.where(exact >= 0, exact, star), -1)
    has = found >= 0
    for name in out:
        values = table[name].to_numpy(np.float64)
        out[name] = np.where(has, values[np.maximum(found, 0)], 0.0)
    return out


def pair_returns_cost(
    instance: Instance, terms: SalesTerms, pairs, procurement: np.ndarray
) -> np.ndarray:
    """Returns cost per unit sold of every pair: rate x (refund of the price less the
    commission refunded + cost per return + the written-off share of the procurement cost
    + re-import taxes on exports outside the CBEC export return exemption)."""
    if terms.return_rate is None or not np.any(terms.return_rate > 0):
        return np.zeros(len(pairs.demand_row))
    from lean_chain.rules.returns import reimport_exempt

    row = pairs.demand_row
    channels = instance.channels
    export = (channels["direction"] == "export").to_numpy(bool)[pairs.channel]
    category = instance.skus["category"].astype(str).to_numpy(object)[pairs.sku]
    channel_id = channels["channel_id"].astype(str).to_numpy(object)[pairs.channel]
    exempt = reimport_exempt(str(instance.params.get("as_of", "")), channel_id, category)
    taxed = export & ~exempt
    per_return = (
        terms.price[row]
        - terms.commission[row]
        + terms.cost_per_return[row]
        + (1.0 - terms.resaleable_share[row]) * procurement
        + np.where(taxed, terms.reimport_tax_rate[row] * procurement, 0.0)
    )
    return terms.return_rate[row] * per_return
