"""Monte Carlo evaluation of a plan under uncertain demand and lead times.

The plan is fixed: its shares, its stock levels (on-hand per SKU and node)
and its fixed decisions. Each scenario draws

- the horizon demand of every *stream*: a SKU at a stocking node (kh group)
  or a SKU shipped per order through a channel; normal with mean = planned
  units and std = pooled daily std x sqrt(horizon), truncated at 0; Poisson
  for slow movers (mean below ``slow_mover_units_per_day`` per day);
- the inbound lead time of every path, normal(mean, lane std) truncated at 0,
  and its order-to-door promise time likewise;
- per SKU and node, the demand over one replenishment cycle (lead time +
  review period): normal around the scenario's daily rate.

A periodic-review order-up-to policy with level
S = d (L + R) + safety stock (the plan's on-hand minus half a cycle's demand)
gives the shortage per cycle max(0, X - S); stock-out units over the horizon
are the shortage x H / R, at most the stream's demand. Cost per scenario is
the plan's fixed costs plus each stream's variable cost scaled by its realized
demand (landed cost and pipeline holding are per unit; on-hand holding is the
plan's). Reported: expected cost, p5 / p50 / p95 cost, fill rate and
stock-out units per stocking node, and the share of demand delivered within
each region's service days.

Scenarios use independent random streams spawned from one seed
(:class:`numpy.random.SeedSequence`), so results do not depend on the batch
size and the same seed gives the same numbers. Scenarios are processed in
batches sized to a memory budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from lean_chain.costs.evaluate import Decisions, cost_breakdown
from lean_chain.costs.model import CostModel

#: Bytes of float64 working arrays per (scenario, stream) in a batch (a bound, not a count).
_BYTES_PER_CELL = 8 * 8


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Cost distribution and service KPIs over the scenarios."""

    scenarios: int
    seed: int
    costs: np.ndarray  # one total per scenario
    fill_rate: dict[str, float]  # per stocking node, and "all"
    stockout_units: dict[str, float]  # expected per stocking node
    share_within_service_days: dict[str, float]  # expected per region with a target
    batch_size: int

    @property
    def expected_cost(self) -> float:
        return float(self.costs.mean())

    def to_dict(self) -> dict:
        p5, p50, p95 = np.percentile(self.costs, [5, 50, 95])
        return {
            "scenarios": self.scenarios,
            "seed": self.seed,
            "expected_cost": self.expected_cost,
            "cost_p5": float(p5),
            "cost_p50": float(p50),
            "cost_p95": float(p95),
            "fill_rate": self.fill_rate,
            "stockout_units": self.stockout_units,
            "share_within_service_days": self.share_within_service_days,
        }


@njit(parallel=True, cache=True)
def _stock_outs(
    demand_ratio, lead, cycle_noise, mean_daily, std_daily, lead_mean, order_up_to, review, horizon
):  # pragma: no cover - compiled
    """Stock-out units per (scenario, kh) over the horizon, in one fused pass."""
    n_s, n_g = demand_ratio.shape
    out = np.empty((n_s, n_g))
    cycles = horizon / review
    for s in prange(n_s):
        for g in range(n_g):
            rate = mean_daily[g] * demand_ratio[s, g]
            window = lead[s, g] + review
            exposure = rate * window + std_daily[g] * np.sqrt(window) * cycle_noise[s, g]
            short = exposure - order_up_to[g]
            if short < 0.0:
                short = 0.0
            total = short * cycles
            demand = rate * horizon
            out[s, g] = total if total < demand else demand
    return out


def _stream_groups(model: CostModel, share: np.ndarray) -> tuple[np.ndarray, int]:
    """Stream of each pair: its kh group if stocked, else a (SKU, channel) stream."""
    n_kh = len(model.kh_sku)
    stream = np.where(model.kh_of_pair >= 0, model.kh_of_pair, n_kh + model.kc_of_pair)
    return stream, n_kh + len(model.kc_sku)


def simulate(
    model: CostModel,
    decisions: Decisions,
    *,
    scenarios: int = 1000,
    seed: int = 0,
    memory_budget_mb: float = 512.0,
    slow_mover_units_per_day: float = 1.0,
) -> MonteCarloResult:
    """Evaluate ``decisions`` under ``scenarios`` random draws (see module docstring).

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> plan = lean_chain.solve(inst)
    >>> result = simulate(build_cost_model(inst), plan.decisions, scenarios=50, seed=1)
    >>> result.to_dict()["scenarios"]
    50
    """
    if scenarios < 1:
        raise ValueError(f"scenarios must be at least 1, got {scenarios}")
    inst, pairs, paths = model.instance, model.index.pairs, model.index.paths
    horizon = float(inst.params["horizon_days"])
    review = max(float(inst.params["review_period_days"]), 1.0)
    share = decisions.share
    flow_units = model.demand_units * share
    sigma = inst.demand["demand_std_daily"].to_numpy(np.float64)[pairs.demand_row]

    stream, n_streams = _stream_groups(model, share)
    mean_units = np.bincount(stream, weights=flow_units, minlength=n_streams)
    std_daily = np.sqrt(np.bincount(stream, weights=(share * sigma) ** 2, minlength=n_streams))
    unit_variable = model.unit_cost * flow_units + model.pipeline_holding_per_share * share
    variable = np.bincount(stream, weights=unit_variable, minlength=n_streams)
    breakdown, on_hand = cost_breakdown(model, decisions)
    fixed = sum(breakdown.values()) - float(variable.sum())

    active = np.flatnonzero(mean_units > 0)
    slow = mean_units[active] / horizon < slow_mover_units_per_day
    std_horizon = std_daily[active] * np.sqrt(horizon)

    # stocked streams: inbound route of the pair carrying the most flow
    n_kh = len(model.kh_sku)
    kh_active = active[active < n_kh]
    order = np.lexsort((flow_units, np.where(model.kh_of_pair >= 0, model.kh_of_pair, -1)))
    last_of_group = np.full(n_kh, -1, dtype=np.int64)
    stocked_order = order[model.kh_of_pair[order] >= 0]
    last_of_group[model.kh_of_pair[stocked_order]] = stocked_order
    kh_path = pairs.path[last_of_group[kh_active]]
    lead_mean = paths.inbound_days[kh_path]
    lead_std = paths.inbound_std_days[kh_path]
    kh_daily = mean_units[kh_active] / horizon
    kh_std = std_daily[kh_active]
    safety = on_hand[kh_active] - kh_daily * review / 2.0
    order_up_to = kh_daily * (lead_mean + review) + np.maximum(safety, 0.0)
    kh_position = np.searchsorted(active, kh_active)
    kh_node = model.kh_h[kh_active]

    # service: planned units per path and the region's target days
    path_units = np.bincount(pairs.path, weights=flow_units, minlength=len(paths))
    service_days = inst.nodes["service_days"].to_numpy(np.float64)[paths.destination]
    target_paths = np.flatnonzero((path_units > 0) & ~np.isnan(service_days))
    target_regions, region_of_path = np.unique(paths.destination[target_paths], return_inverse=True)

    cells = len(active) + len(kh_active) * 3 + len(paths) * 2
    batch = int(
        max(1, min(scenarios, memory_budget_mb * 2**20 // (_BYTES_PER_CELL * max(cells, 1))))
    )
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(scenarios)]

    costs = np.empty(scenarios)
    n_h = len(model.h_node)
    stockout_sum = np.zeros(n_h)
    demand_sum = np.zeros(n_h)
    within_sum = np.zeros(len(target_regions))
    for start in range(0, scenarios, batch):
        stop = min(start + batch, scenarios)
        b = stop - start
        ratio = np.empty((b, len(active)))
        lead_noise = np.empty((b, len(kh_active)))
        cycle_noise = np.empty((b, len(kh_active)))
        promise_noise = np.empty((b, len(target_paths)))
        for i, rng in enumerate(streams[start:stop]):
            draw = rng.standard_normal(len(active))
            units = np.maximum(mean_units[active] + std_horizon * draw, 0.0)
            if slow.any():
                units[slow] = rng.poisson(mean_units[active][slow])
            ratio[i] = units / mean_units[active]
            rng.standard_normal(out=lead_noise[i])
            rng.standard_normal(out=cycle_noise[i])
            rng.standard_normal(out=promise_noise[i])
        costs[start:stop] = fixed + ratio @ variable[active]
        lead = np.maximum(lead_mean + lead_std * lead_noise, 0.0)
        kh_ratio = np.ascontiguousarray(ratio[:, kh_position])
        short = _stock_outs(
            kh_ratio,
            lead,
            cycle_noise,
            kh_daily,
            kh_std,
            lead_mean,
            order_up_to,
            review,
            horizon,
        )
        stockout_sum += np.bincount(kh_node, weights=short.sum(axis=0), minlength=n_h)
        demand_sum += np.bincount(
            kh_node, weights=(kh_ratio * (kh_daily * horizon)).sum(axis=0), minlength=n_h
        )
        promise = np.maximum(
            paths.promise_days[target_paths] + paths.promise_std_days[target_paths] * promise_noise,
            0.0,
        )
        on_time = promise <= service_days[target_paths] + 1e-9
        within = (on_time * path_units[target_paths]).sum(axis=0)
        within_sum += np.bincount(region_of_path, weights=within, minlength=len(target_regions))

    node_ids = inst.nodes["node_id"].to_numpy(object)
    region_total = np.bincount(
        region_of_path, weights=path_units[target_paths], minlength=len(target_regions)
    )
    fill = np.where(demand_sum > 0, 1.0 - stockout_sum / np.maximum(demand_sum, 1e-300), 1.0)
    fill_rate = {str(node_ids[model.h_node[h]]): float(fill[h]) for h in range(n_h)}
    total_demand = float(demand_sum.sum())
    fill_rate["all"] = 1.0 - float(stockout_sum.sum()) / total_demand if total_demand else 1.0
    return MonteCarloResult(
        scenarios=scenarios,
        seed=seed,
        costs=costs,
        fill_rate=fill_rate,
        stockout_units={
            str(node_ids[model.h_node[h]]): float(stockout_sum[h] / scenarios) for h in range(n_h)
        },
        share_within_service_days={
            str(node_ids[r]): float(within_sum[i] / scenarios / region_total[i])
            for i, r in enumerate(target_regions)
        },
        batch_size=batch,
    )
