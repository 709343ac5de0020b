"""Read a run folder's plan as decisions over a cost model (the evaluation core's input).

:mod:`lean_chain.io.plan_io` reads and checks the CSV files; this module maps
their rows onto the model's pairs and groups, so that only the plan's
quantities are read and every cost is recomputed from the instance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lean_chain.costs.evaluate import Decisions
from lean_chain.costs.model import CostModel
from lean_chain.errors import Issue, PlanError
from lean_chain.io.plan_io import lookup_keys, plan_flags, plan_numbers, read_plan_csv


def read_decisions(model: CostModel, run_dir: str | Path) -> Decisions:
    """Read ``RUN/plan/*.csv`` as decisions over ``model``.

    Only the plan's quantities are read (flow units, channel use, stocked
    flags, open nodes, containers); every cost is recomputed from the
    instance. Raises :class:`PlanError` naming file, row and column for rows
    that do not match the instance.
    """
    plan_dir = Path(run_dir) / "plan"
    if not plan_dir.is_dir():
        raise PlanError([Issue(str(plan_dir), None, None, None, "a plan folder")])
    inst, pairs, paths = model.instance, model.index.pairs, model.index.paths
    node_ids = inst.nodes["node_id"].to_numpy(object)
    sku_ids = inst.skus["sku_id"].to_numpy(object)
    channel_ids = inst.channels["channel_id"].to_numpy(object)
    issues: list[Issue] = []

    share = np.zeros(model.n_pairs)
    flows = read_plan_csv(plan_dir, "flows", ("sku_id", "region_id", "path_key", "units"), issues)
    if flows is not None:
        columns = ["sku_id", "region_id", "path_key"]
        vocabularies = [sku_ids, node_ids, paths.key]
        codes = [pairs.sku, pairs.region, pairs.path]
        if inst.has_platforms:  # demand rows are per platform (blank: sold directly)
            platform_ids = np.append(inst.platforms["platform_id"].astype(str).to_numpy(), "")
            platform = model.sales.platform[pairs.demand_row]
            if "platform_id" not in flows.columns:
                flows = flows.assign(platform_id="")
            columns.insert(2, "platform_id")
            vocabularies.insert(2, platform_ids)
            codes.insert(2, np.where(platform >= 0, platform, len(platform_ids) - 1))
        pair = lookup_keys(
            flows,
            "flows",
            columns,
            vocabularies,
            codes,
            issues,
            "a path of the instance that may serve this SKU and region"
            + (" on this platform" if inst.has_platforms else ""),
        )
        units = plan_numbers(flows, "flows", "units", issues)
        ok = pair >= 0
        np.add.at(share, pair[ok], units[ok] / model.demand_units[pair[ok]])

    ids = {"sku_id": sku_ids, "channel_id": channel_ids, "node_id": node_ids}

    def flags(table, flag, keys, expected, optional=False):
        """One boolean per model group, True where the plan's table flags it. ``keys``
        maps each key column to the group's code of it; an ``optional`` flag column,
        when absent, flags every listed row."""
        columns, codes = list(keys), list(keys.values())
        out = np.zeros(len(codes[0]), dtype=bool)
        required = tuple(columns) if optional else (*columns, flag)
        frame = read_plan_csv(plan_dir, table, required, issues)
        if frame is not None:
            vocabularies = [ids[column] for column in columns]
            group = lookup_keys(frame, table, columns, vocabularies, codes, issues, expected)
            out[group[(group >= 0) & plan_flags(frame, table, flag, issues)]] = True
        return out

    channel_used = flags(
        "sku_channels",
        "used",
        {"sku_id": model.kc_sku, "channel_id": model.kc_channel},
        "a channel this SKU can use in the instance",
        optional=True,
    )
    stocked = flags(
        "stock",
        "stocked",
        {"sku_id": model.kh_sku, "node_id": model.kh_node},
        "a stocking node that can hold this SKU in the instance",
    )
    node_open = flags(
        "nodes",
        "open",
        {"node_id": model.h_node},
        "a stocking node used by some path of the instance",
    )

    containers = np.zeros(len(model.ct_leg))
    frame = read_plan_csv(plan_dir, "containers", ("lane_id", "containers"), issues)
    if frame is not None:
        legs = model.index.legs
        lane_ids = inst.lanes["lane_id"].to_numpy(object)
        rate_ids = inst.rates["rate_id"].to_numpy(object)
        if "rate_id" not in frame.columns:
            frame = frame.assign(rate_id="")
        rate_vocabulary = np.append(rate_ids, "")  # "" = the lane's own containers
        leg_rate = legs.rate[model.ct_leg]
        group = lookup_keys(
            frame,
            "containers",
            ["lane_id", "rate_id"],
            [lane_ids, rate_vocabulary],
            [legs.lane[model.ct_leg], np.where(leg_rate >= 0, leg_rate, len(rate_ids))],
            issues,
            "a container or truck lane (and rate) used by some path of the instance",
        )
        count = plan_numbers(frame, "containers", "containers", issues, integer=True)
        containers[group[group >= 0]] = count[group >= 0]
    if issues:
        raise PlanError(issues)
    return Decisions(share, channel_used, stocked, node_open, containers)
