"""A self-contained HTML report of a run folder (``lean-chain report RUN -o report.html``).

One file that opens offline in any browser: plotly.js and the world outline (Natural
Earth 1:110m, as TopoJSON, shipped in ``lean_chain/assets``) are embedded, and
nothing is fetched. Charts: a map of nodes and flows, the cost waterfall, channel
mix per category and per destination, promise days against the service targets,
stock and throughput per node against capacity, the costliest SKUs, the
sensitivity report (where the run has one) and, with ``compare``, the differences
from another run. Each chart has a one-line caption; ``docs/report.md`` describes
them.

The report reads the run folder (``summary.json`` and ``plan/*.csv``) and the
instance (coordinates, SKU categories, service targets): the instance path recorded
in ``summary.json``, or the one given.

Examples
--------
>>> import lean_chain, tempfile, pathlib
>>> inst = lean_chain.load_instance("tests/data/tiny")
>>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> _ = lean_chain.write_plan(lean_chain.solve(inst), run)
>>> html = build_report(run)
>>> html.count('class="chart"') >= 8, "cdn.plot.ly/plotly" in html
(True, False)
"""

from __future__ import annotations

import html as html_lib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from lean_chain.errors import Issue, PlanError
from lean_chain.load import load_instance
from lean_chain.model.instance import Instance

#: Channel colours, stable across charts and runs (plotly's qualitative palette).
_PALETTE = (
    "#636EFA",
    "#EF553B",
    "#00CC96",
    "#AB63FA",
    "#FFA15A",
    "#19D3F3",
    "#FF6692",
    "#B6E880",
    "#FF97FF",
    "#FECB52",
)
_KIND_SYMBOLS = {
    "supplier": "square",
    "port": "diamond",
    "hub": "diamond",
    "bonded_zone": "star",
    "overseas_warehouse": "star",
    "warehouse": "star",
    "region": "circle",
    "buyer": "triangle-up",
}
#: Marks every chart div once plotly has drawn it; the browser test counts them.
_RENDERED = "document.getElementById('{plot_id}').setAttribute('data-rendered', '1');"
#: Runs first: any JavaScript error is recorded on <body data-js-errors> for the test.
_ERROR_HOOK = """
window.__reportErrors = [];
function __recordError(text) {
  window.__reportErrors.push(String(text));
  document.documentElement.setAttribute('data-js-errors', window.__reportErrors.join(' | '));
}
window.addEventListener('error', function (e) { __recordError(e.message || e); });
window.addEventListener('unhandledrejection', function (e) { __recordError(e.reason); });
"""


@dataclass(frozen=True)
class Run:
    """A run folder read back: its summary and plan tables."""

    path: Path
    summary: dict
    tables: dict[str, pd.DataFrame]

    @property
    def name(self) -> str:
        return self.path.name


def read_run(path: str | Path) -> Run:
    """Read ``summary.json`` and ``plan/*.csv`` of a run folder."""
    path = Path(path)
    summary_file = path / "summary.json"
    if not summary_file.is_file():
        raise PlanError([Issue(str(path), None, None, None, "a run folder with summary.json")])
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    tables = {
        csv.stem: pd.read_csv(csv, keep_default_na=False, na_values=[""])
        for csv in sorted((path / "plan").glob("*.csv"))
    }
    if "flows" not in tables:
        raise PlanError([Issue(str(path / "plan"), None, None, None, "plan/flows.csv")])
    return Run(path, summary, tables)


def _instance_of(run: Run, instance: str | Path | Instance | None) -> Instance:
    if isinstance(instance, Instance):
        return instance
    recorded = run.summary.get("instance_path")
    folder = instance or recorded
    if not folder or not Path(folder).exists():
        where = f"recorded path {recorded} does not exist" if recorded else "none recorded"
        raise PlanError(
            [
                Issue(
                    str(run.path / "summary.json"),
                    None,
                    "instance_path",
                    recorded,
                    f"the instance folder of this run ({where}): give it with --instance",
                )
            ]
        )
    return load_instance(folder)


def _colours(channels: list[str]) -> dict[str, str]:
    return {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(sorted(map(str, channels)))}


@dataclass(frozen=True)
class Chart:
    """One figure with its title and one-line caption."""

    key: str
    title: str
    caption: str
    figure: object  # plotly.graph_objects.Figure


def _figure(**layout):
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.update_layout(
        **{"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 30, "b": 60}, **layout}
    )
    return fig


def _flows(run: Run, instance: Instance) -> pd.DataFrame:
    flows = run.tables["flows"].copy()
    flows["sku_id"] = flows["sku_id"].astype(str)
    flows["region_id"] = flows["region_id"].astype(str)
    flows["channel_id"] = flows["channel_id"].astype(str)
    categories = instance.skus.set_index("sku_id")["category"]
    flows["category"] = flows["sku_id"].map(categories).fillna("(not in instance)")
    flows["cost"] = flows["units"] * flows["unit_landed_cost"]
    return flows


def map_chart(run: Run, instance: Instance, colours: dict[str, str]) -> Chart:
    """Nodes and flows on a world map; line width by units, colour by channel."""
    import plotly.graph_objects as go

    flows = _flows(run, instance)
    nodes = instance.nodes.set_index("node_id")
    located = nodes["lat"].notna() & nodes["lon"].notna()
    # each flow's route A>B>C as its legs (A, B) and (B, C), summed per leg and channel
    stops = flows["route"].astype(str).str.split(">")
    legs = pd.DataFrame(
        {
            "from_node": stops.map(lambda s: s[:-1]),
            "to_node": stops.map(lambda s: s[1:]),
            "channel_id": flows["channel_id"],
            "units": flows["units"],
        }
    ).explode(["from_node", "to_node"])
    legs = legs.dropna().groupby(["from_node", "to_node", "channel_id"], as_index=False)["units"]
    legs = legs.sum()
    legs = legs[legs["from_node"].map(located) & legs["to_node"].map(located)]
    fig = _figure(
        height=560,
        geo={
            "projection": {"type": "natural earth"},
            "showcountries": True,
            "countrycolor": "#bbb",
            "showland": True,
            "landcolor": "#f2f2f2",
            "resolution": 110,
            "fitbounds": "locations",
        },
        legend={"title": {"text": "channel / node kind"}},
    )
    largest = float(legs["units"].max()) if len(legs) else 1.0
    # plotly draws one width per trace: legs in four width classes per channel
    classes = np.minimum((4 * legs["units"] / max(largest, 1e-9)).astype(int), 3)
    for (channel, width_class), group in legs.groupby([legs["channel_id"], classes]):
        lon, lat, text = [], [], []
        for row in group.itertuples(index=False):
            lon += [nodes.at[row.from_node, "lon"], nodes.at[row.to_node, "lon"], None]
            lat += [nodes.at[row.from_node, "lat"], nodes.at[row.to_node, "lat"], None]
            label = f"{row.from_node} → {row.to_node}: {row.units:,.0f} units ({channel})"
            text += [label, label, None]
        fig.add_trace(
            go.Scattergeo(
                lon=lon,
                lat=lat,
                mode="lines",
                line={"width": 1 + 2.5 * int(width_class), "color": colours.get(channel, "#888")},
                opacity=0.7,
                name=f"channel {channel}",
                legendgroup=channel,
                showlegend=bool(width_class == classes[legs["channel_id"] == channel].min()),
                text=text,
                hoverinfo="text",
            )
        )
    used = set(legs["from_node"]) | set(legs["to_node"])
    shown = nodes[located & nodes.index.isin(used)]
    for kind, group in shown.groupby("kind"):
        fig.add_trace(
            go.Scattergeo(
                lon=group["lon"],
                lat=group["lat"],
                mode="markers",
                marker={
                    "size": 9,
                    "symbol": _KIND_SYMBOLS.get(kind, "circle"),
                    "color": "#333",
                    "line": {"width": 1, "color": "white"},
                },
                name=str(kind),
                text=[f"{i} ({n})" for i, n in zip(group.index, group["name"], strict=True)],
                hoverinfo="text",
            )
        )
    missing = int((~located & nodes.index.isin(used)).sum())
    caption = (
        "Stocking, supply and demand nodes with the flows of the plan along their legs; line "
        "width grows with the units carried, colour is the customs channel."
    )
    if missing:
        caption += f" {missing} nodes without coordinates are left out."
    return Chart("map", "Network and flows", caption, fig)


def waterfall_chart(run: Run) -> Chart:
    """The plan's cost, component by component, up to its total."""
    import plotly.graph_objects as go

    breakdown = {k: float(v) for k, v in run.summary.get("cost_breakdown", {}).items() if v}
    names = list(breakdown)
    fig = _figure(height=420, yaxis={"title": _currency(run)})
    fig.add_trace(
        go.Waterfall(
            x=[*names, "total"],
            y=[*breakdown.values(), 0.0],
            measure=["relative"] * len(names) + ["total"],
            connector={"line": {"color": "#999"}},
            texttemplate="%{delta:,.3s}",
            textposition="outside",
        )
    )
    return Chart(
        "waterfall",
        "Cost waterfall",
        f"Each cost component of the plan over the horizon ({_currency(run)}), adding up to "
        f"the total of {run.summary.get('objective', float('nan')):,.0f}; components that are "
        "zero are left out.",
        fig,
    )


def _currency(run: Run) -> str:
    return str(
        run.summary.get("currency") or run.summary.get("sensitivity", {}).get("currency", "")
    )


def _stacked_units(
    flows: pd.DataFrame, by: str, colours: dict[str, str], top: int | None = None
) -> object:
    import plotly.graph_objects as go

    table = flows.pivot_table(
        index=by, columns="channel_id", values="units", aggfunc="sum", fill_value=0.0
    )
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    if top is not None:
        table = table.head(top)
    shares = table.div(table.sum(axis=1), axis=0)
    fig = _figure(
        height=420,
        barmode="stack",
        yaxis={"title": "share of units", "tickformat": ".0%"},
        legend={"title": {"text": "channel"}},
    )
    for channel in table.columns:
        fig.add_trace(
            go.Bar(
                x=[str(i) for i in table.index],
                y=shares[channel],
                name=str(channel),
                marker_color=colours.get(str(channel), "#888"),
                customdata=table[channel],
                hovertemplate="%{x}: %{y:.1%} (%{customdata:,.0f} units)<extra>"
                + str(channel)
                + "</extra>",
            )
        )
    return fig


def mix_charts(run: Run, instance: Instance, colours: dict[str, str]) -> list[Chart]:
    """Channel mix per SKU category and per destination."""
    flows = _flows(run, instance)
    n_regions = flows["region_id"].nunique()
    note = "" if n_regions <= 40 else f" (the 40 largest of {n_regions} destinations)"
    return [
        Chart(
            "mix_category",
            "Channel mix per category",
            "Share of each SKU category's units shipped through each customs channel.",
            _stacked_units(flows, "category", colours),
        ),
        Chart(
            "mix_destination",
            "Channel mix per destination",
            f"Share of each destination's units by customs channel, largest first{note}.",
            _stacked_units(flows, "region_id", colours, top=40),
        ),
    ]


def lead_time_charts(run: Run, instance: Instance, colours: dict[str, str]) -> list[Chart]:
    """Units by promise days, and each region's share within its service days vs the target."""
    import plotly.graph_objects as go

    flows = _flows(run, instance)
    table = flows.pivot_table(
        index="promise_days", columns="channel_id", values="units", aggfunc="sum", fill_value=0.0
    )
    histogram = _figure(
        height=380,
        barmode="stack",
        xaxis={"title": "promised delivery days"},
        yaxis={"title": "units"},
        legend={"title": {"text": "channel"}},
    )
    for channel in table.columns:
        histogram.add_trace(
            go.Bar(
                x=table.index,
                y=table[channel],
                name=str(channel),
                marker_color=colours.get(str(channel), "#888"),
            )
        )
    nodes = instance.nodes.set_index("node_id")
    targets = nodes[nodes["service_days"].notna() & (nodes["service_share"] > 0)]
    for days in sorted(targets["service_days"].unique()):
        histogram.add_vline(x=float(days), line_dash="dash", line_color="#555")
    charts = [
        Chart(
            "lead_time",
            "Promise days",
            "Units by the delivery days promised on their path, by channel; dashed lines are "
            "the regions' service-day targets.",
            histogram,
        )
    ]
    flows = flows[flows["region_id"].isin(targets.index)].copy()
    flows["within"] = flows["promise_days"] <= flows["region_id"].map(targets["service_days"])
    total = flows.groupby("region_id")["units"].sum()
    achieved = flows[flows["within"]].groupby("region_id")["units"].sum().reindex(total.index)
    achieved = (achieved.fillna(0.0) / total).sort_values()
    target = targets["service_share"].reindex(achieved.index)
    service = _figure(
        height=380,
        yaxis={"title": "share of units within the service days", "tickformat": ".0%"},
    )
    labels = [f"{r} (≤{targets.at[r, 'service_days']:g} d)" for r in achieved.index]
    service.add_trace(go.Bar(x=labels, y=achieved, name="plan", marker_color="#636EFA"))
    service.add_trace(
        go.Scatter(
            x=labels,
            y=target,
            mode="markers",
            name="target",
            marker={"symbol": "line-ew", "size": 24, "line": {"width": 3, "color": "#EF553B"}},
        )
    )
    caption = (
        "For each region with a service target: the share of its units promised within its "
        "service days (bar) against the required share (red mark)."
    )
    if not len(targets):
        caption = "No region of this instance has a service target: nothing to compare."
    charts.append(Chart("service", "Service targets", caption, service))
    return charts


def capacity_chart(run: Run) -> Chart:
    """Storage and throughput used per stocking node against capacity."""
    import plotly.graph_objects as go

    nodes = run.tables.get("nodes", pd.DataFrame())
    fig = _figure(
        height=400,
        barmode="group",
        yaxis={"title": "share of capacity used", "tickformat": ".0%"},
    )
    for used, capacity, label, unit in (
        ("storage_m3", "storage_capacity_m3", "storage", "m³"),
        ("throughput_units", "throughput_capacity_units", "throughput", "units"),
    ):
        if used not in nodes or capacity not in nodes:
            continue
        limited = nodes[nodes[capacity].notna() & (nodes[capacity] > 0)]
        fig.add_trace(
            go.Bar(
                x=limited["node_id"].astype(str),
                y=limited[used] / limited[capacity],
                name=label,
                customdata=np.column_stack([limited[used], limited[capacity]]),
                hovertemplate="%{x}: %{customdata[0]:,.1f} of %{customdata[1]:,.1f} "
                + unit
                + "<extra>"
                + label
                + "</extra>",
            )
        )
    fig.add_hline(y=1.0, line_dash="dash", line_color="#EF553B")
    caption = (
        "On-hand stock volume and units shipped per stocking node as a share of its capacity "
        "(dashed line: full); nodes without a limit are left out."
    )
    if not fig.data or not any(len(trace.x) for trace in fig.data):
        caption = "No stocking node of this instance has a storage or throughput limit."
    return Chart("capacity", "Stock and throughput against capacity", caption, fig)


def costliest_chart(run: Run, instance: Instance, colours: dict[str, str], top: int = 20) -> Chart:
    """The SKUs with the largest landed cost (flows) plus holding cost (stock)."""
    import plotly.graph_objects as go

    flows = _flows(run, instance)
    by_channel = flows.pivot_table(
        index="sku_id", columns="channel_id", values="cost", aggfunc="sum", fill_value=0.0
    )
    stock = run.tables.get("stock")
    holding = (
        stock.assign(sku_id=stock["sku_id"].astype(str)).groupby("sku_id")["holding_cost"].sum()
        if stock is not None and len(stock)
        else pd.Series(dtype=float)
    )
    total = by_channel.sum(axis=1).add(holding, fill_value=0.0)
    order = total.sort_values(ascending=False).head(top).index[::-1]
    fig = _figure(
        height=max(360, 22 * len(order) + 100),
        barmode="stack",
        xaxis={"title": _currency(run)},
        legend={"title": {"text": "cost"}},
        margin={"l": 90, "r": 20, "t": 30, "b": 50},
    )
    for channel in by_channel.columns:
        fig.add_trace(
            go.Bar(
                y=list(order),
                x=by_channel[channel].reindex(order).fillna(0.0),
                orientation="h",
                name=f"landed via {channel}",
                marker_color=colours.get(str(channel), "#888"),
            )
        )
    if len(holding):
        fig.add_trace(
            go.Bar(
                y=list(order),
                x=holding.reindex(order).fillna(0.0),
                orientation="h",
                name="holding",
                marker_color="#999",
            )
        )
    return Chart(
        "costliest",
        "Costliest SKUs",
        f"The {len(order)} SKUs with the largest landed cost (procurement, freight, taxes, "
        "handling, by channel) plus stock holding cost over the horizon.",
        fig,
    )


def _channel_shares(run: Run) -> pd.Series:
    flows = run.tables["flows"]
    units = flows.groupby(flows["channel_id"].astype(str))["units"].sum()
    return units / max(units.sum(), 1e-12)


def compare_charts(run: Run, other: Run, instance: Instance) -> list[Chart]:
    """Differences from another run: cost components and channel mix."""
    import plotly.graph_objects as go

    mine = pd.Series(run.summary.get("cost_breakdown", {}), dtype=float)
    theirs = pd.Series(other.summary.get("cost_breakdown", {}), dtype=float)
    difference = mine.sub(theirs, fill_value=0.0)
    difference = difference[difference.abs() > 1e-9]
    costs = _figure(height=400, yaxis={"title": f"{run.name} − {other.name}"})
    costs.add_trace(
        go.Bar(
            x=list(difference.index),
            y=difference,
            marker_color=np.where(difference > 0, "#EF553B", "#00CC96"),
        )
    )
    shift = _channel_shares(run).sub(_channel_shares(other), fill_value=0.0)
    category = (
        _flows(run, instance).pivot_table(
            index="category", columns="channel_id", values="units", aggfunc="sum", fill_value=0.0
        ),
        _flows(other, instance).pivot_table(
            index="category", columns="channel_id", values="units", aggfunc="sum", fill_value=0.0
        ),
    )
    mix = _figure(
        height=400,
        barmode="group",
        yaxis={"title": "change in share of units (points)", "tickformat": ".1%"},
    )
    mix.add_trace(go.Bar(x=list(shift.index), y=shift, name="all SKUs", marker_color="#636EFA"))
    shares = [t.div(t.sum(axis=1), axis=0) for t in category]
    per_category = shares[0].sub(shares[1], fill_value=0.0).fillna(0.0)
    for name, row in per_category.iterrows():
        mix.add_trace(go.Bar(x=list(row.index.astype(str)), y=row, name=str(name), opacity=0.6))
    total_change = float(run.summary.get("objective", 0.0)) - float(
        other.summary.get("objective", 0.0)
    )
    return [
        Chart(
            "compare_costs",
            f"Cost components: {run.name} against {other.name}",
            f"How much each cost component of {run.name} is above (red) or below (green) "
            f"{other.name}; the totals differ by {total_change:,.0f}.",
            costs,
        ),
        Chart(
            "compare_mix",
            f"Channel mix shift: {run.name} against {other.name}",
            "Change in each channel's share of units, over all SKUs and per category "
            "(positive: the channel carries more in this run).",
            mix,
        ),
    ]


def _sensitivity_html(summary: dict) -> str:
    report = summary.get("sensitivity")
    if not report:
        return (
            "<p>This run has no sensitivity report (decomposition method, a very large model, "
            "or a run made before sensitivity reports existed).</p>"
        )
    if not report.get("available", True):
        return f"<p>No sensitivity report: {html_lib.escape(str(report.get('reason')))}</p>"
    sections = (
        ("capacities", "Node capacities", "shadow_price"),
        ("service", "Service targets", "shadow_price_per_point"),
        ("cbec_quota", "CBEC quotas", "shadow_price_per_1000"),
        ("promise_days", "One more promise day", "cost_change"),
    )
    parts = [f"<p>{html_lib.escape(report.get('note', ''))}</p>"]
    for key, title, value in sections:
        entries = report.get(key) or []
        if not entries:
            continue
        # the binding ones first; the rest are summarized in one line
        binding = sorted(
            (e for e in entries if e.get(value)), key=lambda e: abs(e[value]), reverse=True
        )
        rows = "".join(
            f"<tr><td>{html_lib.escape(e['sentence'])}</td>"
            f"<td class='num'>{e[value]:,.2f}</td></tr>"
            for e in binding
        )
        rest = len(entries) - len(binding)
        parts.append(f"<h3>{title}</h3>")
        if rows:
            parts.append(f"<table>{rows}</table>")
        if rest:
            parts.append(f"<p class='caption'>{rest} more: not binding (shadow price 0).</p>")
    return "\n".join(parts)


#: SKUs with a drill-down in the report.
_DRILLDOWN_SKUS = 40


def _drilldown_html(run: Run, top: int = 40) -> str:
    """Per SKU (the ``top`` with the most units), why each of its demand rows ships as it
    does: the chosen paths, the cheaper ones it lost and why, the best rejected one with
    what would switch it (``plan/alternatives.csv``; ``lean-chain explain`` has them all)."""
    from lean_chain.explain import STATUSES, run_alternatives

    if "alternatives" not in run.tables:
        return "<p>This run has no plan/alternatives.csv (made before explanations existed).</p>"
    table = run_alternatives(run.path)
    units = table[table["status"] == "chosen"].groupby("sku_id")["units"].sum()
    skus = units.sort_values(ascending=False).index[:top]
    shown = table[
        table["sku_id"].isin(skus)
        & (table["status"].isin(["chosen", "cheaper", "tie"]) | table["best_rejected"])
    ]
    others = table[table["sku_id"].isin(skus)].groupby("sku_id")["status"].value_counts()
    esc = html_lib.escape
    parts = []
    for sku in skus:  # one <details> per SKU shown (at most ``top``)
        rows = shown[shown["sku_id"] == sku]
        counts = others.get(sku, pd.Series(dtype=int))
        summary = ", ".join(f"{counts[st]} {st}" for st in STATUSES if st in counts.index)
        body = "".join(
            f"<tr><td>{esc(str(r.region_id))}</td><td>{esc(str(r.channel_id))}</td>"
            f"<td>{esc(str(r.route))}</td><td class='num'>{r.unit_cost:,.2f}</td>"
            f"<td>{esc(str(r.status))}</td><td>{esc(str(r.reason))}</td>"
            f"<td>{esc(str(r.breakeven))}</td></tr>"
            for r in rows.itertuples(index=False)
        )
        parts.append(
            f"<details><summary>{esc(str(sku))}: {esc(summary)}</summary><table>"
            "<tr><th>region</th><th>channel</th><th>route</th><th>unit cost</th>"
            f"<th>status</th><th>why</th><th>what would switch it</th></tr>{body}</table>"
            "</details>"
        )
    return "\n".join(parts)


def _headline(run: Run, other: Run | None) -> str:
    def row(r: Run) -> str:
        s = r.summary
        gap = s.get("gap")
        return (
            f"<tr><td>{html_lib.escape(r.name)}</td><td>{html_lib.escape(str(s.get('instance')))}"
            f"</td><td>{html_lib.escape(str(s.get('status')))}</td>"
            f"<td>{html_lib.escape(str(s.get('method', '')))}</td>"
            f"<td class='num'>{float(s.get('objective', float('nan'))):,.2f}</td>"
            f"<td class='num'>{'' if gap is None else f'{gap:.3%}'}</td>"
            f"<td class='num'>{float(s.get('wall_s', float('nan'))):.1f} s</td></tr>"
        )

    rows = row(run) + (row(other) if other is not None else "")
    return (
        "<table><tr><th>run</th><th>instance</th><th>status</th><th>method</th>"
        f"<th>total cost</th><th>gap</th><th>time</th></tr>{rows}</table>"
    )


_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; font-size: 1.25em; }
.caption { color: #555; margin: 0.2em 0 0.6em; }
.chart { width: 100%; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""


def build_report(
    run: str | Path,
    *,
    instance: str | Path | Instance | None = None,
    compare: str | Path | None = None,
) -> str:
    """The report of run folder ``run`` as one HTML document (a string).

    Parameters
    ----------
    run : path
        A run folder written by ``lean-chain solve``.
    instance : path or Instance, optional
        The run's instance; by default the ``instance_path`` in ``summary.json``.
    compare : path, optional
        Another run folder (of the same instance) to show the differences from.

    Raises
    ------
    PlanError
        ``run`` or ``compare`` is not a run folder, or the instance cannot be found.
    """
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    this = read_run(run)
    inst = _instance_of(this, instance)
    other = read_run(compare) if compare is not None else None
    this.summary.setdefault("currency", inst.params.get("currency", ""))
    channels = set(this.tables["flows"]["channel_id"].astype(str))
    if other is not None:
        channels |= set(other.tables["flows"]["channel_id"].astype(str))
    colours = _colours(sorted(channels))
    charts = [
        map_chart(this, inst, colours),
        waterfall_chart(this),
        *mix_charts(this, inst, colours),
        *lead_time_charts(this, inst, colours),
        capacity_chart(this),
        costliest_chart(this, inst, colours),
    ]
    if other is not None:
        other.summary.setdefault("currency", this.summary["currency"])
        charts += compare_charts(this, other, inst)
    config = {"displaylogo": False, "responsive": True}
    body = []
    for chart in charts:
        div = pio.to_html(
            chart.figure,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"chart-{chart.key}",
            config=config,
            post_script=_RENDERED,
        )
        body.append(
            f"<h2>{html_lib.escape(chart.title)}</h2>\n"
            f"<p class='caption'>{html_lib.escape(chart.caption)}</p>\n"
            f'<div class="chart" data-chart="{chart.key}">{div}</div>'
        )
    sensitivity = _sensitivity_html(this.summary)
    world = resources.files("lean_chain").joinpath("assets", "world_110m.json").read_text("utf-8")
    title = f"lean_chain report: {this.name}" + (f" vs {other.name}" if other else "")
    charts_html = "\n".join(body[:-2] if other else body)
    compare_html = "\n".join(body[-2:]) if other else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html_lib.escape(title)}</title>
<style>{_CSS}</style>
<script>{_ERROR_HOOK}</script>
<script>window.PlotlyGeoAssets = {{topojson: {{world_110m: {world}}}}};</script>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{html_lib.escape(title)}</h1>
{_headline(this, other)}
{charts_html}
<h2>Sensitivity</h2>
<p class='caption'>What one more unit of each limit would be worth, with the plan's network
kept as it is (LP with the integer decisions fixed); 0 means not binding.</p>
{sensitivity}
<h2>Why this channel</h2>
<p class='caption'>Per SKU (the {_DRILLDOWN_SKUS} with the most units): the chosen paths, the
cheaper ones the plan did not use and why, and the best rejected one with what would switch
it (local). Every candidate: <code>lean-chain explain RUN --sku SKU</code>.</p>
{_drilldown_html(this, _DRILLDOWN_SKUS)}
{"<h1>Differences</h1>" + compare_html if other else ""}
</body></html>
"""


def write_report(
    run: str | Path,
    out: str | Path,
    *,
    instance: str | Path | Instance | None = None,
    compare: str | Path | None = None,
) -> Path:
    """Write :func:`build_report` to ``out``; returns the path written."""
    out = Path(out)
    text = build_report(run, instance=instance, compare=compare)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
