"""Every consistency check on an instance, run before any model is built.

Two stages: :func:`check_tables` on the typed tables (keys, references,
path shapes, currencies), then :func:`check_network` on the compiled index
(demand that no channel can reach, with the hard rule that removed each
channel; a path without a tax rule is dropped, not an error); :func:`check_plannable` before a solve (some demand to plan).
Each problem becomes an :class:`~lean_chain.errors.Issue`; the caller raises
them all at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lean_chain.errors import Issue
from lean_chain.index import Index, excluded_options, parse_shape
from lean_chain.model.dates import overlaps, parse_date
from lean_chain.model.instance import Instance
from lean_chain.model.schema import DATED_TABLES, DEMAND_KINDS, NODE_KINDS, STOCKING_KINDS, TABLES


def _rows(mask: np.ndarray | pd.Series, frame: pd.DataFrame) -> list[int]:
    return [int(i) + 2 for i in frame.index[np.asarray(mask, dtype=bool)]]


def _check_keys(name: str, frame: pd.DataFrame, issues: list[Issue]) -> None:
    table = TABLES[name]
    if not table.key:
        return
    key = list(table.key)
    if name in DATED_TABLES and "effective_from" in frame.columns:
        _check_dates(name, frame, key, issues)
        return
    duplicated = frame.duplicated(subset=key, keep="first")
    for row in _rows(duplicated, frame):
        value = " / ".join(str(frame.loc[row - 2, k]) for k in key)
        issues.append(
            Issue(
                table.filename,
                row,
                key[0],
                value,
                f"a unique {' + '.join(key)} (this one is repeated)",
            )
        )


def _check_dates(name: str, frame: pd.DataFrame, key: list[str], issues: list[Issue]) -> None:
    """Dates are YYYY-MM-DD, a period does not end before it starts, and no two rows of
    the same key are in force on the same day."""
    table = TABLES[name]
    bad_rows = set()
    for column in ("effective_from", "effective_to"):
        for i, cell in frame[column].fillna("").astype(str).items():
            text = cell.strip()
            if text == "":
                continue
            try:
                parse_date(text)
                ok = len(text) == 10
            except ValueError:
                ok = False
            if not ok:
                bad_rows.add(i)
                issues.append(Issue(table.filename, int(i) + 2, column, text, "a date YYYY-MM-DD"))
    start = frame["effective_from"].fillna("").astype(str).str.strip()
    end = frame["effective_to"].fillna("").astype(str).str.strip()
    for i in frame.index[(start != "") & (end != "") & (end < start)]:
        if i not in bad_rows:
            issues.append(
                Issue(
                    table.filename,
                    int(i) + 2,
                    "effective_to",
                    end[i],
                    f"a date on or after effective_from ({start[i]})",
                )
            )
    clean = frame.drop(index=list(bad_rows))
    for a, b in overlaps(clean, key):
        row_a, row_b = clean.index[a], clean.index[b]
        value = " / ".join(str(clean.loc[row_b, k]) for k in key)
        issues.append(
            Issue(
                table.filename,
                int(row_b) + 2,
                "effective_from",
                value,
                f"a period that does not overlap row {int(row_a) + 2} of the same "
                f"{' + '.join(key)} ({start[row_a] or 'always'} to {end[row_a] or 'open'})",
            )
        )


def _check_reference(
    name: str,
    frame: pd.DataFrame,
    column: str,
    allowed: set,
    expected: str,
    issues: list[Issue],
    allow_blank: bool = False,
) -> None:
    values = frame[column]
    bad = ~values.isin(allowed)
    if allow_blank:
        bad &= values != ""
    for row in _rows(bad, frame):
        issues.append(Issue(TABLES[name].filename, row, column, str(values[row - 2]), expected))


def check_tables(tables: dict[str, pd.DataFrame], params: dict[str, Any]) -> list[Issue]:
    """Cross-table checks on typed tables (references, keys, shapes, currencies)."""
    issues: list[Issue] = []
    for name, frame in tables.items():
        _check_keys(name, frame, issues)
    skus, nodes, lanes = tables["skus"], tables["nodes"], tables["lanes"]
    demand, channels, rules, fx = (
        tables["demand"],
        tables["channels"],
        tables["tax_rules"],
        tables["fx"],
    )

    node_kind = dict(zip(nodes["node_id"], nodes["kind"], strict=True))
    suppliers = {n for n, k in node_kind.items() if k == "supplier"}
    demand_nodes = {n for n, k in node_kind.items() if k in DEMAND_KINDS}
    _check_reference(
        "skus", skus, "supplier_id", suppliers, "a node_id of kind supplier in nodes.csv", issues
    )
    _check_reference(
        "lanes", lanes, "from_node", set(node_kind), "a node_id listed in nodes.csv", issues
    )
    _check_reference(
        "lanes", lanes, "to_node", set(node_kind), "a node_id listed in nodes.csv", issues
    )
    for row in _rows(lanes["from_node"] == lanes["to_node"], lanes):
        issues.append(
            Issue(
                "lanes.csv",
                row,
                "to_node",
                lanes.loc[row - 2, "to_node"],
                "a node other than from_node",
            )
        )
    _check_reference(
        "demand", demand, "sku_id", set(skus["sku_id"]), "a sku_id listed in skus.csv", issues
    )
    _check_reference(
        "demand",
        demand,
        "region_id",
        demand_nodes,
        "a node_id of kind region or business_buyer in nodes.csv",
        issues,
    )
    _check_reference(
        "tax_rules",
        rules,
        "channel_id",
        set(channels["channel_id"]),
        "a channel_id listed in channels.csv",
        issues,
    )

    channel_ids = set(channels["channel_id"])
    for i, cell in lanes["channels"].items():
        for token in str(cell).split("|"):
            token = token.strip()
            if token != "*" and token not in channel_ids:
                issues.append(
                    Issue(
                        "lanes.csv",
                        int(i) + 2,
                        "channels",
                        cell,
                        "'*' or channel_ids from channels.csv separated by '|'",
                    )
                )
                break

    for i, row in channels.iterrows():
        steps = parse_shape(row["path_shape"])
        kinds = [k for k, _ in steps]

        wrong: list[tuple[str, str]] = []  # (column, what was expected)
        if any(k not in NODE_KINDS for k in kinds):
            wrong.append(
                ("path_shape", "node kinds (" + ", ".join(NODE_KINDS) + ") separated by '>'")
            )
        else:
            if len(steps) < 2 or kinds[0] != "supplier" or steps[0][1]:
                wrong.append(("path_shape", "a shape starting with 'supplier'"))
            if kinds[-1] not in DEMAND_KINDS or steps[-1][1]:
                wrong.append(("path_shape", "a shape ending with 'region' or 'business_buyer'"))
            if row["stock_node_kind"] and row["stock_node_kind"] not in kinds:
                wrong.append(("stock_node_kind", "a node kind that appears in path_shape"))
        issues += [Issue("channels.csv", int(i) + 2, c, row[c], e) for c, e in wrong]

    for i, row in nodes.iterrows():
        line = int(i) + 2
        if row["kind"] not in STOCKING_KINDS:
            for col in ("storage_capacity_m3", "throughput_capacity_units"):
                if not np.isnan(row[col]):
                    issues.append(
                        Issue(
                            "nodes.csv",
                            line,
                            col,
                            str(row[col]),
                            "blank: only stocking nodes ("
                            + ", ".join(STOCKING_KINDS)
                            + ") have capacity",
                        )
                    )
        if row["service_share"] > 0 and np.isnan(row["service_days"]):
            issues.append(
                Issue(
                    "nodes.csv",
                    line,
                    "service_days",
                    "",
                    "a number of days since service_share is above 0",
                )
            )
    for row in _rows((lanes["cost_per_container"] > 0) & lanes["container_m3"].isna(), lanes):
        issues.append(
            Issue(
                "lanes.csv",
                row,
                "container_m3",
                "",
                "a container size since cost_per_container is set",
            )
        )

    _check_rates(tables, issues)
    _check_service_restrictions(tables, issues)
    _check_limits(tables, issues)
    _check_platforms(tables, issues)

    fx_rates = dict(zip(fx["currency"], fx["rate_to_instance"], strict=True))
    base = params["currency"]
    if base and base in fx_rates and abs(fx_rates[base] - 1.0) > 1e-12:
        row = int(fx.index[fx["currency"] == base][0]) + 2
        issues.append(
            Issue(
                "fx.csv",
                row,
                "rate_to_instance",
                str(fx_rates[base]),
                f"1 for the instance currency {base}",
            )
        )
    known = set(fx_rates) | {base}
    for name, frame in tables.items():
        column = TABLES[name].currency_column
        if column:
            _check_reference(
                name,
                frame,
                column,
                known,
                f"a currency listed in fx.csv (or blank for {base})",
                issues,
                allow_blank=True,
            )
    return issues


def _check_rates(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """Carrier rates: each kind has what it needs; breaks belong to weight_break rates."""
    rates, breaks, lanes = tables["rates"], tables["weight_breaks"], tables["lanes"]
    _check_reference(
        "rates", rates, "lane_id", set(lanes["lane_id"]), "a lane_id listed in lanes.csv", issues
    )
    banded = rates["kind"].isin(("weight_break", "order_weight_break"))
    weight_break_ids = set(rates.loc[banded, "rate_id"])
    _check_reference(
        "weight_breaks",
        breaks,
        "rate_id",
        weight_break_ids,
        "a rate_id of kind weight_break or order_weight_break in rates.csv",
        issues,
    )
    _check_bands(breaks, issues)
    with_breaks = set(breaks["rate_id"])
    for i, row in rates.iterrows():
        line = int(i) + 2
        if banded[i] and row["rate_id"] not in with_breaks:
            issues.append(
                Issue(
                    "rates.csv",
                    line,
                    "rate_id",
                    row["rate_id"],
                    f"at least one row in weight_breaks.csv for this {row['kind']} rate",
                )
            )
        if (
            row["kind"] in ("container", "truckload")
            and np.isnan(row["capacity_m3"])
            and np.isnan(row["capacity_kg"])
        ):
            issues.append(
                Issue(
                    "rates.csv",
                    line,
                    "capacity_m3",
                    "",
                    "capacity_m3 or capacity_kg for a container or truckload rate",
                )
            )
        if row["kind"] == "per_m3" and not row["cost_per_m3"] > 0:
            issues.append(
                Issue(
                    "rates.csv",
                    line,
                    "cost_per_m3",
                    str(row["cost_per_m3"]),
                    "a positive cost per m3 for a per_m3 rate",
                )
            )
    containerised = set(lanes.loc[lanes["container_m3"].notna(), "lane_id"])
    for row in _rows(rates["lane_id"].isin(containerised), rates):
        issues.append(
            Issue(
                "rates.csv",
                row,
                "lane_id",
                rates.loc[row - 2, "lane_id"],
                "a lane without container_m3 (a lane with rates takes its containers "
                "from container/truckload rates)",
            )
        )


def _check_bands(breaks: pd.DataFrame, issues: list[Issue]) -> None:
    """Weight bands of one rate neither repeat nor overlap, and each ends above its start.

    Duplicates and overlaps name both rows of weight_breaks.csv.
    """
    if breaks.empty:
        return
    frame = breaks.assign(_line=breaks.index.to_numpy() + 2).sort_values(
        ["rate_id", "min_weight_kg", "_line"], kind="stable"
    )
    for _, row in frame.iterrows():
        if row["max_weight_kg"] < row["min_weight_kg"]:
            issues.append(
                Issue(
                    "weight_breaks.csv",
                    int(row["_line"]),
                    "max_weight_kg",
                    f"{row['max_weight_kg']:g}",
                    f"a limit at or above the band's min_weight_kg ({row['min_weight_kg']:g})",
                )
            )
    same_rate = frame["rate_id"].to_numpy(object)
    lo = frame["min_weight_kg"].to_numpy(np.float64)
    hi = frame["max_weight_kg"].to_numpy(np.float64)
    line = frame["_line"].to_numpy(np.int64)
    for a in range(len(frame) - 1):
        b = a + 1
        if same_rate[a] != same_rate[b]:
            continue
        if lo[a] == lo[b]:
            issues.append(
                Issue(
                    "weight_breaks.csv",
                    int(line[b]),
                    "min_weight_kg",
                    f"{lo[b]:g}",
                    f"a band that does not repeat row {line[a]} of rate {same_rate[a]} "
                    f"(both start at {lo[a]:g} kg)",
                )
            )
        elif hi[a] > lo[b]:
            issues.append(
                Issue(
                    "weight_breaks.csv",
                    int(line[a]),
                    "max_weight_kg",
                    f"{hi[a]:g}",
                    f"a limit at or below {lo[b]:g} kg, where row {line[b]} of rate "
                    f"{same_rate[a]} starts (the bands overlap)",
                )
            )


def _check_service_restrictions(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """allowed_channels name channels that exist (a typo would silently drop paths)."""
    channel_ids = set(tables["channels"]["channel_id"])
    for name in ("demand", "nodes"):
        frame = tables[name]
        for i, cell in frame["allowed_channels"].items():
            tokens = {t.strip() for t in str(cell).split("|")}
            if "*" not in tokens and not tokens <= channel_ids:
                issues.append(
                    Issue(
                        TABLES[name].filename,
                        int(i) + 2,
                        "allowed_channels",
                        cell,
                        "'*' or channel_ids from channels.csv separated by '|'",
                    )
                )


def _check_limits(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """A service limit per shipment that no band of its own tariff can reach."""
    rates, breaks = tables["rates"], tables["weight_breaks"]
    if rates.empty or breaks.empty:
        return
    lowest = breaks.groupby("rate_id")["min_weight_kg"].min()
    for i, row in rates.iterrows():
        first = lowest.get(row["rate_id"])
        if (
            first is not None
            and row["limit_per"] == "shipment"
            and row["max_kg"] < first
            and row["kind"] == "order_weight_break"
        ):
            issues.append(
                Issue(
                    "rates.csv",
                    int(i) + 2,
                    "max_kg",
                    f"{row['max_kg']:g}",
                    f"at least {first:g} kg per shipment, where the service's first band starts "
                    "(below it the service can carry nothing)",
                )
            )


def _check_platforms(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """Platforms named by demand rows and fee tiers exist; their nodes and channels exist;
    the commission tiers of one platform and category do not overlap and share one mode."""
    platforms = tables.get("platforms")
    fees = tables.get("platform_fees")
    fulfilment = tables.get("platform_fulfilment_fees")
    if fulfilment is not None and len(fulfilment):
        _check_reference(
            "platform_fulfilment_fees",
            fulfilment,
            "platform_id",
            set(platforms["platform_id"]) if platforms is not None else set(),
            "a platform_id listed in platforms.csv",
            issues,
        )
    if platforms is None or fees is None:
        return
    known = set(platforms["platform_id"])
    _check_reference(
        "demand",
        tables["demand"],
        "platform_id",
        known,
        "a platform_id listed in platforms.csv (or blank: sold directly)",
        issues,
        allow_blank=True,
    )
    _check_reference(
        "platform_fees", fees, "platform_id", known, "a platform_id listed in platforms.csv", issues
    )
    returns = tables.get("platform_returns")
    if returns is not None:
        _check_reference(
            "platform_returns",
            returns,
            "platform_id",
            known,
            "a platform_id listed in platforms.csv",
            issues,
        )
    nodes = tables["nodes"]
    stocking = set(nodes.loc[nodes["kind"].isin(STOCKING_KINDS), "node_id"])
    channel_ids = set(tables["channels"]["channel_id"])
    for column, allowed, expected in (
        ("stock_nodes", stocking, "'*' or stocking node_ids from nodes.csv separated by '|'"),
        ("allowed_channels", channel_ids, "'*' or channel_ids from channels.csv separated by '|'"),
    ):
        for i, cell in platforms[column].items():
            tokens = {t.strip() for t in str(cell).split("|")}
            if "*" not in tokens and not tokens <= allowed:
                issues.append(Issue("platforms.csv", int(i) + 2, column, cell, expected))
    if "duty_free_pickup" in platforms.columns:
        not_a_store = platforms["duty_free_pickup"].astype(bool) & (
            platforms["kind"] != "physical_store"
        )
        for i in platforms.index[not_a_store.to_numpy()]:
            issues.append(
                Issue(
                    "platforms.csv",
                    int(i) + 2,
                    "duty_free_pickup",
                    platforms.loc[i, "duty_free_pickup"],
                    "false: only a physical_store can be a duty-free shop "
                    f"(kind is {platforms.loc[i, 'kind']})",
                )
            )
    if fees.empty:
        return
    low = fees["min_price"].to_numpy(np.float64)
    high = np.nan_to_num(fees["max_price"].to_numpy(np.float64), nan=np.inf)
    for row in _rows(high <= low, fees):
        issues.append(
            Issue(
                "platform_fees.csv",
                row,
                "max_price",
                f"{high[row - 2]:g}",
                f"a price above min_price ({low[row - 2]:g})",
            )
        )
    order = fees.assign(_high=high).sort_values(["platform_id", "category", "min_price"])
    same = (order["platform_id"] == order["platform_id"].shift()) & (
        order["category"] == order["category"].shift()
    )
    overlap = same & (order["min_price"] < order["_high"].shift())
    for i in order.index[overlap.to_numpy()]:
        issues.append(
            Issue(
                "platform_fees.csv",
                int(i) + 2,
                "min_price",
                f"{fees.loc[i, 'min_price']:g}",
                "a tier that starts at or above the end (max_price) of the previous tier of the "
                f"same platform and category ({fees.loc[i, 'platform_id']} / "
                f"{fees.loc[i, 'category']}): tiers must not overlap",
            )
        )
    mixed = same & (order["tier_mode"] != order["tier_mode"].shift())
    for i in order.index[mixed.to_numpy()]:
        issues.append(
            Issue(
                "platform_fees.csv",
                int(i) + 2,
                "tier_mode",
                fees.loc[i, "tier_mode"],
                "the same tier_mode as the other tiers of this platform and category",
            )
        )


def check_network(instance: Instance, index: Index) -> list[Issue]:
    """Checks that need the compiled paths: reachable demand.

    A path with no matching tax rule is dropped, not an error: leaving a
    channel's rule out for a category or destination is how a channel is closed
    to it (docs/instance-format.md). Only demand left with no path at all is
    reported, with the rule (such as ``no_tax_rule``) that removed each channel.
    """
    issues: list[Issue] = []
    pairs = index.pairs
    demand = instance.demand
    why = excluded_options(index, instance, pairs.unserved_rows)
    by_row = {
        row: "; ".join(
            f"{g.channel_id}: {g.reason} ({g.promise_days:g} days)"
            for g in group.drop_duplicates("channel_id").itertuples(index=False)
        )
        for row, group in why.groupby("demand_row", sort=False)
    }
    for row in pairs.unserved_rows:
        excluded = by_row.get(row)
        detail = (
            f"the channels that reach it are excluded by hard rules: {excluded}"
            if excluded
            else "no path of any channel from its supplier reaches it; dropped candidates "
            f"overall: {_drop_summary(pairs.dropped)}"
        )
        issues.append(
            Issue(
                "demand.csv",
                int(demand.index[row]) + 2,
                "region_id",
                str(demand["region_id"].iloc[row]),
                f"a demand node that some channel can reach for SKU "
                f"{demand['sku_id'].iloc[row]}{_on_platform(demand, row)} ({detail})",
            )
        )
    return issues


def _on_platform(demand: pd.DataFrame, row: int) -> str:
    """' on platform X' for a demand row sold through a platform, else ''."""
    platform = str(demand["platform_id"].iloc[row]) if "platform_id" in demand.columns else ""
    return f" on platform {platform}" if platform else ""


def check_plannable(instance: Instance) -> list[Issue]:
    """Checks before a solve: an instance whose demand is all 0 has nothing to plan.

    Such an instance is valid data (a plan can be evaluated against it), so
    :func:`~lean_chain.load.load_instance` accepts it; ``validate``
    and ``solve`` report it instead of building an empty model.
    """
    units = instance.demand["units"]
    if (units > 0).any():
        return []
    why = "the table has no rows" if units.empty else "all units are 0"
    return [
        Issue(
            "demand.csv",
            None,
            "units",
            None,
            f"at least one row with units above 0: there is nothing to plan ({why})",
        )
    ]


def _drop_summary(dropped: dict[str, int]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in dropped.items() if v)
    return text or "none; no lane sequence matches any channel's path_shape"
