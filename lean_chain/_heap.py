"""Keep freed memory for reuse during array-heavy steps (glibc's ``mallopt``).

glibc serves every allocation above 32 MiB (and, until a large block has been freed,
above 128 KiB) with a fresh ``mmap`` and returns it with ``munmap`` when freed. numpy
arrays of millions of pairs are such allocations, so a step that makes and drops
dozens of temporaries pays the kernel for zeroing every page again: on this project's
2-core VM the explanation's setup at 100,000 SKUs (8.1 M pairs) took 3.2-3.4 s wall,
1.5-3.0 s of it system time and 91,000 page faults, against 2.0 s, 0.3-0.5 s and
2,000-14,000 with freed memory kept for reuse (``/tmp`` measurement, 2026-12-03).
A whole 100k solve took 74.0 s instead of 87.9 s (system time 7.0 s instead of
20.8 s, peak RSS 6,150 MiB instead of 5,969 MiB), and its plan's alternatives were
then written in 9.3 s instead of 11.4 s.

:func:`reused_memory` keeps freed memory in the heap for the length of a ``with``
block and gives it back to the system at its end (``malloc_trim``). Elsewhere than
glibc (macOS, musl) it does nothing. :func:`lean_chain.solve` and the explanation's
writers run in such a block; the command line holds one for its whole command, so
that writing a run reuses the memory its solve freed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import threading
from collections.abc import Iterator

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
#: What glibc settles on by itself after a large block was freed (its dynamic
#: thresholds: mmap above 32 MiB, trim the heap top above twice that), restored at
#: the end of a block; glibc's default count of mmap blocks.
_MMAP_THRESHOLD_AFTER, _TRIM_THRESHOLD_AFTER, _MMAP_MAX_DEFAULT = 32 << 20, 64 << 20, 65536
#: Heap top kept during a block: up to 2 GiB free (the largest value mallopt takes).
_TRIM_THRESHOLD_DURING = 2**31 - 1


@functools.cache
def _glibc():
    """glibc's ``mallopt`` and ``malloc_trim``, or None elsewhere."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    malloc_trim.argtypes, malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return mallopt, malloc_trim


_lock = threading.Lock()
_holders = 0  # blocks open now (nested or in other threads): the first sets, the last restores


@contextlib.contextmanager
def reused_memory() -> Iterator[None]:
    """Within the block, freed memory stays in the process for the next allocation.

    Blocks may nest and may be open in several threads at once: the settings hold from
    the first block's start to the last one's end.

    Examples
    --------
    >>> import numpy as np
    >>> with reused_memory():
    ...     total = sum(float(np.ones(5_000_000).sum()) for _ in range(3))
    >>> total
    15000000.0
    """
    global _holders
    glibc = _glibc()
    with _lock:
        if glibc is not None and _holders == 0:
            mallopt = glibc[0]
            mallopt(_M_MMAP_MAX, 0)  # every block from the heap, where a freed one is reused
            mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_DURING)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if glibc is not None and _holders == 0:
                mallopt, malloc_trim = glibc
                mallopt(_M_MMAP_MAX, _MMAP_MAX_DEFAULT)
                mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_AFTER)
                mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_AFTER)
                malloc_trim(0)


def in_reused_memory(function):
    """``function`` run in a :func:`reused_memory` block (a decorator).

    >>> @in_reused_memory
    ... def twice(x):
    ...     return 2 * x
    >>> twice(21)
    42
    """

    @functools.wraps(function)
    def run(*args, **kwargs):
        with reused_memory():
            return function(*args, **kwargs)

    return run
