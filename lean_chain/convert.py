"""Turn capacitated facility location benchmarks into lean_chain instance folders.

Two classic formats are read:

- **OR-Library ``cap``** (Beasley; cap41-cap74 and capa): ``m n``; ``m`` lines
  ``capacity fixed_cost``; then for each customer its ``demand`` followed by
  ``m`` costs, each the cost of serving the customer's *whole* demand from
  that warehouse. ``capa`` writes the literal word ``capacity`` instead of the
  capacities; it is solved at a capacity given by the caller (8000, 10000,
  12000 or 14000 in the literature).
- **Holmberg single-source CFLP** (p1-p24): ``m n``; ``m`` lines
  ``capacity fixed_cost``; ``n`` demands; then the costs as ``m`` rows of
  ``n`` (one row per facility), again for the whole demand. Some files have
  CRLF line ends and trailing NUL padding; exactly ``2 + 2m + n + mn``
  numbers are read.

The instance written is a network in which lean_chain's MIP *is* the
capacitated facility location problem (CFLP): one SKU with zero procurement
cost and retail price, one supplier ``S``, one channel ``cflp`` with path
shape ``supplier>domestic_dc>region`` stocked at the ``domestic_dc``;
warehouse ``W<i>`` is a ``domestic_dc`` with ``throughput_capacity_units`` =
its capacity and ``fixed_cost`` = its fixed cost; customer ``C<j>`` is a
``region`` with the customer's demand. Lanes ``S -> W<i>`` cost nothing and
lane ``W<i> -> C<j>`` costs ``cost_ij / demand_j`` per unit, so serving the
whole demand through it costs ``cost_ij``. No taxes (regime ``none``), no
holding cost (rate 0, review period 0, no demand or lead-time deviation), one
channel per SKU. Holmberg instances set ``single_sourcing: true`` (each
customer is served by one warehouse). The MIP shares x, node-open z and
throughput rows ``sum_j d_j x_ij <= cap_i z_i`` are then exactly the textbook
CFLP (with the strong ``x_ij <= z_i`` links through the stocking rows).

Both layouts hold the same count of numbers (2 + 2m + n + mn), so a file
cannot tell which one it is: name the format correctly.

Customers with zero demand are left out: serving nothing costs nothing in
lean_chain, and no file of either benchmark has one. (In the textbook model a
zero-demand customer with positive costs would still pay its cheapest open
warehouse; such a file would need its optimum adjusted by hand.)

Examples
--------
One warehouse (capacity 10, fixed cost 5), one customer (demand 4, cost 8):

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     source = pathlib.Path(tmp) / "toy.txt"
...     _ = source.write_text("1 1\\n10 5\\n4\\n8\\n")
...     out = orlib_cap_to_instance(source, pathlib.Path(tmp) / "toy")
...     sorted(p.name for p in out.iterdir())
['channels.csv', 'demand.csv', 'fx.csv', 'lanes.csv', 'nodes.csv', 'parameters.yaml', 'skus.csv', 'tax_rules.csv']
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

#: The node, channel and currency ids used in converted instances.
SUPPLIER_ID = "S"
CHANNEL_ID = "cflp"
SKU_ID = "unit"
COUNTRY = "ZZ"  # user-assigned ISO 3166 code: a country of its own
CURRENCY = "XXX"  # ISO 4217 "no currency"


@dataclass(frozen=True)
class FacilityLocation:
    """A capacitated facility location problem as read from a benchmark file.

    ``costs[i][j]`` is the cost of serving customer j's whole demand from
    facility i.
    """

    name: str
    source: str
    capacities: list[float]
    fixed_costs: list[float]
    demands: list[float]
    costs: list[list[float]]
    single_source: bool

    @property
    def n_facilities(self) -> int:
        return len(self.capacities)

    @property
    def n_customers(self) -> int:
        return len(self.demands)


def _tokens(path: Path) -> list[str]:
    """Whitespace-separated tokens of ``path``, with trailing NUL padding removed."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: expected a benchmark file, got a folder") from None
    data = data.rstrip(b"\x00\r\n\t ")
    if b"\x00" in data:
        raise ValueError(f"{path}: unexpected NUL bytes inside the data (only trailing padding)")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: expected a plain-text file of numbers") from None
    return text.split()


def _number(path: Path, tokens: list[str], position: int, what: str) -> float:
    try:
        value = float(tokens[position])
    except ValueError:
        raise ValueError(
            f"{path}: number {position + 1} ({what}) is {tokens[position]!r}; expected a number"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{path}: number {position + 1} ({what}) is {tokens[position]!r}")
    return value


def _read_sized(path: Path, fmt: str) -> tuple[list[str], int, int]:
    """The tokens of the ``fmt`` file ``path`` and its header 'm n' (facilities, customers)."""
    tokens = _tokens(path)
    if len(tokens) < 2:
        raise ValueError(
            f"{path}: expected a {fmt} file starting with 'm n' (facilities, customers), "
            f"found {len(tokens)} number(s)"
        )
    sizes = []
    for position, what in ((0, "number of facilities m"), (1, "number of customers n")):
        value = _number(path, tokens, position, what)
        if value != int(value) or value < 1:
            raise ValueError(
                f"{path}: {what} is {tokens[position]!r}; expected a whole number >= 1"
            )
        sizes.append(int(value))
    return tokens, sizes[0], sizes[1]


def _facility_numbers(path: Path, tokens: list[str], m: int, what: str) -> list[float]:
    """Each facility's ``what`` ("capacity" or "fixed cost") from the m pairs
    'capacity fixed_cost' that follow the header."""
    offset = ("capacity", "fixed cost").index(what)
    return [
        _number(path, tokens, 2 + 2 * i + offset, f"{what} of facility {i + 1}") for i in range(m)
    ]


def _check_count(path: Path, tokens: list[str], expected: int, layout: str) -> None:
    if len(tokens) != expected:
        raise ValueError(
            f"{path}: expected exactly {expected} numbers ({layout}), found {len(tokens)}"
        )


def _checked(path: Path, **fields) -> FacilityLocation:
    """The problem read from ``path``, once its data are known to be usable."""
    problem = FacilityLocation(**fields)
    _check_values(path, problem)
    return problem


def _check_values(path: Path, problem: FacilityLocation) -> None:
    """Reject negative data (lean_chain's costs, capacities and demands are >= 0)."""
    checks = (
        ("capacity", problem.capacities),
        ("fixed cost", problem.fixed_costs),
        ("demand", problem.demands),
    )
    for what, values in checks:
        for k, value in enumerate(values, start=1):
            if value < 0:
                raise ValueError(f"{path}: {what} {k} is {value:g}; expected a number >= 0")
    for i, row in enumerate(problem.costs, start=1):
        for j, value in enumerate(row, start=1):
            if value < 0:
                raise ValueError(
                    f"{path}: cost of facility {i} for customer {j} is {value:g}; "
                    "expected a number >= 0"
                )


def read_orlib_cap(path: str | Path, capacity: float | None = None) -> FacilityLocation:
    """Read an OR-Library ``cap`` file (Beasley's capacitated warehouse location).

    ``capacity`` replaces the literal word ``capacity`` that ``capa`` writes
    instead of the capacities; it must be given for such files and must not be
    given for files that state their capacities.

    Raises
    ------
    ValueError
        Naming the file and what was expected (counts, numbers, capacity).
    """
    path = Path(path)
    tokens, m, n = _read_sized(path, "OR-Library cap")
    layout = (
        f"2 + 2m + n(1 + m) for m={m}, n={n}: 'm n', m x 'capacity fixed_cost', "
        "then per customer its demand and m costs"
    )
    _check_count(path, tokens, 2 + 2 * m + n * (1 + m), layout)
    symbolic = [tokens[2 + 2 * i].lower() == "capacity" for i in range(m)]
    if any(symbolic):
        if not all(symbolic):
            raise ValueError(
                f"{path}: some capacities are the word 'capacity' and some are numbers; "
                "expected one or the other"
            )
        if capacity is None:
            raise ValueError(
                f"{path}: the capacities are the word 'capacity' (as in capa); this instance "
                "needs a capacity to solve it at (e.g. 8000, 10000, 12000 or 14000): pass "
                "capacity=... (--capacity on the command line)"
            )
        if not math.isfinite(capacity) or capacity < 0:
            raise ValueError(f"capacity is {capacity!r}; expected a number >= 0")
        capacities = [float(capacity)] * m
    else:
        if capacity is not None:
            raise ValueError(
                f"{path}: the file states its capacities; capacity={capacity:g} applies only "
                "to files (like capa) whose capacities are the word 'capacity'"
            )
        capacities = _facility_numbers(path, tokens, m, "capacity")
    fixed = _facility_numbers(path, tokens, m, "fixed cost")
    demands: list[float] = []
    costs = [[0.0] * n for _ in range(m)]
    position = 2 + 2 * m
    for j in range(n):
        demands.append(_number(path, tokens, position, f"demand of customer {j + 1}"))
        position += 1
        for i in range(m):
            costs[i][j] = _number(
                path, tokens, position, f"cost of facility {i + 1} for customer {j + 1}"
            )
            position += 1
    name = path.stem if capacity is None else f"{path.stem}_{capacity:g}"
    return _checked(
        path,
        name=name,
        source=f"OR-Library cap file {path.name}"
        + ("" if capacity is None else f" at capacity {capacity:g}"),
        capacities=capacities,
        fixed_costs=fixed,
        demands=demands,
        costs=costs,
        single_source=False,
    )


def read_holmberg(path: str | Path) -> FacilityLocation:
    """Read a Holmberg single-source CFLP file (p1-p24).

    Raises
    ------
    ValueError
        Naming the file and what was expected (counts, numbers).
    """
    path = Path(path)
    tokens, m, n = _read_sized(path, "Holmberg")
    layout = (
        f"2 + 2m + n + mn for m={m}, n={n}: 'm n', m x 'capacity fixed_cost', n demands, "
        "m rows of n costs"
    )
    _check_count(path, tokens, 2 + 2 * m + n + m * n, layout)
    capacities = _facility_numbers(path, tokens, m, "capacity")
    fixed = _facility_numbers(path, tokens, m, "fixed cost")
    start = 2 + 2 * m
    demands = [_number(path, tokens, start + j, f"demand of customer {j + 1}") for j in range(n)]
    start += n
    costs = [
        [
            _number(
                path, tokens, start + i * n + j, f"cost of facility {i + 1} for customer {j + 1}"
            )
            for j in range(n)
        ]
        for i in range(m)
    ]
    return _checked(
        path,
        name=path.name,
        source=f"Holmberg single-source CFLP file {path.name}",
        capacities=capacities,
        fixed_costs=fixed,
        demands=demands,
        costs=costs,
        single_source=True,
    )


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir}: exists and is not a folder")
        if any(out_dir.iterdir()) and not overwrite:
            raise FileExistsError(
                f"{out_dir}: folder exists and is not empty; choose a new folder or pass "
                "overwrite=True (--overwrite on the command line)"
            )
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _num(value: float) -> str:
    """Shortest text that reads back as exactly ``value``."""
    return repr(float(value))


def write_instance(problem: FacilityLocation, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Write ``problem`` as a lean_chain instance folder (parameters.yaml + 7 CSVs).

    Raises
    ------
    FileExistsError
        ``out_dir`` exists and is not empty, unless ``overwrite``.
    """
    out = Path(out_dir)
    _prepare_out_dir(out, overwrite)
    served = [j for j, d in enumerate(problem.demands) if d > 0]
    m = problem.n_facilities
    kind = "single-source" if problem.single_source else "splittable"
    params = {
        "name": problem.name,
        "description": (
            f"Capacitated facility location ({kind}) "
            f"from {problem.source}: {m} warehouses, {problem.n_customers} customers"
            + (
                f" ({problem.n_customers - len(served)} with zero demand left out)"
                if len(served) < problem.n_customers
                else ""
            )
            + "; written by lean_chain.convert."
        ),
        "currency": CURRENCY,
        "horizon_days": 365,
        "holding_rate_per_year": 0.0,
        "review_period_days": 0.0,
        "max_channels_per_sku": 1,
        "single_sourcing": bool(problem.single_source),
    }
    (out / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    _write_csv(
        out / "skus.csv",
        [
            "sku_id",
            "category",
            "supplier_id",
            "procurement_cost",
            "retail_price",
            "weight_kg",
            "volume_m3",
        ],
        [[SKU_ID, "goods", SUPPLIER_ID, 0, 0, 1e-6, 1e-9]],
    )
    nodes: list[list[object]] = [[SUPPLIER_ID, "supplier", "supplier", COUNTRY, 0, 0, "", ""]]
    for i in range(m):
        nodes.append(
            [
                f"W{i + 1}",
                "domestic_dc",
                f"warehouse {i + 1}",
                COUNTRY,
                0,
                0,
                _num(problem.capacities[i]),
                _num(problem.fixed_costs[i]),
            ]
        )
    for j in served:
        nodes.append([f"C{j + 1}", "region", f"customer {j + 1}", COUNTRY, 0, 0, "", ""])
    _write_csv(
        out / "nodes.csv",
        [
            "node_id",
            "kind",
            "name",
            "country",
            "lat",
            "lon",
            "throughput_capacity_units",
            "fixed_cost",
        ],
        nodes,
    )
    lanes: list[list[object]] = [
        [f"S-W{i + 1}", SUPPLIER_ID, f"W{i + 1}", "truck", 0, 0] for i in range(m)
    ]
    for i in range(m):
        for j in served:
            per_unit = problem.costs[i][j] / problem.demands[j]
            lanes.append(
                [f"W{i + 1}-C{j + 1}", f"W{i + 1}", f"C{j + 1}", "truck", _num(per_unit), 0]
            )
    _write_csv(
        out / "lanes.csv",
        ["lane_id", "from_node", "to_node", "mode", "cost_per_unit", "lead_time_days"],
        lanes,
    )
    _write_csv(
        out / "demand.csv",
        ["sku_id", "region_id", "units"],
        [[SKU_ID, f"C{j + 1}", _num(problem.demands[j])] for j in served],
    )
    _write_csv(
        out / "channels.csv",
        ["channel_id", "name", "direction", "path_shape", "stock_node_kind"],
        [[CHANNEL_ID, "facility location", "import", "supplier>domestic_dc>region", "domestic_dc"]],
    )
    _write_csv(
        out / "tax_rules.csv",
        ["channel_id", "destination_country", "regime", "source"],
        [[CHANNEL_ID, COUNTRY, "none", "no taxes in a facility location benchmark"]],
    )
    _write_csv(out / "fx.csv", ["currency", "rate_to_instance"], [[CURRENCY, 1]])
    return out


def orlib_cap_to_instance(
    path: str | Path, out_dir: str | Path, capacity: float | None = None, overwrite: bool = False
) -> Path:
    """Convert an OR-Library ``cap`` file into the instance folder ``out_dir``.

    ``capacity`` is required for ``capa`` (whose capacities are the word
    ``capacity``) and refused for files that state their capacities. Returns
    ``out_dir``. Raises ``ValueError`` for a malformed file and
    ``FileExistsError`` if ``out_dir`` is not empty (unless ``overwrite``).
    """
    return write_instance(read_orlib_cap(path, capacity), out_dir, overwrite=overwrite)


def holmberg_to_instance(path: str | Path, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Convert a Holmberg single-source CFLP file into the instance folder ``out_dir``.

    The instance has ``single_sourcing: true``. Returns ``out_dir``. Raises
    ``ValueError`` for a malformed file and ``FileExistsError`` if
    ``out_dir`` is not empty (unless ``overwrite``).
    """
    return write_instance(read_holmberg(path), out_dir, overwrite=overwrite)
