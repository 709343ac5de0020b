"""The fuzz benchmark's seeded sample (issue 10), in CI: mutants of ``tests/data/tiny`` of every
kind of ``benchmarks/bench_fuzz.py``, run in-process through ``lean_chain.cli.main``.

No traceback, crash, hang, partial write or deletion of anything that is not a run folder,
whatever the kind; no exit 0 on input that must be rejected; no rejection of input that must
be accepted; every "bad input" message names its file. Defects found and not yet fixed are
``xfail(strict=True)`` in ``KNOWN`` with the defect named, so that a fix shows up as XPASS.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_fuzz", ROOT / "benchmarks" / "bench_fuzz.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_fuzz"] = bench
_spec.loader.exec_module(bench)

SEED = 10
#: Mutants per kind (different cells, values and variants of the same kind).
PER_KIND = 1
#: Classes a mutant may end in; every other class is a defect of lean_chain.
ALLOWED = {"clean_rejection", "accepted", "late_rejection"}
#: Mutants that once found a defect, run on top of the sample: 'currency' in parameters.yaml
#: took any non-blank text (20,000 x 'é', '東京 📦', a zero-width space); now an ISO 4217 code.
REGRESSIONS = [("yaml_unicode", 0), ("yaml_unicode", 1), ("yaml_unicode", 6)]
#: (kind, index) -> the defect that makes it fail today (strict xfail).
KNOWN: dict[tuple[str, int], str] = {}


def _cases() -> list:
    keys = [(kind, k * PER_KIND + j) for k, kind in enumerate(bench.KINDS) for j in range(PER_KIND)]
    keys += [key for key in [*KNOWN, *REGRESSIONS] if key not in keys]
    cases = []
    for kind, index in keys:
        reason = KNOWN.get((kind, index))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(kind, index, marks=marks, id=f"{kind}-{index}"))
    return cases


@pytest.mark.parametrize(("kind", "index"), _cases())
def test_fuzz_mutant(kind: str, index: int, tmp_path: Path) -> None:
    mutant = bench.make_mutant(SEED, index, tmp_path / "m", ["tiny"], kind=kind)
    row = bench.run_mutant(mutant, subprocess_mode=False, timeout=60, time_limit=20, gap=0.01)
    assert row["class"] in ALLOWED, (
        f"{row['class']} ({row['problems']}) on {row['table']} {row['column']} "
        f"[{row['detail']}]: validate {row['validate_exit']}, solve {row['solve_exit']}: "
        f"{row['traceback'] or row['first_stderr_line']}"
    )
    assert bench.tree_hash(bench.BASES["tiny"]) == ORIGINAL_TINY, "tests/data/tiny was modified"


ORIGINAL_TINY = bench.tree_hash(bench.BASES["tiny"])


def test_rename_variants_change_the_header() -> None:
    """No rename of a column leaves its name, or gives another column's name of its table."""
    for table in bench.TABLES.values():
        for col in table.columns:
            variants = bench.rename_variants(col.name)
            assert len(variants) == 4, col.name  # the same draws as before for other mutants
            clash = set(variants) & set(table.column_names)
            assert not clash, f"{table.filename} {col.name} -> {sorted(clash)}"


@pytest.mark.parametrize(("index", "column"), [(139, "lat"), (148, "lon")])
def test_rename_column_mutant_changes_the_file(index: int, column: str, tmp_path: Path) -> None:
    """Seed 12, mutants 139 and 148 "renamed" nodes.csv's 'lat'/'lon' to themselves (no change,
    expected rejected: a false silent acceptance); the mutant now differs from its base."""
    mutant = bench.make_mutant(12, index, tmp_path / "m", ["tiny", "global_export"])
    assert (mutant.kind, mutant.mutation.table, mutant.mutation.column) == (
        "rename_column",
        "nodes.csv",
        column,
    )
    header, _ = bench.read_rows(mutant.inst / "nodes.csv")
    assert column not in header
    assert bench.tree_hash(mutant.inst) != bench.tree_hash(bench.BASES[mutant.base])


def test_infeasible_mutant_diagnosis_run_is_no_partial_write(tmp_path: Path) -> None:
    """Seed 13, mutant 99: global_export without max_channels_per_sku (the default 2 is
    infeasible) exits 3 and writes its documented diagnosis run; that is no partial write."""
    mutant = bench.make_mutant(13, 99, tmp_path / "m", ["tiny", "global_export"])
    assert (mutant.kind, mutant.mutation.column) == ("yaml_missing_key", "max_channels_per_sku")
    row = bench.run_mutant(mutant, subprocess_mode=False, timeout=120, time_limit=20, gap=0.01)
    assert (row["solve_exit"], row["class"]) == (3, "clean_rejection"), row["problems"]
    assert bench.complete_diagnosis(mutant.work / bench.RUN_NAME)


def test_complete_diagnosis_needs_every_part(tmp_path: Path) -> None:
    """A diagnosis run lacking its marker, diagnosis.json or the infeasible status, or holding
    a plan, is still a partial write."""
    run = tmp_path / "run"
    run.mkdir()
    (run / bench.MARKER).write_text("")
    (run / "diagnosis.json").write_text("{}")
    (run / "summary.json").write_text('{"status": "infeasible"}')
    assert bench.complete_diagnosis(run)
    (run / "plan").mkdir()
    assert not bench.complete_diagnosis(run)
    (run / "plan").rmdir()
    (run / "summary.json").write_text('{"status": "optimal"}')
    assert not bench.complete_diagnosis(run)
    (run / "summary.json").write_text("[1]")
    assert not bench.complete_diagnosis(run)
    (run / "summary.json").write_text('{"status": "infeasible"}')
    (run / "diagnosis.json").unlink()
    assert not bench.complete_diagnosis(run)
    (run / "diagnosis.json").write_text("{}")
    (run / bench.MARKER).unlink()
    assert not bench.complete_diagnosis(run)
    assert not bench.complete_diagnosis(tmp_path / "missing")
