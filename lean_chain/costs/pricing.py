"""What a landed-cost kernel reads and writes, and the per-pair steps around the tax regime.

The inputs are four small tables of float64, one row per SKU, demand row,
path and tax rule, whose columns are named once, in :data:`SKU_FIELDS`,
:data:`ROW_FIELDS`, :data:`PATH_FIELDS` and
:data:`lean_chain.costs.regimes.RULE_FIELDS`, and one array per pair for each
of :data:`PAIR_FIELDS`. Both kernels (numpy and fused) run the same three
steps, written once here and in :mod:`lean_chain.costs.regimes`:
:func:`tax_base`, the pair's regime formula, then :func:`unit_costs`. Like the
regime formulas, the steps read the same on scalars (one pair, compiled) and
on arrays (every pair, numpy): the tables are passed as the pair's rows (1-D)
or as the gathered columns (2-D, one column per pair), and ``j`` is the pair
(an int) or ``slice(None)``.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from lean_chain.costs.regimes import RULE, RULE_FIELDS, TaxBase, columns, select

#: Per-unit landed-cost components, in the order of :attr:`LandedCost.components`.
COMPONENTS = (
    "procurement",
    "freight",
    "handling",
    "duty",
    "vat",
    "consumption_tax",
    "parcel_tax",
    "export_rebate",
)
#: What a kernel writes per pair: the components, then these (11 float64 in all).
OUTPUTS = (*COMPONENTS, "held_value", "transaction_value", "order_value")

#: Columns of the SKU table.
SKU_FIELDS = (
    "procurement_cost",
    "weight_kg",
    "volume_m3",
    "consumption_tax_rate",
    "export_rebate_rate",
)
#: Columns of the demand-row table; ``price`` is the row's price per unit on its
#: platform (``Instance.row_prices``: else the SKU's retail price).
ROW_FIELDS = ("price", "units_per_order", "shipping_per_order")
#: Columns of the path table: freight per kg, m3 and unit of the SKU, in total, up
#: to the border (customs value), inbound to the stocking node (held value) and
#: until the goods leave the origin's territory (FOB value); handling per unit.
PATH_FIELDS = (
    *(
        f"{part}_per_{unit}"
        for part in ("freight", "border_freight", "inbound_freight", "fob_freight")
        for unit in ("kg", "m3", "unit")
    ),
    "handling_per_unit",
)
#: One array per pair: indices into the tables (int32: 4 bytes less to read per
#: index and pair), flags and per-pair amounts.
PAIR_FIELDS = {
    "sku": np.int32,
    "path": np.int32,
    "row": np.int32,
    "rule": np.int32,
    "earns_rebate": np.bool_,  # the channel earns the export rebate
    "single_item_over_cap": np.bool_,  # a single item above the order-value cap
    "duty_paid_stock": np.bool_,  # the stocking node holds duty-paid goods
    "over_cap_duty_rate": np.float64,  # duty rate of a single item above the cap, else 0
    "parcel_freight": np.float64,  # parcel-rate freight per unit (lean_chain.costs.rates)
    "parcel_border": np.float64,  # ... of which up to the border
    "parcel_inbound": np.float64,  # ... of which inbound to the stocking node
}
SKU = columns("SkuColumns", SKU_FIELDS)
ROW = columns("RowColumns", ROW_FIELDS)
PATH = columns("PathColumns", PATH_FIELDS)
PairArrays = namedtuple("PairArrays", tuple(PAIR_FIELDS))

_TABLE_FIELDS = {"sku": SKU_FIELDS, "row": ROW_FIELDS, "path": PATH_FIELDS, "rule": RULE_FIELDS}


def pack(fields: tuple[str, ...], **values) -> np.ndarray:
    """A C-contiguous float64 table whose columns are ``values[f]`` for ``f`` in ``fields``.

    Raises
    ------
    ValueError
        When a field is missing or an unknown one is given.

    Examples
    --------
    >>> pack(("a", "b"), b=[3.0, 4.0], a=[1, 2])
    array([[1., 3.],
           [2., 4.]])
    """
    missing, extra = set(fields) - set(values), set(values) - set(fields)
    if missing or extra:
        raise ValueError(f"missing columns {sorted(missing)}, unknown {sorted(extra)}")
    return np.ascontiguousarray(
        np.column_stack([np.asarray(values[f], dtype=np.float64) for f in fields])
    )


def pair_arrays(**values) -> PairArrays:
    """The per-pair arrays of :data:`PAIR_FIELDS`, each contiguous in its dtype."""
    return PairArrays(
        **{f: np.ascontiguousarray(values[f], dtype=dtype) for f, dtype in PAIR_FIELDS.items()}
    )


@dataclass(frozen=True, eq=False)
class LandedInputs:
    """Everything a landed-cost kernel reads: four tables and the per-pair arrays.

    ``sku``, ``row``, ``path``, ``rule``: C-contiguous float64 tables, one row per
    entity, columns :data:`SKU_FIELDS`, :data:`ROW_FIELDS`, :data:`PATH_FIELDS`,
    :data:`~lean_chain.costs.regimes.RULE_FIELDS`; ``pair``: :data:`PAIR_FIELDS`.
    A kernel's arguments are these fields in this order, then the outputs.
    """

    sku: np.ndarray
    row: np.ndarray
    path: np.ndarray
    rule: np.ndarray
    pair: PairArrays

    def __post_init__(self) -> None:
        for name, fields in _TABLE_FIELDS.items():
            table = getattr(self, name)
            if table.ndim != 2 or table.shape[1] != len(fields) or table.dtype != np.float64:
                raise ValueError(f"{name} must be float64 of shape (n, {len(fields)})")
            if not table.flags.c_contiguous:
                object.__setattr__(self, name, np.ascontiguousarray(table))

    @property
    def n_pairs(self) -> int:
        return len(self.pair.sku)

    def arrays(self) -> tuple:
        """The kernel's input arguments, in field order."""
        return (self.sku, self.row, self.path, self.rule, self.pair)


@dataclass(frozen=True, eq=False)
class LandedCost:
    """Per-unit cost components of every pair (rows = components, columns = pairs).

    ``export_rebate`` is stored as a negative amount so that ``total`` is the
    plain column sum. ``held_value`` is the value of one unit while in stock at
    the pair's stocking node (procurement + inbound freight, plus duty and
    consumption tax when the node holds duty-paid goods).
    """

    components: np.ndarray  # shape (len(COMPONENTS), n_pairs)
    held_value: np.ndarray
    transaction_value: np.ndarray
    order_value: np.ndarray

    @classmethod
    def empty(cls, n_pairs: int) -> LandedCost:
        """Uninitialised outputs for ``n_pairs`` pairs (for ``out=``)."""
        values = np.empty((len(OUTPUTS), n_pairs))
        n = len(COMPONENTS)
        return cls(values[:n], values[n], values[n + 1], values[n + 2])

    def check(self, n_pairs: int) -> None:
        """Raise ``ValueError`` unless these outputs hold ``n_pairs`` pairs."""
        if self.components.shape != (len(COMPONENTS), n_pairs) or any(
            a.shape != (n_pairs,)
            for a in (self.held_value, self.transaction_value, self.order_value)
        ):
            raise ValueError(f"out must hold {n_pairs} pairs")

    @property
    def total(self) -> np.ndarray:
        return self.components.sum(axis=0)

    def component(self, name: str) -> np.ndarray:
        return self.components[COMPONENTS.index(name)]


def lane_cost(sku, path, first: int):
    """Freight of one unit at the path's per-kg, per-m3, per-unit rates from column ``first``."""
    return sku[SKU.weight_kg] * path[first] + sku[SKU.volume_m3] * path[first + 1] + path[first + 2]


def tax_base(sku, row, path, rule, pair: PairArrays, j) -> TaxBase:
    """The values a tax regime reads of pair ``j`` (see :class:`TaxBase`)."""
    procurement = sku[SKU.procurement_cost]
    price = row[ROW.price]
    units_per_order = row[ROW.units_per_order]
    w = price + row[ROW.shipping_per_order] / units_per_order
    cif = procurement + (lane_cost(sku, path, PATH.border_freight_per_kg) + pair.parcel_border[j])
    fob = procurement + lane_cost(sku, path, PATH.fob_freight_per_kg)
    ct_rate = select(rule[RULE.apply_consumption_tax] != 0.0, sku[SKU.consumption_tax_rate], 0.0)
    return TaxBase(
        w,
        w * units_per_order,
        price,
        units_per_order,
        cif,
        fob,
        ct_rate,
        pair.single_item_over_cap[j],
        pair.over_cap_duty_rate[j],
    )


def unit_costs(sku, path, pair: PairArrays, j, base: TaxBase, taxes) -> tuple:
    """The :data:`OUTPUTS` of pair ``j`` given its regime's ``taxes``."""
    duty, vat, ct, parcel, capitalised = taxes
    procurement = sku[SKU.procurement_cost]
    freight = lane_cost(sku, path, PATH.freight_per_kg) + pair.parcel_freight[j]
    rebate = select(pair.earns_rebate[j], sku[SKU.export_rebate_rate] * procurement, 0.0)
    inbound = lane_cost(sku, path, PATH.inbound_freight_per_kg) + pair.parcel_inbound[j]
    # duty-paid stock carries the duty and consumption tax paid at import
    held_value = (
        procurement + inbound + select(pair.duty_paid_stock[j] & capitalised, duty + ct, 0.0)
    )
    return (
        procurement,
        freight,
        path[PATH.handling_per_unit],
        duty,
        vat,
        ct,
        parcel,
        -rebate,
        held_value,
        base.w,
        base.order_value,
    )
