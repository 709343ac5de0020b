"""A SKU ships through a channel only where the channel is marked used for it, and
uses at most its maximum number of channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints import base
from lean_chain.costs.constraints.findings import SlackFinding

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def limited_skus(model: CostModel) -> np.ndarray:
    """SKUs that could use more channels than they may (the ones that get a row)."""
    channels_per_sku = np.bincount(model.kc_sku, minlength=len(model.sku_max_channels))
    return np.flatnonzero(channels_per_sku > model.sku_max_channels)


def define_channel_rows(b: base.RowBuilder, model: CostModel) -> None:
    """Per (demand row, channel): shares <= y_kc; per SKU: channels used <= max."""
    x0, y0 = b.col_blocks["x"].start, b.col_blocks["y"].start
    n = model.n_pairs
    channel = model.index.pairs.channel
    n_groups, group = base.group_rows(model.kr_of_pair * (channel.max(initial=0) + 1) + channel)
    kc_of_group = np.zeros(n_groups, dtype=np.int64)
    kc_of_group[group] = model.kc_of_pair
    b.add_rows(
        "channel_link",
        n_groups,
        np.concatenate([group, np.arange(n_groups)]),
        np.concatenate([x0 + np.arange(n), y0 + kc_of_group]),
        np.concatenate([np.ones(n), -np.ones(n_groups)]),
        -np.inf,
        0.0,
    )
    limited = limited_skus(model)
    if len(limited):
        row_of_sku = np.full(len(model.sku_max_channels), -1, dtype=np.int64)
        row_of_sku[limited] = np.arange(len(limited))
        members = np.flatnonzero(row_of_sku[model.kc_sku] >= 0)
        b.add_rows(
            "max_channels",
            len(limited),
            row_of_sku[model.kc_sku[members]],
            y0 + members,
            np.ones(len(members)),
            -np.inf,
            model.sku_max_channels[limited],
            objects=("sku", limited),
        )


def channel_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Flow through a channel not marked used; more channels per SKU than allowed."""
    inst = model.instance
    sku_ids = inst.skus["sku_id"].to_numpy(object)
    problems = []
    kc_flow = np.bincount(model.kc_of_pair, weights=decisions.share, minlength=len(model.kc_sku))
    unmarked = np.flatnonzero((kc_flow > base.TOLERANCE) & ~decisions.channel_used)
    for g in unmarked[: base.MAX_LISTED]:
        problems.append(
            f"{sku_ids[model.kc_sku[g]]} ships through channel "
            f"{inst.channels['channel_id'].iloc[model.kc_channel[g]]} not marked used"
        )
    used_per_sku = np.bincount(model.kc_sku[decisions.channel_used], minlength=len(sku_ids))
    too_many = np.flatnonzero(used_per_sku > model.sku_max_channels + base.TOLERANCE)
    for k in too_many[: base.MAX_LISTED]:
        problems.append(
            f"{sku_ids[k]} uses {used_per_sku[k]} channels, more than "
            f"{int(model.sku_max_channels[k])}"
        )
    return problems


def explain_channel_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The SKU's maximum number of channels, below what reaches all its regions."""
    limit = float(gave.upper)
    needed = limit + gave.slack
    message = (
        f"SKU {gave.name} may use at most {limit:g} channel(s) but needs "
        f"{np.ceil(needed - 1e-9):g}: "
        "no allowed set of that many channels reaches all its regions within the limits"
    )
    return SlackFinding(limit, needed, gave.unit, message, [gave.name])


FAMILY = base.ConstraintFamily(
    name="channel",
    define=define_channel_rows,
    violations=channel_violations,
    rows=("channel_link", "max_channels"),
    limits={"max_channels": "channels"},
    explain_slack=explain_channel_slack,
)
