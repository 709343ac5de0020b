"""The fused, compiled landed-cost kernel (numba), generated from the regime registry.

numpy evaluates a formula one operation at a time and re-reads its
temporaries after each; this kernel makes one pass over the pairs, keeps every
intermediate in registers and writes each output exactly once. It runs the
very functions the numpy path runs (:func:`lean_chain.costs.pricing.tax_base`,
the regime formulas of :data:`lean_chain.model.regimes.REGIMES`,
:func:`lean_chain.costs.pricing.unit_costs`), compiled for scalars, so the two
paths agree to the last bit.

numba cannot call through a runtime registry, so :func:`fused_kernel`
generates the dispatch from it: one function, ``if code == c: return
formula_c(...)`` for every registered regime, no taxes otherwise. It builds one kernel per registry content,
on first use. The built-in registry's kernel is cached on disk (``cache=True``)
in the per-user folder chosen by :mod:`lean_chain._numba_cache`; numba's cache
index hashes the kernel's closure, which holds a hash of the formulas' source
(:func:`_source_stamp`), so an edited formula is recompiled rather than read
stale from the cache. A kernel for a registry changed at run time (a test's
dummy regime) is compiled in memory only.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from pathlib import Path

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload, register_jitable

from lean_chain.costs import pricing
from lean_chain.costs.pricing import (
    COMPONENTS,
    KERNEL_BLOCK,
    LandedCost,
    LandedInputs,
    tax_base,
    unit_costs,
)
from lean_chain.model import regimes
from lean_chain.model.regimes import RULE, THRESHOLD_RTOL, no_taxes

_N_COMPONENTS = len(COMPONENTS)
_BLOCK_START = np.uint64(~(KERNEL_BLOCK - 1) & (2**64 - 1))  # t & this: its block's first pair
#: The kernel asks for the cache lines of its outputs this many pairs ahead, with write
#: intent, a line (8 float64) at a time. It writes a block's outputs in the kernel order,
#: all over the block's lines, which the CPU's own prefetchers do not foresee: one block
#: ahead, the lines are in cache when the block is priced. 5 M pairs, one thread, output
#: prefetches 64 to 1,024 pairs ahead: 15.5 -> 11.7-13.1 ns a pair (bench_costs; best at
#: 256, the block).
_PREFETCH_AHEAD = KERNEL_BLOCK
_LINE_PAIRS = 8
_BUILTIN = tuple(regimes.REGIMES.values())
_JITABLE: set[Callable] = set()
_KERNELS: dict[tuple[Callable, ...], Callable] = {}


@overload(regimes.select)
def _select_scalar(cond, a, b):  # pragma: no cover - compiled
    def select(cond, a, b):
        return a if cond else b

    return select


def _jitable(func: Callable, inline: str = "never") -> Callable:
    """Make the plain function ``func`` callable from compiled code (once)."""
    if func not in _JITABLE:
        register_jitable(inline=inline)(func)
        _JITABLE.add(func)
    return func


for _helper in (
    regimes.above,
    regimes.below,
    regimes.general_trade_taxes,
    regimes.cbec_retail_taxes,
    no_taxes,
):
    _jitable(_helper)
# the regime formulas are compiled once each and called, not inlined into the kernel:
# inlining costs about 30 s more compile time on a fresh environment (6 s -> 35 s of
# CPU), which every first run would pay before any progress.
# They take the rule as a tuple of floats (see _row_as_tuple), never as an array view: a
# view passed to a call that is not inlined is reference-counted, atomically, on every
# pair, and both threads counting on the one rule table made the kernel 3x slower.
# The steps around them are inlined.
for _helper in (pricing.lane_cost, pricing.flag, tax_base, unit_costs):
    _jitable(_helper, inline="always")


@intrinsic
def _prefetch_for_write(typingctx, array, indices):  # pragma: no cover - compiled
    """Ask for the cache line of ``array[indices]`` (a tuple of indices), to be written.

    ``llvm.prefetch`` with write intent (x86 ``PREFETCHW``): a hint, which changes no
    value and never faults. The caller keeps ``indices`` within the array all the same.
    """

    def codegen(context, builder, signature, args):
        array_type, index_types = signature.args
        array = context.make_array(array_type)(context, builder, args[0])
        values = cgutils.unpack_tuple(builder, args[1])
        indices = [
            context.cast(builder, value, index_type, types.intp)
            for value, index_type in zip(values, index_types, strict=True)
        ]
        address = cgutils.get_item_pointer(
            context, builder, array_type, array, indices, wraparound=False
        )
        byte = ir.IntType(8).as_pointer()
        word = ir.IntType(32)
        prefetch = builder.module.declare_intrinsic(
            "llvm.prefetch", [byte], ir.FunctionType(ir.VoidType(), [byte, word, word, word])
        )
        # write, keep in all cache levels, data cache
        flags = [ir.Constant(word, 1), ir.Constant(word, 3), ir.Constant(word, 1)]
        builder.call(prefetch, [builder.bitcast(address, byte), *flags])
        return context.get_dummy_value()

    return types.none(array, indices), codegen


def prefetch_outputs(t, n, components, held_value, transaction_value, order_value):
    """At every ``_LINE_PAIRS``-th pair ``t`` of ``n``, ask for the output lines of the
    pair ``_PREFETCH_AHEAD`` further on (all 11 outputs), to be written.

    Compiled into the fused kernel (and the write limit of ``benchmarks/bench_costs.py``);
    a hint only, which changes no value.
    """
    if t % _LINE_PAIRS == 0:
        ahead = min(t + _PREFETCH_AHEAD, n - 1)
        for i in range(_N_COMPONENTS):
            _prefetch_for_write(components, (i, ahead))
        _prefetch_for_write(held_value, (ahead,))
        _prefetch_for_write(transaction_value, (ahead,))
        _prefetch_for_write(order_value, (ahead,))


_jitable(prefetch_outputs, inline="always")


def _source_stamp(formulas: tuple[Callable, ...]) -> int:
    """A hash of every source the kernel compiles in: never a regime code (> 2**40)."""
    digest = hashlib.sha256(repr(THRESHOLD_RTOL).encode())
    for module in (regimes, pricing):
        digest.update(Path(module.__file__).read_bytes())
    for formula in formulas:
        try:
            digest.update(inspect.getsource(formula).encode())
        except (OSError, TypeError):  # no source file (a lambda typed at a prompt)
            digest.update(formula.__code__.co_code)
    return 2**40 + int(digest.hexdigest()[:12], 16)


def _dispatch(formulas: tuple[Callable, ...]) -> Callable:
    """One function, inlined into the kernel: ``if code == c: return formula_c(rule,
    base)`` for every registered regime, no taxes for any other code.

    Flat, so that a pair's rule and tax base are passed once, to its formula (a
    chain of nested calls passed them on at every level: 1.3-1.5x slower). The
    last test compares with a hash of the formulas' source, never a code: numba's
    cache index hashes the kernel's closure, which holds this function and so its
    constants, so an edited formula is recompiled rather than read stale.
    """
    namespace: dict = {"__name__": f"{__name__}.generated", "no_taxes": no_taxes}
    lines = ["def dispatch(code, rule, base):"]
    for code, formula in enumerate(formulas):
        namespace[f"formula_{code}"] = _jitable(formula)
        lines += [f"    if code == {code}:", f"        return formula_{code}(rule, base)"]
    lines += [
        f"    if code == {_source_stamp(formulas)}:",
        "        return no_taxes(rule, base)",
        "    return no_taxes(rule, base)",
    ]
    exec("\n".join(lines), namespace)
    return _jitable(namespace["dispatch"], inline="always")


def _row_as_tuple(n: int) -> Callable:
    """``table[k]`` as a tuple of ``n`` floats: passed by value, without the reference
    counting an array view costs on every call to a function that is not inlined."""
    items = ", ".join(f"table[k, {i}]" for i in range(n))
    namespace: dict = {}
    exec(f"def row_as_tuple(table, k):\n    return ({items},)\n", namespace)
    return _jitable(namespace["row_as_tuple"], inline="always")


_RULE_TUPLE = _row_as_tuple(len(regimes.RULE_FIELDS))


def _build_kernel(formulas: tuple[Callable, ...]) -> Callable:
    dispatch = _dispatch(formulas)

    @njit(parallel=True, cache=formulas == _BUILTIN, nogil=True, error_model="numpy")
    def kernel(
        sku, row, path, rule, parcel, pair, components, held_value, transaction_value, order_value
    ):  # pragma: no cover - compiled
        # t runs through the pairs as they come, j through them in the kernel order:
        # each block of KERNEL_BLOCK pairs grouped by regime (pricing.kernel_order).
        # j is unsigned, so that no index through it is tested for wrap-around
        # (a signed one costs a test and a select per array read or write)
        n = pair.sku.shape[0]
        for t in prange(n):
            # the lines the block after this one will write
            prefetch_outputs(t, n, components, held_value, transaction_value, order_value)
            block = np.uint64(t) & _BLOCK_START
            j = block + np.uint64(pair.order[t])
            s = sku[pair.sku[j]]
            p = path[pair.path[j]]
            u = _RULE_TUPLE(rule, pair.rule[j])
            c = parcel[pair.parcel[j]]
            base = tax_base(s, row[pair.row[j]], p, u, c, pair, j)
            values = unit_costs(s, p, c, pair, j, base, dispatch(u[RULE.regime], u, base))
            for i in range(_N_COMPONENTS):
                components[i, j] = values[i]
            held_value[j] = values[_N_COMPONENTS]
            transaction_value[j] = values[_N_COMPONENTS + 1]
            order_value[j] = values[_N_COMPONENTS + 2]

    return kernel


def fused_kernel() -> Callable:
    """The compiled kernel for the regimes registered now (built on first use).

    Its arguments are :meth:`LandedInputs.arrays` followed by the four arrays
    of a :class:`LandedCost`.
    """
    formulas = tuple(regimes.REGIMES.values())
    kernel = _KERNELS.get(formulas)
    if kernel is None:
        kernel = _KERNELS[formulas] = _build_kernel(formulas)
    return kernel


def landed_cost_fused(inp: LandedInputs, out: LandedCost | None = None) -> LandedCost:
    """Price every pair of ``inp`` in one compiled, parallel pass.

    :func:`lean_chain.costs.landed.price_pairs`'s default kernel: it takes ``inp``
    and ``out`` as :func:`~lean_chain.costs.landed.landed_cost_numpy` does and gives
    the same bits. Writing into ``out`` (:meth:`LandedCost.empty`) re-prices
    without allocating (and page-faulting) new memory.

    Raises
    ------
    ValueError
        When ``out`` does not hold ``inp.n_pairs`` pairs.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.index import build_index
    >>> from lean_chain.costs.landed import landed_inputs, landed_cost_numpy
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> inputs = landed_inputs(inst, build_index(inst))
    >>> fused, plain = landed_cost_fused(inputs), landed_cost_numpy(inputs)
    >>> bool((fused.components == plain.components).all())
    True
    """
    n = inp.n_pairs
    if out is None:
        out = LandedCost.empty(n)
    out.check(n)
    fused_kernel()(
        *inp.arrays(), out.components, out.held_value, out.transaction_value, out.order_value
    )
    return out
