"""The run store: every solve recorded in one SQLite database, to list, show and compare runs.

A run record holds when and what was solved (instance path and a
fingerprint of its table contents, the instance parameters and the solve
options), how (method, solver), the outcome (status, objective, bound, gap,
wall time, KPIs, cost breakdown, the full summary) and where the outputs are
(run folder, Excel workbook). It also keeps the small tables a comparison
needs (channel mix by SKU category and by demand node, stock per stocking
node, each SKU's main channel), so runs can be compared after their folders
were deleted.

Where: ``--run-store PATH`` on the command line, else the environment
variable ``LEAN_CHAIN_RUN_STORE``, else ``runs.sqlite`` in the per-user data
folder (``platformdirs.user_data_dir("lean_chain")``, e.g.
``~/.local/share/lean_chain/runs.sqlite`` on Linux).

Concurrent solves may record into one store: the database is in WAL mode,
every write is one ``BEGIN IMMEDIATE`` transaction and a busy store is waited
for (``BUSY_TIMEOUT_S``). The schema is versioned in the ``meta`` table; a
store written by a newer lean_chain is refused rather than misread.

Examples
--------
>>> import tempfile, pathlib, lean_chain
>>> from lean_chain.runstore import RunStore
>>> inst = lean_chain.load_instance("tests/data/tiny")
>>> plan = lean_chain.solve(inst)
>>> with tempfile.TemporaryDirectory() as tmp:
...     store = RunStore(pathlib.Path(tmp) / "runs.sqlite")
...     first = store.record(plan, inst, instance_path="tests/data/tiny")
...     second = store.record(plan, inst, instance_path="tests/data/tiny")
...     runs = store.list()
...     diff = store.compare(first, second)
...     store.delete(first)
...     list(runs["id"]), float(diff["costs"]["delta"].abs().max()), list(store.list()["id"])
([1, 2], 0.0, [2])
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lean_chain.errors import LeanChainError
from lean_chain.model.schema import TABLES

if TYPE_CHECKING:
    from lean_chain.model.instance import Instance
    from lean_chain.results import Plan

#: Environment variable naming the run store file.
ENV_VAR = "LEAN_CHAIN_RUN_STORE"
#: File name of the default store in the per-user data folder.
STORE_FILE = "runs.sqlite"
#: Version of the tables below; bumped with every change, stored in ``meta``.
SCHEMA_VERSION = 1
#: Seconds a writer waits for another process holding the store.
BUSY_TIMEOUT_S = 60.0
#: Differences below this (units, money) count as none in comparisons.
TOLERANCE = 1e-6

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    instance_name TEXT,
    instance_path TEXT,
    fingerprint TEXT,
    currency TEXT,
    instance_params TEXT,
    options TEXT,
    method TEXT,
    solver TEXT,
    status TEXT,
    objective REAL,
    bound REAL,
    gap REAL,
    wall_s REAL,
    kpis TEXT,
    cost_breakdown TEXT,
    summary TEXT,
    run_dir TEXT,
    excel_out TEXT,
    lean_chain_version TEXT
);
CREATE TABLE IF NOT EXISTS run_channel_mix (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    dimension TEXT NOT NULL CHECK (dimension IN ('category', 'region')),
    key TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    units REAL NOT NULL,
    PRIMARY KEY (run_id, dimension, key, channel_id)
);
CREATE TABLE IF NOT EXISTS run_stock (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    kind TEXT,
    open INTEGER,
    on_hand_units REAL,
    holding_cost REAL,
    storage_m3 REAL,
    storage_capacity_m3 REAL,
    throughput_units REAL,
    throughput_capacity_units REAL,
    PRIMARY KEY (run_id, node_id)
);
CREATE TABLE IF NOT EXISTS run_sku_channel (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sku_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    units REAL NOT NULL,
    share REAL NOT NULL,
    PRIMARY KEY (run_id, sku_id)
);
"""

#: Columns of :meth:`RunStore.list`.
LIST_COLUMNS = (
    "id",
    "created_at",
    "instance_name",
    "status",
    "method",
    "solver",
    "objective",
    "bound",
    "gap",
    "wall_s",
    "fingerprint",
    "run_dir",
)
_SCALARS = ("status", "method", "solver", "objective", "bound", "gap", "wall_s")
_JSON_FIELDS = ("instance_params", "options", "kpis", "cost_breakdown", "summary")


class RunStoreError(LeanChainError):
    """The run store cannot be opened, read or written (see the message for the path)."""


class RunNotFoundError(RunStoreError, KeyError):
    """No run with this id is in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "run not found"


def default_store_path() -> Path:
    """The store used without ``--run-store``: ``$LEAN_CHAIN_RUN_STORE`` or the user data folder.

    >>> import os
    >>> os.environ.get("LEAN_CHAIN_RUN_STORE") is None or str(default_store_path()) == os.environ["LEAN_CHAIN_RUN_STORE"]
    True
    """
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("lean_chain")) / STORE_FILE


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python ones and non-finite floats as ``None`` (JSON has none)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_plain(value), default=str, allow_nan=False)


def instance_fingerprint(instance: Instance) -> str:
    """A SHA-256 of the instance's typed table contents and parameters.

    The same network read from a CSV folder or from a workbook has the same
    fingerprint; any changed cell that matters changes it. Stable for one
    version of pandas (row hashes by :func:`pandas.util.hash_pandas_object`).

    >>> import lean_chain
    >>> fp = instance_fingerprint(lean_chain.load_instance("tests/data/tiny"))
    >>> len(fp), fp == instance_fingerprint(lean_chain.load_instance("tests/data/tiny"))
    (64, True)
    """
    digest = hashlib.sha256()
    for name in TABLES:
        frame = instance.table(name)
        digest.update(f"{name}|{','.join(map(str, frame.columns))}|{len(frame)}\n".encode())
        if len(frame):
            rows = pd.util.hash_pandas_object(frame.astype(object), index=False)
            digest.update(rows.to_numpy(dtype=np.uint64).tobytes())
    digest.update(_dumps(instance.params).encode())
    return digest.hexdigest()


def _units_per_channel(
    keys: pd.Series, channel: np.ndarray, units: np.ndarray, name: str
) -> pd.DataFrame:
    """Units summed per (key, channel_id), the key column called ``name``."""
    frame = pd.DataFrame(
        {name: keys.astype(str).to_numpy(object), "channel_id": channel, "units": units}
    )
    return frame.groupby([name, "channel_id"], as_index=False)["units"].sum()


def comparison_tables(plan: Plan, instance: Instance) -> dict[str, pd.DataFrame]:
    """The compact tables stored with a run for comparisons.

    ``channel_mix`` (dimension ``category`` or ``region``, key, channel_id,
    units), ``stock`` (one row per stocking node: open, on-hand units, holding
    cost, storage and throughput against capacity) and ``sku_channel`` (each
    SKU's main channel by units, and its share of the SKU's units).
    """
    flows = plan.tables["flows"]
    units = flows["units"].to_numpy(np.float64)
    category_of = instance.skus.set_index("sku_id")["category"]
    channel = flows["channel_id"].astype(str).to_numpy(object)
    by_category = _units_per_channel(
        flows["sku_id"].map(category_of), channel, units, "key"
    ).assign(dimension="category")
    by_region = _units_per_channel(flows["region_id"], channel, units, "key").assign(
        dimension="region"
    )
    channel_mix = pd.concat([by_category, by_region], ignore_index=True)[
        ["dimension", "key", "channel_id", "units"]
    ]

    nodes = plan.tables["nodes"]
    stock_rows = plan.tables["stock"]
    per_node = stock_rows.groupby(stock_rows["node_id"].astype(str))[
        ["on_hand_units", "holding_cost"]
    ].sum()
    node_ids = nodes["node_id"].astype(str)
    stock = pd.DataFrame(
        {
            "node_id": node_ids.to_numpy(object),
            "kind": nodes["kind"].astype(str).to_numpy(object),
            "open": nodes["open"].to_numpy(bool),
            "on_hand_units": node_ids.map(per_node["on_hand_units"])
            .fillna(0.0)
            .to_numpy(np.float64),
            "holding_cost": node_ids.map(per_node["holding_cost"]).fillna(0.0).to_numpy(np.float64),
            "storage_m3": nodes["storage_m3"].to_numpy(np.float64),
            "storage_capacity_m3": nodes["storage_capacity_m3"].to_numpy(np.float64),
            "throughput_units": nodes["throughput_units"].to_numpy(np.float64),
            "throughput_capacity_units": nodes["throughput_capacity_units"].to_numpy(np.float64),
        }
    )

    per_channel = _units_per_channel(flows["sku_id"], channel, units, "sku_id")
    total = per_channel.groupby("sku_id")["units"].transform("sum").to_numpy(np.float64)
    per_channel["share"] = np.divide(
        per_channel["units"].to_numpy(np.float64), total, out=np.zeros_like(total), where=total > 0
    )
    # the main channel: most units, ties to the first channel id
    sku_channel = (
        per_channel.sort_values(["sku_id", "units", "channel_id"], ascending=[True, False, True])
        .drop_duplicates("sku_id")
        .reset_index(drop=True)
    )
    return {"channel_mix": channel_mix, "stock": stock, "sku_channel": sku_channel}


def run_record(
    plan: Plan,
    instance: Instance,
    *,
    instance_path: str | Path | None = None,
    options: Mapping[str, Any] | None = None,
    run_dir: str | Path | None = None,
    excel_out: str | Path | None = None,
) -> dict[str, Any]:
    """Everything :meth:`RunStore.add` stores about one solve, as plain data (picklable).

    ``options`` are the solve options (method asked for, gap, time limit...); by
    default those the plan's summary lists. ``instance_path`` is where the
    instance was read from; ``run_dir`` and ``excel_out`` say where the outputs
    were written.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        package_version = version("lean_chain")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        package_version = ""
    summary = plan.summary()
    record: dict[str, Any] = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
        "instance_name": instance.name,
        "instance_path": str(Path(instance_path).absolute()) if instance_path else None,
        "fingerprint": instance_fingerprint(instance),
        "currency": instance.params.get("currency"),
        "instance_params": dict(instance.params),
        "options": dict(options or summary.get("options") or {}),
        "method": summary.get("method"),
        "solver": plan.solver,
        "status": plan.status,
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": plan.gap,
        "wall_s": plan.wall_s,
        "kpis": plan.kpis,
        "cost_breakdown": plan.cost_breakdown,
        "summary": summary,
        "run_dir": str(Path(run_dir).absolute()) if run_dir else None,
        "excel_out": str(Path(excel_out).absolute()) if excel_out else None,
        "lean_chain_version": package_version,
    }
    record["tables"] = comparison_tables(plan, instance)
    return record


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class RunStore:
    """A run store file: record, list, show, compare and delete runs.

    Parameters
    ----------
    path : str or Path, optional
        The SQLite file; by default :func:`default_store_path`. It is created
        (with its folder) on the first record; reading a store that does not
        exist yet finds no runs.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     RunStore(pathlib.Path(tmp) / "runs.sqlite").list().empty
    True
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path).expanduser() if path else default_store_path()

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # -- connection -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(
        self, create: bool, run_id: int | None = None
    ) -> Iterator[sqlite3.Connection | None]:
        """An open connection, or ``None`` when the store does not exist and ``create`` is
        false; with a ``run_id``, a missing store raises :class:`RunNotFoundError` instead."""
        if self.path.is_dir():
            raise RunStoreError(f"run store {self.path} is a folder; give a file path")
        if not self.path.exists():
            if not create:
                if run_id is not None:
                    raise RunNotFoundError(f"no run {run_id} in {self.path} (the store is empty)")
                yield None
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RunStoreError(
                    f"cannot create the run store folder {self.path.parent}: {exc}"
                ) from exc
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise RunStoreError(f"cannot open the run store {self.path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._set_wal(conn)
            self._ensure_schema(conn)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise RunStoreError(f"run store {self.path}: {exc}") from exc
        finally:
            conn.close()

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> None:
        # switching to WAL needs a moment alone with a new file: retry while another
        # process creating the same store holds it
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextlib.contextmanager
    def _run_transaction(self, run_id: int, write: bool) -> Iterator[sqlite3.Connection]:
        """A transaction on the store of run ``run_id``; a missing store raises
        :class:`RunNotFoundError`."""
        with self._connection(create=False, run_id=run_id) as conn:
            with self._transaction(conn, write=write):
                yield conn

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection, write: bool) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        version = self._version(conn)
        if version == SCHEMA_VERSION:
            return
        if version is not None and version > SCHEMA_VERSION:
            raise RunStoreError(
                f"run store {self.path} has schema version {version}, written by a newer "
                f"lean_chain (this one reads version {SCHEMA_VERSION}); upgrade lean_chain"
            )
        with self._transaction(conn, write=True):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int | None:
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if not has_meta:
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    # -- writing ----------------------------------------------------------------------

    def record(self, plan: Plan, instance: Instance, **where: Any) -> int:
        """Record a solved plan of ``instance``; return the new run id.

        ``where`` are :func:`run_record`'s keywords (``instance_path``,
        ``options``, ``run_dir``, ``excel_out``).

        Raises
        ------
        RunStoreError
            The store cannot be created or written.
        """
        return self.add(run_record(plan, instance, **where))

    def add(self, record: Mapping[str, Any]) -> int:
        """Store a record made by :func:`run_record` in one transaction; return its id."""
        columns = [
            "created_at",
            "instance_name",
            "instance_path",
            "fingerprint",
            "currency",
            "method",
            "solver",
            "status",
            "run_dir",
            "excel_out",
            "lean_chain_version",
        ]
        values: list[Any] = [record.get(c) for c in columns]
        for name in ("objective", "bound", "gap", "wall_s"):
            columns.append(name)
            values.append(_number(record.get(name)))
        for name in _JSON_FIELDS:
            columns.append(name)
            values.append(_dumps(record.get(name)))
        tables = record.get("tables") or {}
        with self._connection(create=True) as conn, self._transaction(conn, write=True):
            cursor = conn.execute(
                f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                values,
            )
            run_id = int(cursor.lastrowid)
            self._insert(conn, "run_channel_mix", run_id, tables.get("channel_mix"))
            self._insert(conn, "run_stock", run_id, tables.get("stock"))
            self._insert(conn, "run_sku_channel", run_id, tables.get("sku_channel"))
        return run_id

    @staticmethod
    def _insert(
        conn: sqlite3.Connection, table: str, run_id: int, frame: pd.DataFrame | None
    ) -> None:
        if frame is None or frame.empty:
            return
        names = list(frame.columns)
        rows = (
            (run_id, *(_plain(v) for v in row)) for row in frame.itertuples(index=False, name=None)
        )
        conn.executemany(
            f"INSERT INTO {table} (run_id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' * len(names))})",
            rows,
        )

    def delete(self, run_id: int) -> None:
        """Delete run ``run_id`` and its comparison tables (its run folder is left alone).

        Raises
        ------
        RunNotFoundError
            No such run.
        """
        with self._run_transaction(run_id, write=True) as conn:
            deleted = conn.execute("DELETE FROM runs WHERE id = ?", (int(run_id),)).rowcount
        if not deleted:
            raise RunNotFoundError(f"no run {run_id} in {self.path}")

    # -- reading ----------------------------------------------------------------------

    def list(self) -> pd.DataFrame:
        """One row per run, oldest first: id, time, instance, status, method, solver,
        objective, bound, gap, wall time, fingerprint and run folder."""
        with self._connection(create=False) as conn:
            if conn is None:
                return pd.DataFrame({c: pd.Series(dtype=object) for c in LIST_COLUMNS})
            frame = pd.read_sql_query(
                f"SELECT {', '.join(LIST_COLUMNS)} FROM runs ORDER BY id", conn
            )
        return frame

    def show(self, run_id: int) -> dict[str, Any]:
        """Everything recorded about run ``run_id``.

        Returns
        -------
        dict
            The run's fields (``kpis``, ``cost_breakdown``, ``options``,
            ``instance_params`` and ``summary`` as dicts) and, under
            ``tables``, the comparison tables as DataFrames.

        Raises
        ------
        RunNotFoundError
            No such run.
        """
        with self._run_transaction(run_id, write=False) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (int(run_id),)).fetchone()
            conn.row_factory = None
            if row is None:
                raise RunNotFoundError(f"no run {run_id} in {self.path}")
            run = dict(row)
            for name in _JSON_FIELDS:
                run[name] = json.loads(run[name]) if run[name] else None
            query = "SELECT * FROM {} WHERE run_id = ?"
            run["tables"] = {
                name: pd.read_sql_query(query.format(table), conn, params=(int(run_id),)).drop(
                    columns="run_id"
                )
                for name, table in (
                    ("channel_mix", "run_channel_mix"),
                    ("stock", "run_stock"),
                    ("sku_channel", "run_sku_channel"),
                )
            }
        stock = run["tables"]["stock"]
        stock["open"] = stock["open"].astype(bool)
        for column in stock.columns[3:]:  # NULL capacities (unlimited) come back as None
            stock[column] = pd.to_numeric(stock[column]).astype(np.float64)
        return run

    def compare(self, a: int, b: int) -> dict[str, Any]:
        """Compare runs ``a`` and ``b``: what changed from A to B.

        Returns
        -------
        dict
            ``runs`` (status, objective, bound, gap, ... of both and the
            delta), ``same_instance`` (equal fingerprints), ``costs`` (cost
            components), ``kpis`` (numeric KPIs), ``channel_mix_category`` and
            ``channel_mix_region`` (units per category or demand node and
            channel, with each run's share of the category's or node's units),
            ``stock`` (per stocking node) and ``changed_skus`` (SKUs whose main
            channel changed). Every table has columns ``a``/``b``/``delta`` (or
            ``*_a``/``*_b``/``delta``), ``delta = b - a``.

        Raises
        ------
        RunNotFoundError
            Either run is not in the store.
        """
        run_a, run_b = self.show(a), self.show(b)
        fields = pd.DataFrame(
            {
                "field": list(_SCALARS),
                "a": [run_a.get(k) for k in _SCALARS],
                "b": [run_b.get(k) for k in _SCALARS],
            }
        )
        numeric = fields["field"].isin(("objective", "bound", "gap", "wall_s"))
        fields["delta"] = None
        fields.loc[numeric, "delta"] = [
            None if x is None or y is None else y - x
            for x, y in zip(fields.loc[numeric, "a"], fields.loc[numeric, "b"], strict=True)
        ]
        return {
            "a": int(a),
            "b": int(b),
            "same_instance": run_a["fingerprint"] == run_b["fingerprint"],
            "runs": fields,
            "costs": _side_by_side(
                run_a["cost_breakdown"] or {}, run_b["cost_breakdown"] or {}, "component"
            ),
            "kpis": _side_by_side(
                _numeric_leaves(run_a["kpis"]), _numeric_leaves(run_b["kpis"]), "kpi"
            ),
            "channel_mix_category": _mix(run_a, run_b, "category"),
            "channel_mix_region": _mix(run_a, run_b, "region"),
            "stock": _stock(run_a, run_b),
            "changed_skus": _changed_skus(run_a, run_b),
        }


def _numeric_leaves(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested dict, keyed ``outer.inner``."""
    out: dict[str, float] = {}
    if isinstance(value, Mapping):
        for key, inner in value.items():
            out.update(_numeric_leaves(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[prefix] = float(value)
    return out


def _side_by_side(a: Mapping[str, Any], b: Mapping[str, Any], name: str) -> pd.DataFrame:
    keys = list(dict.fromkeys([*a, *b]))
    frame = pd.DataFrame(
        {
            name: keys,
            "a": [_number(a.get(k)) for k in keys],
            "b": [_number(b.get(k)) for k in keys],
        }
    )
    frame[["a", "b"]] = frame[["a", "b"]].astype(np.float64)
    frame["delta"] = frame["b"].fillna(0.0) - frame["a"].fillna(0.0)
    return frame


def _mix(run_a: dict, run_b: dict, dimension: str) -> pd.DataFrame:
    key = "category" if dimension == "category" else "region_id"
    sides = []
    for run in (run_a, run_b):
        mix = run["tables"]["channel_mix"]
        mix = (
            mix[mix["dimension"] == dimension]
            .drop(columns="dimension")
            .rename(columns={"key": key})
        )
        sides.append(mix.set_index([key, "channel_id"])["units"])
    both = pd.concat(sides, axis=1, keys=["units_a", "units_b"]).fillna(0.0).sort_index()
    both["delta"] = both["units_b"] - both["units_a"]
    for side in ("a", "b"):
        units = both[f"units_{side}"]
        total = units.groupby(level=0).transform("sum").to_numpy(np.float64)
        both[f"share_{side}"] = np.divide(
            units.to_numpy(np.float64), total, out=np.zeros_like(total), where=total > 0
        )
    both["share_delta"] = both["share_b"] - both["share_a"]
    return both.reset_index()


def _stock(run_a: dict, run_b: dict) -> pd.DataFrame:
    a = run_a["tables"]["stock"].set_index("node_id")
    b = run_b["tables"]["stock"].set_index("node_id")
    frame = pd.DataFrame(index=a.index.union(b.index, sort=False))
    frame.index.name = "node_id"
    frame["kind"] = a["kind"].combine_first(b["kind"])
    for column in ("open", "on_hand_units", "holding_cost", "storage_m3", "throughput_units"):
        frame[f"{column}_a"] = a[column]
        frame[f"{column}_b"] = b[column]
    for column in ("on_hand_units", "holding_cost", "storage_m3", "throughput_units"):
        frame[[f"{column}_a", f"{column}_b"]] = frame[[f"{column}_a", f"{column}_b"]].fillna(0.0)
    frame["delta"] = frame["on_hand_units_b"] - frame["on_hand_units_a"]
    return frame.reset_index()


def _changed_skus(run_a: dict, run_b: dict) -> pd.DataFrame:
    a = run_a["tables"]["sku_channel"].set_index("sku_id")
    b = run_b["tables"]["sku_channel"].set_index("sku_id")
    frame = pd.concat(
        [
            a[["channel_id", "share"]].add_suffix("_a"),
            b[["channel_id", "share"]].add_suffix("_b"),
        ],
        axis=1,
    )
    changed = frame["channel_id_a"].fillna("") != frame["channel_id_b"].fillna("")
    frame = frame[changed].sort_index()
    frame.index.name = "sku_id"
    return frame.reset_index()
