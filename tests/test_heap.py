"""lean_chain._heap: freed memory is reused within ``reused_memory`` and not after it."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from lean_chain import _heap

pytestmark = pytest.mark.skipif(_heap._glibc() is None, reason="not glibc: nothing to set")

_BYTES = 64 << 20  # above glibc's largest mmap threshold: always a fresh mmap by default


def _faults_of_a_second_array() -> int:
    """Page faults of touching a new 64 MiB array after an equal one was freed."""
    first = np.empty(_BYTES, dtype=np.uint8)
    first.fill(1)
    del first
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    second = np.empty(_BYTES, dtype=np.uint8)
    second.fill(2)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del second
    return faults


@pytest.fixture
def small_pages():
    """numpy's huge-page advice off, so that a fault is a 4 KiB page."""
    from numpy._core import multiarray

    was = multiarray._set_madvise_hugepage(False)
    yield
    multiarray._set_madvise_hugepage(was)


def test_freed_memory_is_reused_inside_and_given_back_after(small_pages):
    pages = _BYTES // resource.getpagesize()
    outside = _faults_of_a_second_array()
    with _heap.reused_memory():
        inside = _faults_of_a_second_array()
    after = _faults_of_a_second_array()
    assert outside > pages // 2  # a fresh mapping: every page faults
    assert inside < pages // 20  # the freed array's pages, reused
    assert after > pages // 2  # the settings are restored and the heap given back


def test_nested_blocks_restore_only_at_the_outermost(small_pages):
    pages = _BYTES // resource.getpagesize()
    with _heap.reused_memory():
        with _heap.reused_memory():
            pass
        still = _faults_of_a_second_array()  # the inner block's end restored nothing
    assert still < pages // 20


def test_blocks_in_two_threads_hold_until_the_last_one_ends(small_pages):
    import threading

    pages = _BYTES // resource.getpagesize()
    entered, release = threading.Event(), threading.Event()

    def other_thread():
        with _heap.reused_memory():
            entered.set()
            release.wait(10)

    worker = threading.Thread(target=other_thread)
    with _heap.reused_memory():
        worker.start()
        entered.wait(10)
    # this thread's block ended first: the other one still holds the settings
    still = _faults_of_a_second_array()
    release.set()
    worker.join()
    after = _faults_of_a_second_array()
    assert still < pages // 20
    assert after > pages // 2


def test_solve_runs_in_a_block():
    import lean_chain

    seen = []
    lean_chain.solve(
        lean_chain.load_instance("tests/data/tiny"),
        progress=lambda *_: seen.append(_heap._holders),
        sensitivity=False,
    )
    assert seen
    assert min(seen) >= 1
    assert _heap._holders == 0
