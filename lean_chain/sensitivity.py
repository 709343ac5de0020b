"""Shadow prices of a solved plan: what one more unit of a limit would be worth.

After a MIP solve, the integer decisions (channels used, SKUs stocked, nodes open,
containers, freight pieces) are fixed at the plan's values and the LP over the
remaining continuous columns (flow shares, stock, leg quantities) is solved again.
The row duals of that LP are the shadow prices of

- node capacities: storage (per m³), orders (per order a day) and throughput (per
  unit over the horizon) of every stocking node with a limit;
- service-share rows: one more percentage point of a region's demand that must
  arrive within its service days;
- CBEC quotas: 1,000 more of a region's annual cross-border quota (instance currency);

and for each region with a service target, the change in cost when its service
window is one day longer (the fixed-integer LP solved again with that window).

The numbers hold for small changes with the plan's network (open nodes, channels,
stocked SKUs) kept as it is; a larger change may make another network cheaper. With
``single_sourcing`` the flow shares are integer too and are fixed with the rest, so
only the continuous stock and freight quantities can move.

Examples
--------
>>> import lean_chain
>>> inst = lean_chain.load_instance("tests/data/tiny")
>>> report = shadow_prices(lean_chain.build_cost_model(inst), lean_chain.solve(inst).decisions)
>>> report["available"], [e["family"] for e in report["capacities"]]
(True, [])
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from lean_chain.costs.evaluate import Decisions
from lean_chain.costs.model import CostModel, quota_limits, service_targets
from lean_chain.formulation.build import build_problem
from lean_chain.formulation.problem import MipProblem
from lean_chain.formulation.solution import encode
from lean_chain.solvers import SolveOptions, get_backend

#: Duals smaller than this (in currency per unit of the row) are reported as not binding.
ZERO_DUAL = 1e-7
#: Capacity families: (row family, unit of one more, how that unit scales the row's bound).
CAPACITY_FAMILIES = ("storage", "orders", "throughput")
#: Exact solves with at most this many columns get a sensitivity report by default.
DEFAULT_MAX_COLUMNS = 200_000


def fix_integers(problem: MipProblem, vector: np.ndarray) -> MipProblem:
    """The LP of ``problem`` with every integer column fixed at its rounded value in ``vector``."""
    integer = np.asarray(problem.integrality, dtype=bool)
    fixed = np.round(vector[integer])
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    lower[integer] = fixed
    upper[integer] = fixed
    return dataclasses.replace(
        problem, col_lower=lower, col_upper=upper, integrality=np.zeros_like(integer)
    )


def solve_fixed_lp(
    model: CostModel, decisions: Decisions, *, solver: str = "highs", time_limit: float | None
):
    """The problem of ``model``, its LP with the plan's integer decisions fixed
    (:func:`fix_integers`), and that LP's solve result (with row duals where the backend
    gives them): what :func:`shadow_prices` and :func:`lean_chain.explain.lp_unit_falls`
    both start from."""
    problem = build_problem(model)
    lp = fix_integers(problem, encode(problem, model, decisions))
    return problem, lp, get_backend(solver).solve(lp, SolveOptions(time_limit_s=time_limit))


def row_nodes(problem: MipProblem, model: CostModel, family: str) -> np.ndarray:
    """Node index (into ``instance.nodes``) of each row of ``family``.

    Read from ``problem.row_objects`` where the build recorded it; otherwise recomputed
    the way :mod:`lean_chain.formulation.build` orders the rows (stocking nodes with a
    limit in the cost model's order; regions in the order of :func:`service_targets` and
    :func:`quota_limits`).
    """
    objects = getattr(problem, "row_objects", None) or {}
    if family in objects and objects[family][0] == "node":
        return np.asarray(objects[family][1], dtype=np.int64)
    if family == "storage":
        return model.h_node[np.flatnonzero(~np.isnan(model.h_storage_m3))]
    if family == "orders":
        return model.h_node[np.flatnonzero(~np.isnan(model.h_orders_per_day))]
    if family == "throughput":
        return model.h_node[np.flatnonzero(~np.isnan(model.h_throughput_units))]
    if family == "service":
        return service_targets(model)[0]
    if family == "cbec_quota":
        return quota_limits(model)[0]
    raise ValueError(f"no node rows in family {family!r}")


def _priced_rows(
    problem: MipProblem, model: CostModel, duals: np.ndarray, family: str, scale
) -> list[tuple[int, str, float, bool]]:
    """Per row of ``family``: its node (index and id), the value of one more unit of the
    row (its dual times ``scale``, a number or one per row) and whether that binds."""
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    nodes = row_nodes(problem, model, family)
    change = duals[problem.row_blocks[family]] * scale
    return [
        (int(node), str(node_ids[node]), float(value), abs(float(value)) > ZERO_DUAL)
        for node, value in zip(nodes, change, strict=True)
    ]


def _money(value: float, currency: str) -> str:
    return f"{abs(value):,.2f} {currency}"


def _effect(change: float, currency: str) -> str:
    """'save X' / 'cost X more' for a change in total cost."""
    return (
        f"save {_money(change, currency)}"
        if change < 0
        else f"cost {_money(change, currency)} more"
    )


def _capacity_rows(
    problem: MipProblem,
    model: CostModel,
    duals: np.ndarray,
    x: np.ndarray,
    node_open: np.ndarray,
    currency: str,
) -> list[dict]:
    open_by_node = np.zeros(len(model.instance.nodes), dtype=bool)
    open_by_node[model.h_node] = node_open
    horizon = float(model.instance.params["horizon_days"])
    # what "one more" is, and how many units of the row's bound it adds
    units = {
        "storage": ("m³ of storage", 1.0),
        "orders": ("order a day of capacity", horizon),
        "throughput": ("unit of throughput over the horizon", 1.0),
    }
    out = []
    for family in CAPACITY_FAMILIES:
        if family not in problem.row_blocks:
            continue
        rows = problem.row_blocks[family]
        is_open = open_by_node[row_nodes(problem, model, family)]
        # the capacity column z_h enters with -capacity: activity excluding it is the use
        activity = problem.matrix[rows] @ x
        what, scale = units[family]
        # a closed node's capacity is worth nothing in this plan
        priced = _priced_rows(problem, model, duals, family, scale * is_open)
        for (_node, node_id, change, binding), row_open, row_activity in zip(
            priced, is_open, activity, strict=True
        ):
            if not row_open:
                sentence = (
                    f"{node_id} is closed in this plan: more {family} capacity there changes "
                    "nothing unless the node opens."
                )
            elif binding:
                sentence = (
                    f"One more {what} at {node_id} would {_effect(change, currency)} over the "
                    "horizon."
                )
            else:
                sentence = (
                    f"The {family} capacity of {node_id} is not binding: more of it saves nothing."
                )
            out.append(
                {
                    "family": family,
                    "node_id": node_id,
                    "open": bool(row_open),
                    "unit": what,
                    "shadow_price": change if binding else 0.0,
                    "binding": binding,
                    "slack": float(-row_activity),
                    "sentence": sentence,
                }
            )
    return out


def _service_rows(
    problem: MipProblem, model: CostModel, duals: np.ndarray, currency: str
) -> list[dict]:
    if "service" not in problem.row_blocks:
        return []
    rows = problem.row_blocks["service"]
    _regions, days, share = service_targets(model)
    total = problem.row_lower[rows] / np.where(share > 0, share, 1.0)  # the region's demand
    # one percentage point more of the region's demand
    priced = _priced_rows(problem, model, duals, "service", 0.01 * total)
    return [
        {
            "region_id": region,
            "service_days": float(t),
            "service_share": float(alpha),
            "shadow_price_per_point": change if binding else 0.0,
            "binding": binding,
            "sentence": (
                f"Raising {region}'s target from {alpha:.0%} to {alpha + 0.01:.0%} of demand "
                f"within {t:g} days would {_effect(change, currency)}."
                if binding
                else f"{region}'s service target ({alpha:.0%} within {t:g} days) is not "
                "binding: the plan meets it anyway."
            ),
        }
        for (_node, region, change, binding), t, alpha in zip(priced, days, share, strict=True)
    ]


def _quota_rows(
    problem: MipProblem, model: CostModel, duals: np.ndarray, currency: str
) -> list[dict]:
    if "cbec_quota" not in problem.row_blocks:
        return []
    quotas = problem.row_upper[problem.row_blocks["cbec_quota"]]
    priced = _priced_rows(problem, model, duals, "cbec_quota", 1000.0)  # 1,000 more
    return [
        {
            "region_id": region,
            "quota": float(quota),
            "shadow_price_per_1000": change if binding else 0.0,
            "binding": binding,
            "sentence": (
                f"1,000 {currency} more of {region}'s CBEC quota would {_effect(change, currency)}."
                if binding
                else f"{region}'s CBEC quota ({_money(quota, currency)}) is not binding."
            ),
        }
        for (_node, region, change, binding), quota in zip(priced, quotas, strict=True)
    ]


def _longer_window(
    problem: MipProblem, model: CostModel, row: int, days: float
) -> tuple[MipProblem, int]:
    """``problem`` with service row ``row`` (a region with window ``days``) one day longer,
    and the number of (SKU, path) pairs that the longer window adds to the row."""
    rows = problem.row_blocks["service"]
    region = row_nodes(problem, model, "service")[row]
    pairs = model.index.pairs
    promise = model.index.paths.promise_days[pairs.path]
    added = np.flatnonzero(
        (pairs.region == region) & (promise > days + 1e-9) & (promise <= days + 1 + 1e-9)
    )
    x0 = problem.col_blocks["x"].start
    extra = sp.csr_matrix(
        (model.demand_units[added], (np.full(len(added), rows.start + row), x0 + added)),
        shape=problem.matrix.shape,
    )
    return dataclasses.replace(problem, matrix=(problem.matrix + extra).tocsr()), len(added)


def _promise_rows(
    lp: MipProblem,
    model: CostModel,
    service: list[dict],
    base: float,
    backend,
    options: SolveOptions,
    currency: str,
) -> list[dict]:
    out = []
    for row, entry in enumerate(service):
        region, days = entry["region_id"], entry["service_days"]
        longer, added = _longer_window(lp, model, row, days)
        if not entry["binding"] or added == 0:
            # a zero dual stays dual-feasible when the row gains coefficients: same optimum
            change = 0.0
        else:
            result = backend.solve(longer, options)
            change = result.objective - base if result.status.has_solution else float("nan")
        if not np.isfinite(change):
            sentence = f"A {days + 1:g}-day window for {region} could not be priced."
        elif change < -ZERO_DUAL * max(abs(base), 1.0):
            sentence = (
                f"Letting {region}'s service window grow from {days:g} to {days + 1:g} days "
                f"would {_effect(change, currency)}."
            )
        else:
            change = 0.0
            why = (
                "its service target is not binding"
                if not entry["binding"]
                else f"no path reaches it in more than {days:g} and at most {days + 1:g} days"
                if added == 0
                else "the faster paths it would count are no cheaper with this network"
            )
            sentence = (
                f"One more promise day for {region} ({days:g} -> {days + 1:g} days) saves "
                f"nothing: {why}."
            )
        out.append(
            {
                "region_id": region,
                "service_days": days,
                "cost_change": change,
                "sentence": sentence,
            }
        )
    return out


def shadow_prices(
    model: CostModel,
    decisions: Decisions,
    *,
    solver: str = "highs",
    time_limit: float | None = 120.0,
    promise_days: bool = True,
) -> dict:
    """The sensitivity report of a plan (``summary.json``'s ``"sensitivity"``).

    Parameters
    ----------
    model : CostModel
        The plan's cost model.
    decisions : Decisions
        The plan; its integer decisions are fixed.
    solver : str
        A backend that returns row duals (``highs``).
    time_limit : float, optional
        Seconds for each LP.
    promise_days : bool
        Also price one more service day per region with a service target.

    Returns
    -------
    dict
        ``fixed_lp_objective``, ``currency``, ``note``; lists ``capacities``,
        ``service``, ``cbec_quota``, ``promise_days``, each entry with its numbers and a
        ``sentence``. ``{"available": False, "reason": ...}`` where the LP gives no duals.
    """
    currency = str(model.instance.params["currency"])
    problem, lp, result = solve_fixed_lp(model, decisions, solver=solver, time_limit=time_limit)
    if result.duals is None:
        return {
            "available": False,
            "reason": f"the fixed-integer LP gave no row duals ({solver}: {result.message})",
        }
    duals, x = result.duals, result.solution
    service = _service_rows(problem, model, duals, currency)
    return {
        "available": True,
        "currency": currency,
        "fixed_lp_objective": result.objective,
        "note": (
            "Shadow prices of the LP with the plan's integer decisions fixed (open nodes, "
            "channels, stocked SKUs, containers): valid for small changes with the network "
            "kept as it is; 'save' is a lower total cost over the planning horizon."
        ),
        "capacities": _capacity_rows(problem, model, duals, x, decisions.node_open, currency),
        "service": service,
        "cbec_quota": _quota_rows(problem, model, duals, currency),
        "promise_days": _promise_rows(
            lp,
            model,
            service,
            result.objective,
            get_backend(solver),
            SolveOptions(time_limit_s=time_limit),
            currency,
        )
        if promise_days
        else [],
    }
