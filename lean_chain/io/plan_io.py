"""Write a run folder atomically, and read a plan's CSVs back against its instance."""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import errno
import json
import math
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from lean_chain.errors import Issue, OutputPathError
from lean_chain.io.fast_csv import write_csv
from lean_chain.io.tables import read_csv_text

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _finite(value: object) -> object:
    """JSON has no inf/nan: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


#: Marker file that :func:`write_run` puts in every run folder: only a folder holding
#: it (or a run written before markers existed) is ever replaced.
RUN_MARKER = ".lean_chain_run"
RUN_FORMAT_VERSION = 1
#: Seconds to wait for another process writing the same run folder.
LOCK_TIMEOUT_S = 120.0


def _is_marker(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "version" in data


def is_run_folder(path: str | Path) -> bool:
    """Whether ``path`` is a run folder written by :func:`write_run`.

    A folder with the marker file, or one written before markers existed: exactly
    ``summary.json`` and a ``plan/`` folder of CSV files.
    """
    path = Path(path)
    if path.is_symlink() or not path.is_dir():
        return False
    if _is_marker(path / RUN_MARKER):
        return True
    plan = path / "plan"
    try:
        entries = {p.name for p in path.iterdir()}
        return (
            entries == {"summary.json", "plan"}
            and (path / "summary.json").is_file()
            and plan.is_dir()
            and not plan.is_symlink()
            and all(p.suffix == ".csv" and p.is_file() for p in plan.iterdir())
        )
    except OSError:
        return False


def check_run_target(run_dir: str | Path, force: bool = False) -> Path:
    """Check that a run folder may be written at ``run_dir``; return it as a path.

    Allowed: a path that does not exist yet (its parents are created), an empty
    folder, and with ``force`` a previous run. Anything else raises
    :class:`~lean_chain.errors.OutputPathError` before any work is done, so that
    nothing that is not a run is ever deleted or replaced.
    """
    if not str(run_dir).strip():
        raise OutputPathError("the run folder path is empty")
    path = Path(run_dir)
    if path.name in ("", ".", ".."):
        raise OutputPathError(
            f"{str(run_dir)!r} is not a folder name of its own; give a new folder, e.g. runs/NAME"
        )
    if path.is_symlink():
        raise OutputPathError(f"{path} is a symbolic link; give the folder itself")
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{path} is a file, not a run folder; it is left untouched")
    if path.is_dir():
        if is_run_folder(path):
            if not force:
                raise OutputPathError(
                    f"{path} holds a previous run; replace it with --force (force=True)"
                )
        elif any(path.iterdir()):
            raise OutputPathError(
                f"{path} is a folder that is not empty and not a lean_chain run; "
                "nothing in it is deleted or replaced: choose a new or empty folder"
            )
    ancestor = path.absolute().parent
    while not ancestor.exists() and not ancestor.is_symlink():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputPathError(f"cannot create {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot create {path}: {ancestor} is not writable")
    return path


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); ``False`` where not supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # old kernel or a file system without exchange
    raise OSError(code, os.strerror(code), str(b))


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _target_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` next to ``run_dir``: one writer of a run folder at a time.

    The lock file is removed on release; a writer that locked a file which was
    removed meanwhile locks the new one instead (the usual lock-file protocol).
    The operating system drops the lock of a killed process.
    """
    lock_path = run_dir.parent / f".{run_dir.name}.lock"
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        if _try_lock(fd):
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
            except FileNotFoundError:
                same = False
            if same:
                break
        os.close(fd)
        if time.monotonic() > deadline:
            raise OutputPathError(
                f"another process is writing {run_dir} (lock {lock_path}); try again later"
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)


def _remove_stale(run_dir: Path) -> None:
    """Remove temporary siblings that a killed writer of ``run_dir`` left behind."""
    pattern = re.compile(rf"\.{re.escape(run_dir.name)}\.(tmp|old)-[0-9a-f]{{8}}")
    for sibling in run_dir.parent.iterdir():
        if pattern.fullmatch(sibling.name) and sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)


def write_run(
    run_dir: str | Path,
    summary: dict,
    tables: dict[str, pd.DataFrame],
    *,
    force: bool = False,
    files: dict[str, str] | None = None,
    streamed: dict | None = None,
) -> Path:
    """Write ``summary.json`` and ``plan/*.csv`` into ``run_dir`` atomically.

    ``files`` maps further file names to their text (e.g. ``diagnosis.json`` of
    an infeasible run, which has no ``plan/`` folder). ``streamed`` maps further plan
    tables to functions that write them to a path given (tables too large to hold in
    memory, written a block at a time: :func:`lean_chain.explain.write_alternatives`).

    ``run_dir`` must be new, an empty folder, or (with ``force``) a previous
    run; anything else raises :class:`~lean_chain.errors.OutputPathError`
    (see :func:`check_run_target`). Everything is written into a temporary
    sibling folder that then takes the place of ``run_dir`` in one rename
    (an exchange where the system has one), under a lock file, so
    ``run_dir`` is always either the old run or the complete new one.
    """
    run_dir = check_run_target(run_dir, force)
    try:
        run_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create {run_dir.parent}: {exc.strerror}") from exc
    try:
        return _write_locked(run_dir, summary, tables, force, files or {}, streamed or {})
    except OSError as exc:
        raise OutputPathError(f"cannot write {run_dir}: {exc}") from exc


def _write_locked(
    run_dir: Path,
    summary: dict,
    tables: dict[str, pd.DataFrame],
    force: bool,
    files: dict[str, str],
    streamed: dict,
) -> Path:
    with _target_lock(run_dir):
        _remove_stale(run_dir)
        # another writer may have finished while this one waited for the lock
        check_run_target(run_dir, force)
        tmp = run_dir.parent / f".{run_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            if tables or streamed:
                (tmp / "plan").mkdir()
            for name, frame in tables.items():
                # the bytes of frame.to_csv(index=False), written by a compiled kernel
                write_csv(frame, tmp / "plan" / f"{name}.csv")
            for name, write in streamed.items():
                target = tmp / "plan" / f"{name}.csv"
                try:
                    write(target)
                except OSError:
                    raise
                except (Exception, KeyboardInterrupt) as exc:  # an extra never costs the plan
                    target.unlink(missing_ok=True)
                    why = "interrupted" if isinstance(exc, KeyboardInterrupt) else repr(exc)
                    summary = {**summary, name: f"not written: {why}"}
            for name, text in files.items():
                (tmp / name).write_text(text, encoding="utf-8")
            text = json.dumps(_finite(summary), indent=2, default=_json_default)
            (tmp / "summary.json").write_text(text + "\n", encoding="utf-8")
            marker = {
                "version": RUN_FORMAT_VERSION,
                "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            }
            (tmp / RUN_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
            if not run_dir.exists():
                os.replace(tmp, run_dir)
            elif not _exchange(tmp, run_dir):
                # no atomic exchange here: the old run is moved aside for a moment
                old = run_dir.parent / f".{run_dir.name}.old-{uuid.uuid4().hex[:8]}"
                os.replace(run_dir, old)
                os.replace(tmp, run_dir)
                shutil.rmtree(old, ignore_errors=True)
        finally:
            # after an exchange, tmp holds the previous run
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return run_dir


def read_plan_csv(
    plan_dir: Path, name: str, columns: tuple[str, ...], issues: list[Issue]
) -> pd.DataFrame | None:
    path = plan_dir / f"{name}.csv"
    file = f"plan/{name}.csv"
    if not path.exists():
        issues.append(Issue(file, None, None, None, "the file to exist"))
        return None
    frame = read_csv_text(path, file, issues)
    if frame is None:
        return None
    missing = [c for c in columns if c not in frame.columns]
    for column in missing:
        issues.append(Issue(file, 1, column, None, "this column"))
    return None if missing else frame


def plan_numbers(
    frame: pd.DataFrame, name: str, column: str, issues: list[Issue], integer: bool = False
) -> np.ndarray:
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if integer:
        bad |= np.isfinite(values) & (values != np.round(values))
    for i in np.flatnonzero(bad):
        issues.append(
            Issue(
                f"plan/{name}.csv",
                int(i) + 2,
                column,
                frame[column].iloc[i],
                "a non-negative whole number" if integer else "a non-negative number",
            )
        )
    return np.where(bad, 0.0, values)


def plan_flags(frame: pd.DataFrame, name: str, column: str, issues: list[Issue]) -> np.ndarray:
    if column not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    lowered = frame[column].str.strip().str.lower()
    truthy = lowered.isin({"true", "1", "yes"})
    bad = ~truthy & ~lowered.isin({"false", "0", "no"})
    for i in np.flatnonzero(bad.to_numpy()):
        issues.append(
            Issue(f"plan/{name}.csv", int(i) + 2, column, frame[column].iloc[i], "true or false")
        )
    return truthy.to_numpy()


#: Key columns holding an instance id: an unknown one is reported in its own column.
_ID_COLUMNS = frozenset({"sku_id", "region_id", "node_id", "channel_id", "lane_id", "rate_id"})


def lookup_keys(
    frame: pd.DataFrame,
    name: str,
    columns: list[str],
    vocabularies: list[np.ndarray],
    known: list[np.ndarray],
    issues: list[Issue],
    what: str,
) -> np.ndarray:
    """Group index of each row's key, -1 (and an issue) for keys the instance lacks.

    Each key column is coded against its vocabulary (the instance's ids) and
    the codes are combined into one integer per row, matched against the
    groups' combined codes (``known``: one code array per column, indexed by
    group) by hashing: no Python loop over rows or groups. An id outside its
    vocabulary is reported in its own column; a combination of known ids that
    the instance does not allow, in the last key column.
    """
    values = [frame[c].astype(str).str.strip().to_numpy(object) for c in columns]
    codes = [
        pd.Index(vocabulary).get_indexer(column)
        for vocabulary, column in zip(vocabularies, values, strict=True)
    ]

    def combine(parts: list[np.ndarray]) -> np.ndarray:
        key = np.zeros(len(parts[0]), dtype=np.int64)
        for part, vocabulary in zip(parts, vocabularies, strict=True):
            key = key * (len(vocabulary) + 1) + np.asarray(part, dtype=np.int64)
        return key

    valid = np.logical_and.reduce([c >= 0 for c in codes])
    found = np.full(len(frame), -1, dtype=np.int64)
    if len(known[0]):
        found[valid] = pd.Index(combine(known)).get_indexer(combine(codes)[valid])
    for i in np.flatnonzero(found < 0):
        row = [str(v[i]) for v in values]
        column, value, expected = columns[-1], " / ".join(row), what
        for position, col in enumerate(columns):
            if codes[position][i] < 0 and col in _ID_COLUMNS:
                column, value, expected = col, row[position], f"a {col} of the instance"
                break
        issues.append(Issue(f"plan/{name}.csv", int(i) + 2, column, value, expected))
    repeated = np.flatnonzero(pd.Series(found).duplicated(keep="first").to_numpy() & (found >= 0))
    if len(repeated):
        groups, first_row = np.unique(found, return_index=True)
        first = dict(zip(groups.tolist(), first_row.tolist(), strict=True))
        for i in repeated:
            issues.append(
                Issue(
                    f"plan/{name}.csv",
                    int(i) + 2,
                    columns[-1],
                    " / ".join(str(v[i]) for v in values),
                    f"one row per {' + '.join(columns)} (also on row {first[int(found[i])] + 2})",
                )
            )
    return found
