"""The Instance: typed tables of one network, all money in the instance currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from lean_chain.model.schema import TABLES


@dataclass(frozen=True, eq=False)
class Instance:
    """A validated network model.

    Each table is a pandas DataFrame with exactly the schema's columns, blanks
    filled with defaults and every money column converted to
    ``params['currency']``. Tables are treated as read-only.

    Examples
    --------
    >>> import lean_chain
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> inst.params["currency"]
    'CNY'
    """

    params: dict[str, Any]
    skus: pd.DataFrame
    nodes: pd.DataFrame
    lanes: pd.DataFrame
    demand: pd.DataFrame
    channels: pd.DataFrame
    tax_rules: pd.DataFrame
    fx: pd.DataFrame
    rates: pd.DataFrame
    weight_breaks: pd.DataFrame
    source: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    #: optional sales platforms and their commission tiers (None or empty: none)
    platforms: pd.DataFrame | None = None
    platform_fees: pd.DataFrame | None = None
    platform_returns: pd.DataFrame | None = None
    platform_fulfilment_fees: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.params.get("name") or (self.source.name if self.source else "instance")

    @property
    def safety_factor(self) -> float:
        """z for the cycle service level (standard normal quantile)."""
        return NormalDist().inv_cdf(self.params["service_level"])

    def table(self, name: str) -> pd.DataFrame:
        frame = getattr(self, name)
        if frame is None:  # an optional table the caller did not give
            table = TABLES[name]
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in table.column_names})
        return frame

    def row_prices(self) -> np.ndarray:
        """Price per unit of every demand row: ``demand.price``, else the SKU's retail price.

        The price consumers pay on the row's platform; the tax engine uses it wherever
        it would use the retail price (tax base, order-value caps, de minimis tests).
        """
        cached = self._cache.get("row_prices")
        if cached is not None:
            return cached
        retail = self.skus["retail_price"].to_numpy(np.float64)
        sku = pd.Index(self.skus["sku_id"]).get_indexer(self.demand["sku_id"])
        price = retail[sku]
        if "price" in self.demand.columns:
            own = self.demand["price"].to_numpy(np.float64)
            price = np.where(np.isnan(own), price, own)
        self._cache["row_prices"] = price
        return price

    def row_fulfilment_fees(self) -> np.ndarray:
        """Fulfilment fee per unit of every demand row (``platform_fulfilment_fees.csv``).

        The lowest fee among the size tiers of the row's platform that take its SKU
        (``weight_kg`` and ``volume_m3`` within the tier's limits, a blank limit
        taking any); 0 for a platform without tiers or a row sold directly; ``inf``
        when the SKU fits no tier of its platform (the index excludes such rows' paths).
        One array operation over (SKU, platform) x tier cells.
        """
        cached = self._cache.get("row_fulfilment_fees")
        if cached is not None:
            return cached
        n = len(self.demand)
        fees = np.zeros(n)
        tiers = self.table("platform_fulfilment_fees")
        if len(tiers) and "platform_id" in self.demand.columns:
            names, tier_platform = np.unique(
                tiers["platform_id"].astype(str).to_numpy(), return_inverse=True
            )
            tier_platform = tier_platform.reshape(-1)
            row_platform = pd.Index(names).get_indexer(self.demand["platform_id"].astype(str))
            sku = pd.Index(self.skus["sku_id"]).get_indexer(self.demand["sku_id"])
            rows = np.flatnonzero(row_platform >= 0)
            n_skus = len(self.skus)
            keys, of_row = np.unique(
                row_platform[rows].astype(np.int64) * n_skus + sku[rows], return_inverse=True
            )
            platform, key_sku = np.divmod(keys, n_skus)
            order = np.argsort(tier_platform, kind="stable")
            start = np.searchsorted(tier_platform[order], platform, side="left")
            count = np.searchsorted(tier_platform[order], platform, side="right") - start
            cell_key = np.repeat(np.arange(len(keys)), count)
            first = np.cumsum(count) - count
            tier = order[start[cell_key] + np.arange(len(cell_key)) - first[cell_key]]

            def limit(column: str) -> np.ndarray:
                return np.nan_to_num(tiers[column].to_numpy(np.float64), nan=np.inf)[tier]

            weight = self.skus["weight_kg"].to_numpy(np.float64)[key_sku[cell_key]]
            volume = self.skus["volume_m3"].to_numpy(np.float64)[key_sku[cell_key]]
            fits = (weight <= limit("max_weight_kg")) & (volume <= limit("max_volume_m3"))
            cell_fee = np.where(fits, tiers["fee_per_unit"].to_numpy(np.float64)[tier], np.inf)
            fees[rows] = np.minimum.reduceat(cell_fee, first)[of_row.reshape(-1)]
        self._cache["row_fulfilment_fees"] = fees
        return fees

    @property
    def has_platforms(self) -> bool:
        """True when the instance lists sales platforms (``platforms.csv``)."""
        return self.platforms is not None and len(self.platforms) > 0


def convert_money(
    tables: dict[str, pd.DataFrame], params: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Return copies of ``tables`` with money columns in the instance currency.

    Assumes currencies were validated against the FX table.
    """
    rates = dict(zip(tables["fx"]["currency"], tables["fx"]["rate_to_instance"], strict=True))
    rates[params["currency"]] = 1.0
    out = {}
    for name, frame in tables.items():
        table = TABLES[name]
        money = [c.name for c in table.columns if c.money]
        if not money or not table.currency_column:
            out[name] = frame
            continue
        frame = frame.copy()
        currency = frame[table.currency_column].where(
            frame[table.currency_column] != "", params["currency"]
        )
        factor = currency.map(rates).to_numpy(dtype=np.float64)
        for col in money:
            frame[col] = frame[col].to_numpy(dtype=np.float64) * factor
        out[name] = frame
    return out
