"""What a landed-cost kernel reads and writes, and the per-pair steps around the tax regime.

The inputs are five small tables of float64, one row per SKU, demand row,
path, tax rule and parcel-rate freight, whose columns are named once, in
:data:`SKU_FIELDS`, :data:`ROW_FIELDS`, :data:`PATH_FIELDS`,
:data:`lean_chain.model.regimes.RULE_FIELDS` and :data:`PARCEL_FIELDS`, and
one array per pair for each of :data:`PAIR_CODES` (indices into the tables,
a byte of flags and a byte of the kernel order), built by
:meth:`LandedInputs.build` from what is known per pair (:data:`PAIR_FIELDS`).
The fused kernel prices the pairs in the kernel order: by blocks of
:data:`KERNEL_BLOCK` pairs, grouped by regime within each block. Both kernels (numpy and fused) run the same three
steps, written once here and in :mod:`lean_chain.model.regimes`:
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
from numba import njit, prange

from lean_chain.model.regimes import REGIMES, RULE, RULE_FIELDS, TaxBase, columns, select

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
#: Columns of the parcel table: parcel-rate freight per unit
#: (:mod:`lean_chain.costs.rates`), of which up to the border, and of which inbound to
#: the stocking node. Row 0 is zeros: every pair without parcel-rate freight points there.
PARCEL_FIELDS = ("freight", "border", "inbound")
#: What is known of each pair, as a caller gives it (:func:`pair_arrays`,
#: :meth:`LandedInputs.build`): indices into the tables, flags and per-pair amounts.
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
#: The flags of :data:`PAIR_FIELDS`, one bit each of :attr:`PairCodes.flags`.
FLAG_BITS = {"earns_rebate": 1, "single_item_over_cap": 2, "duty_paid_stock": 4}
#: What a kernel reads per pair (:attr:`LandedInputs.pair`): 22 bytes instead of the
#: 51 of :data:`PAIR_FIELDS`, whose per-pair amounts move into the tables (the duty rate
#: of a single item into its rule's row, parcel freight into the parcel table) and whose
#: flags share one byte. The core writes 88 bytes per pair; every byte it reads besides
#: slows it down (see benchmarks/bench_costs.py). The indices are unsigned, so that the
#: kernel never checks them for wrap-around (the caller's int32 arrays, viewed).
PAIR_CODES = {
    "sku": np.uint32,
    "path": np.uint32,
    "row": np.uint32,
    "rule": np.uint32,  # row of LandedInputs.rule (tax rule and single-item duty rate)
    "parcel": np.uint32,  # row of LandedInputs.parcel, 0 without parcel-rate freight
    "flags": np.uint8,  # FLAG_BITS
    "order": np.uint8,  # the kernel order: see KERNEL_BLOCK and kernel_order
}
#: Pairs per block of the kernel order (:func:`kernel_order`), at most 256 (a byte per
#: pair): the fused kernel prices the pairs of a block grouped by regime, so that its
#: regime dispatch takes the same branch many times in a row instead of mispredicting
#: on most pairs when the regimes change at random from pair to pair, and writes their
#: outputs within the block (11 x 256 x 8 bytes, in the core's cache).
KERNEL_BLOCK = 256
SKU = columns("SkuColumns", SKU_FIELDS)
ROW = columns("RowColumns", ROW_FIELDS)
PATH = columns("PathColumns", PATH_FIELDS)
PARCEL = columns("ParcelColumns", PARCEL_FIELDS)
FLAG = namedtuple("FlagBits", tuple(FLAG_BITS))(*FLAG_BITS.values())
PairArrays = namedtuple("PairArrays", tuple(PAIR_FIELDS))
PairCodes = namedtuple("PairCodes", tuple(PAIR_CODES))

_TABLE_FIELDS = {
    "sku": SKU_FIELDS,
    "row": ROW_FIELDS,
    "path": PATH_FIELDS,
    "rule": RULE_FIELDS,
    "parcel": PARCEL_FIELDS,
}


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


def _single_item_rules(rule: np.ndarray, pair: PairArrays) -> tuple[np.ndarray, np.ndarray]:
    """The rule table with one more row per (rule, single-item duty rate) in use, and
    each pair's row of it (its own rule's, or that of its rule and rate when single)."""
    rule = rule.copy()
    rule[:, RULE.single_item_duty_rate] = 0.0
    kernel_rule = pair.rule.copy()
    single = np.flatnonzero(pair.single_item_over_cap)
    if len(single):
        # the (rule, rate) combinations in use, in (rule, rate) order, as one integer key
        rates, rate_of = np.unique(pair.over_cap_duty_rate[single], return_inverse=True)
        keys = pair.rule[single].astype(np.int64) * len(rates) + rate_of.reshape(-1)
        combos, of_single = np.unique(keys, return_inverse=True)
        extra = rule[combos // len(rates)]
        extra[:, RULE.single_item_duty_rate] = rates[combos % len(rates)]
        kernel_rule[single] = len(rule) + of_single.reshape(-1)
        rule = np.vstack((rule, extra))
    return rule, kernel_rule


def _parcel_table(pair: PairArrays) -> tuple[np.ndarray, np.ndarray]:
    """The parcel table (row 0 zeros, then one row per pair with parcel-rate freight)
    and each pair's row of it."""
    columns = [np.asarray(getattr(pair, f"parcel_{f}"), np.float64) for f in PARCEL_FIELDS]
    has = columns[0] != 0.0
    for column in columns[1:]:
        has |= column != 0.0
    slot = np.cumsum(has, dtype=np.int32)
    table = np.zeros((int(slot[-1]) + 1 if len(slot) else 1, len(PARCEL_FIELDS)))
    np.multiply(slot, has, out=slot)
    for i, column in enumerate(columns):
        table[1:, i] = column[has]
    return table, slot


def _regime_groups(rule: np.ndarray) -> np.ndarray:
    """Per rule row, its regime's code, or ``len(REGIMES)`` for a code not registered."""
    code = rule[:, RULE.regime]
    known = (code >= 0) & (code < len(REGIMES)) & (code == np.floor(code))
    return np.where(known, code, len(REGIMES)).astype(np.uint8 if len(REGIMES) < 255 else np.intp)


@njit(parallel=True, cache=True, nogil=True)
def _kernel_order(group_of_rule, n_groups, rule, order):
    """A stable counting sort of each block's pairs by the group of their rule."""
    n = rule.shape[0]
    n_blocks = (n + KERNEL_BLOCK - 1) // KERNEL_BLOCK
    per_chunk = 64  # blocks per parallel chunk: one set of scratch arrays each
    for chunk in prange((n_blocks + per_chunk - 1) // per_chunk):
        start = np.empty(n_groups + 1, np.int64)
        group = np.empty(KERNEL_BLOCK, np.intp)
        for b in range(chunk * per_chunk, min(chunk * per_chunk + per_chunk, n_blocks)):
            lo = b * KERNEL_BLOCK
            m = min(lo + KERNEL_BLOCK, n) - lo
            start[:] = 0
            for k in range(m):
                g = group_of_rule[rule[lo + k]]
                group[k] = g
                start[g + 1] += 1
            start[0] = lo
            for g in range(n_groups):
                start[g + 1] += start[g]
            for k in range(m):
                t = start[group[k]]
                start[group[k]] = t + 1
                order[t] = k


def kernel_order(rule: np.ndarray, pair_rule: np.ndarray, out: np.ndarray | None = None):
    """The kernel order of pairs under the rules ``pair_rule`` (rows of ``rule``).

    Within each block of :data:`KERNEL_BLOCK` pairs, entry ``t`` is the offset in
    its block of the pair the kernel prices ``t``-th: the block's pairs grouped by
    the regime of their rule, in their own order within a group (a pair under a
    code not registered goes last). One parallel pass, a byte per pair.

    Parameters
    ----------
    rule
        The rule table (:data:`~lean_chain.model.regimes.RULE_FIELDS` columns).
    pair_rule
        Each pair's row of ``rule``.
    out
        A uint8 array of one entry per pair to write into (a new one by default).

    Returns
    -------
    numpy.ndarray
        ``out`` when given.

    Examples
    --------
    >>> import numpy as np
    >>> rule = np.zeros((2, len(RULE_FIELDS)))
    >>> rule[1, RULE.regime] = 1.0  # rule 1 under another regime
    >>> kernel_order(rule, np.array([1, 0, 1, 0])).tolist()
    [1, 3, 0, 2]
    """
    if KERNEL_BLOCK > 256:  # pragma: no cover - a constant
        raise ValueError("KERNEL_BLOCK must fit a byte")
    if out is None:
        out = np.empty(len(pair_rule), dtype=np.uint8)
    _kernel_order(_regime_groups(rule), len(REGIMES) + 1, np.ascontiguousarray(pair_rule), out)
    return out


@dataclass(frozen=True, eq=False)
class LandedInputs:
    """Everything a landed-cost kernel reads: five tables and the per-pair codes.

    ``sku``, ``row``, ``path``, ``rule``, ``parcel``: C-contiguous float64 tables, one
    row per entity, columns :data:`SKU_FIELDS`, :data:`ROW_FIELDS`,
    :data:`PATH_FIELDS`, :data:`~lean_chain.model.regimes.RULE_FIELDS`,
    :data:`PARCEL_FIELDS`; ``pair``: :data:`PAIR_CODES`, ``pair.order`` being the
    :func:`kernel_order` of ``pair.rule``. A kernel's arguments are these fields in
    this order, then the outputs. Build it with :meth:`build`.
    """

    sku: np.ndarray
    row: np.ndarray
    path: np.ndarray
    rule: np.ndarray
    parcel: np.ndarray
    pair: PairCodes

    def __post_init__(self) -> None:
        for name, fields in _TABLE_FIELDS.items():
            table = getattr(self, name)
            if table.ndim != 2 or table.shape[1] != len(fields) or table.dtype != np.float64:
                raise ValueError(f"{name} must be float64 of shape (n, {len(fields)})")
            if not table.flags.c_contiguous:
                object.__setattr__(self, name, np.ascontiguousarray(table))

    @classmethod
    def build(
        cls, sku: np.ndarray, row: np.ndarray, path: np.ndarray, rule: np.ndarray, pair: PairArrays
    ) -> LandedInputs:
        """The kernel inputs of the pairs ``pair`` (:func:`pair_arrays`) over the tables.

        The rule table gains a row per (rule, single-item duty rate) in use (its
        ``single_item_duty_rate`` column is set here, whatever ``rule`` holds), the
        parcel-rate freight moves into the parcel table, the flags into one byte,
        and the kernel order is found (:func:`kernel_order`).

        Raises
        ------
        ValueError
            For a negative index into a table (the kernel reads them unsigned).

        Examples
        --------
        >>> import numpy as np
        >>> one = lambda fields: np.zeros((1, len(fields)))
        >>> pair = pair_arrays(**{f: np.zeros(2) for f in PAIR_FIELDS} | {
        ...     "single_item_over_cap": [True, False], "over_cap_duty_rate": [0.1, 0.0],
        ...     "parcel_freight": [0.0, 7.5]})
        >>> inp = LandedInputs.build(one(SKU_FIELDS), one(ROW_FIELDS), one(PATH_FIELDS),
        ...                          one(RULE_FIELDS), pair)
        >>> inp.rule[:, RULE.single_item_duty_rate].tolist(), inp.pair.rule.tolist()
        ([0.0, 0.1], [1, 0])
        >>> inp.parcel.tolist(), inp.pair.parcel.tolist(), inp.pair.flags.tolist()
        ([[0.0, 0.0, 0.0], [7.5, 0.0, 0.0]], [0, 1], [2, 0])
        >>> inp.pair.order.tolist()  # both under the rule's regime: the caller's order
        [0, 1]
        """
        for name in ("sku", "path", "row", "rule"):  # read unsigned by the kernel
            index = np.asarray(getattr(pair, name))
            if len(index) and index.min() < 0:
                raise ValueError(f"pair {name} indices must not be negative")
        kernel_rule, pair_rule = _single_item_rules(np.asarray(rule, dtype=np.float64), pair)
        parcel, pair_parcel = _parcel_table(pair)
        flags = np.zeros(len(pair.sku), dtype=np.uint8)
        for name, bit in FLAG_BITS.items():
            flags |= getattr(pair, name).astype(np.uint8) * np.uint8(bit)
        codes = {
            "sku": pair.sku,
            "path": pair.path,
            "row": pair.row,
            "rule": pair_rule,
            "parcel": pair_parcel,
            "flags": flags,
            "order": kernel_order(kernel_rule, pair_rule),
        }
        for f, dtype in PAIR_CODES.items():  # int32 indices viewed as uint32: no copy
            code = codes[f]
            same_size = np.dtype(dtype).itemsize == code.dtype.itemsize
            signed_view = code.dtype.kind == "i" and np.dtype(dtype).kind == "u" and same_size
            if signed_view and code.flags.c_contiguous:
                codes[f] = code.view(dtype)
            else:
                codes[f] = np.ascontiguousarray(code, dtype)
        return cls(
            np.asarray(sku, dtype=np.float64),
            np.asarray(row, dtype=np.float64),
            np.asarray(path, dtype=np.float64),
            kernel_rule,
            parcel,
            PairCodes(**codes),
        )

    @property
    def n_pairs(self) -> int:
        return len(self.pair.sku)

    def arrays(self) -> tuple:
        """The kernel's input arguments, in field order."""
        return (self.sku, self.row, self.path, self.rule, self.parcel, self.pair)


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


def flag(pair: PairCodes, j, bit: int):
    """Whether pair ``j`` (an int, or ``slice(None)`` for every pair) has flag ``bit``."""
    return (pair.flags[j] & bit) != 0


def tax_base(sku, row, path, rule, parcel, pair: PairCodes, j) -> TaxBase:
    """The values a tax regime reads of pair ``j`` (see :class:`TaxBase`)."""
    procurement = sku[SKU.procurement_cost]
    price = row[ROW.price]
    units_per_order = row[ROW.units_per_order]
    w = price + row[ROW.shipping_per_order] / units_per_order
    cif = procurement + (lane_cost(sku, path, PATH.border_freight_per_kg) + parcel[PARCEL.border])
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
        flag(pair, j, FLAG.single_item_over_cap),
    )


def unit_costs(sku, path, parcel, pair: PairCodes, j, base: TaxBase, taxes) -> tuple:
    """The :data:`OUTPUTS` of pair ``j`` given its regime's ``taxes``."""
    duty, vat, ct, parcel_tax, capitalised = taxes
    procurement = sku[SKU.procurement_cost]
    freight = lane_cost(sku, path, PATH.freight_per_kg) + parcel[PARCEL.freight]
    rebate = select(
        flag(pair, j, FLAG.earns_rebate), sku[SKU.export_rebate_rate] * procurement, 0.0
    )
    inbound = lane_cost(sku, path, PATH.inbound_freight_per_kg) + parcel[PARCEL.inbound]
    # duty-paid stock carries the duty and consumption tax paid at import
    held_value = (
        procurement
        + inbound
        + select(flag(pair, j, FLAG.duty_paid_stock) & capitalised, duty + ct, 0.0)
    )
    return (
        procurement,
        freight,
        path[PATH.handling_per_unit],
        duty,
        vat,
        ct,
        parcel_tax,
        -rebate,
        held_value,
        base.w,
        base.order_value,
    )
