"""Carrier tariffs as pure functions: parcel prices per order and weight-break costs.

Parcel rates (lean_chain.costs.rates.parcel_cost_per_order): chargeable weight =
max(actual, cm3 / divisor); the first charge covers ``first_weight_kg``, then one
``step_charge`` per started ``step_weight_kg``.

Weight-break rates (piecewise_cost): per shipment of w kg,
f(w) = max(min_charge, min_b rate_b x max(w, break_b)), 0 when nothing ships;
piecewise_pieces lists the linear pieces of f that the MIP uses.

The parcel tariff used throughout: first 0.5 kg 20, then 8 per started 0.5 kg.
The air tariff used throughout: N 30/kg, +45 25/kg, +100 20/kg, +300 18/kg, minimum 300.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lean_chain.costs.rates import (
    chargeable_kg,
    parcel_cost_per_order,
    piecewise_cost,
    piecewise_pieces,
)

NAN = float("nan")
FIRST_KG, FIRST, STEP_KG, STEP = 0.5, 20.0, 0.5, 8.0

AIR_BREAKS = np.array([0.0, 45.0, 100.0, 300.0])
AIR_RATES = np.array([30.0, 25.0, 20.0, 18.0])
AIR_MIN = 300.0


def parcel(
    weight_kg: float,
    volume_m3: float = 0.001,
    divisor: float = NAN,
    first_kg: float = FIRST_KG,
    first: float = FIRST,
    step_kg: float = STEP_KG,
    step: float = STEP,
) -> float:
    """Price of one parcel (scalars in, scalar out)."""
    one = np.ones(1)
    return float(
        parcel_cost_per_order(
            weight_kg * one,
            volume_m3 * one,
            first_kg * one,
            first * one,
            step_kg * one,
            step * one,
            divisor * one,
        )[0]
    )


def air(w: float | np.ndarray) -> np.ndarray:
    return piecewise_cost(w, AIR_BREAKS, AIR_RATES, AIR_MIN)


# --------------------------------------------------------------------------- parcels


def test_parcel_steps_round_up():
    """1.2 kg: 0.7 kg above the first 0.5 kg is 1.4 steps of 0.5 kg, rounded up to 2:
    20 + 2 x 8 = 36."""
    assert parcel(1.2) == pytest.approx(36.0, abs=1e-12)


def test_parcel_exact_multiple_adds_no_step():
    """Exactly 1.0 kg: 0.5 kg above the first is exactly 1 step: 20 + 8 = 28 (not 36).
    At the first weight itself (0.5 kg) and below it (0.2 kg) only the first charge: 20."""
    assert parcel(1.0) == pytest.approx(28.0, abs=1e-12)
    assert parcel(0.5) == pytest.approx(20.0, abs=1e-12)
    assert parcel(0.2) == pytest.approx(20.0, abs=1e-12)


@pytest.mark.parametrize(
    ("weight", "first_kg", "step_kg", "steps"),
    [
        (0.1 + 0.2, 0.1, 0.1, 2),  # 0.30000000000000004: 2 steps of 0.1, not 3
        (0.7, 0.5, 0.1, 2),  # 0.2 above the first = 1.9999999999999996 steps -> 2
        (3 * 0.1, 0.1, 0.1, 2),  # 3 units of 0.1 kg in one order
        (2.0000001, 1.0, 1.0, 2),  # really above 1 step: 2 steps
    ],
)
def test_parcel_float_noise_at_a_multiple(weight, first_kg, step_kg, steps):
    """Weights that are a whole number of steps up to float noise do not pay an extra
    step; 1e-7 kg above one does (first 20, step 8)."""
    cost = parcel(weight, first_kg=first_kg, step_kg=step_kg)
    assert cost == pytest.approx(20.0 + 8.0 * steps, abs=1e-12)


def test_volumetric_weight_wins_for_a_light_bulky_parcel():
    """0.3 kg in a 40 x 30 x 20 cm box = 24,000 cm3 = 0.024 m3; at divisor 5000 that is
    4.8 kg volumetric: 4.3 kg above the first = 8.6 steps -> 9: 20 + 9 x 8 = 92.
    At divisor 6000 it is 4.0 kg: 3.5 kg = 7 steps: 20 + 56 = 76."""
    assert float(chargeable_kg(np.array([0.3]), np.array([0.024]), np.array([5000.0]))[0]) == (
        pytest.approx(4.8, rel=1e-12)
    )
    assert parcel(0.3, volume_m3=0.024, divisor=5000.0) == pytest.approx(92.0, abs=1e-12)
    assert parcel(0.3, volume_m3=0.024, divisor=6000.0) == pytest.approx(76.0, abs=1e-12)


def test_actual_weight_wins_for_a_dense_parcel():
    """3 kg in 0.001 m3 (0.2 kg volumetric at 5000): chargeable 3 kg, 5 steps: 60."""
    assert parcel(3.0, volume_m3=0.001, divisor=5000.0) == pytest.approx(60.0, abs=1e-12)


def test_blank_divisor_means_actual_weight_only():
    """Blank divisor: the same bulky 0.3 kg box is charged on 0.3 kg: first charge 20."""
    assert float(chargeable_kg(np.array([0.3]), np.array([0.024]), np.array([NAN]))[0]) == 0.3
    assert parcel(0.3, volume_m3=0.024, divisor=NAN) == pytest.approx(20.0, abs=1e-12)


def test_blank_step_weight_is_a_flat_first_charge():
    """Blank step weight: the first charge covers any weight (10 kg still costs 20,
    whatever the step charge)."""
    assert parcel(10.0, step_kg=NAN) == pytest.approx(20.0, abs=1e-12)
    assert parcel(0.1, step_kg=NAN) == pytest.approx(20.0, abs=1e-12)


def test_parcel_arrays_broadcast():
    """Several parcels at once: 0.5 -> 20, 1.0 -> 28, 1.2 -> 36, 2.6 -> 20 + 5 x 8 = 60."""
    weights = np.array([0.5, 1.0, 1.2, 2.6])
    cost = parcel_cost_per_order(
        weights,
        np.full(4, 0.001),
        np.array(FIRST_KG),
        np.array(FIRST),
        np.array(STEP_KG),
        np.array(STEP),
        np.array(NAN),
    )
    np.testing.assert_allclose(cost, [20.0, 28.0, 36.0, 60.0], atol=1e-12)


# --------------------------------------------------------------------------- weight breaks


def test_weight_break_cost_never_falls_as_weight_grows():
    """On a dense grid 0.01..600 kg the cost is non-decreasing, although the rate per kg
    falls across the breaks: 20 kg pays 30/kg (600), 45 kg 25/kg (1,125), 100 kg 20/kg
    (2,000), 300 kg 18/kg (5,400)."""
    grid = np.linspace(0.01, 600.0, 60_001)
    cost = air(grid)
    assert np.all(np.diff(cost) >= -1e-9)
    per_kg = [float(air(w)) / w for w in (20.0, 45.0, 100.0, 300.0)]
    assert per_kg == pytest.approx([30.0, 25.0, 20.0, 18.0], rel=1e-12)
    assert all(a > b for a, b in itertools.pairwise(per_kg))


def test_next_break_rule():
    """90 kg: at its own break 90 x 25 = 2,250, at the next break 100 x 20 = 2,000:
    it pays 2,000. The rule starts where 25 w = 2,000, at 80 kg: 79 kg pays 1,975.
    40 kg: 40 x 30 = 1,200 against 45 x 25 = 1,125: 1,125. 280 kg: 280 x 20 = 5,600
    against 300 x 18 = 5,400: 5,400."""
    assert float(air(90.0)) == pytest.approx(2000.0, rel=1e-12)
    assert float(air(80.0)) == pytest.approx(2000.0, rel=1e-12)
    assert float(air(79.0)) == pytest.approx(1975.0, rel=1e-12)
    assert float(air(40.0)) == pytest.approx(1125.0, rel=1e-12)
    assert float(air(280.0)) == pytest.approx(5400.0, rel=1e-12)


def test_minimum_charge_binds_for_a_light_shipment():
    """5 kg: 5 x 30 = 150 < minimum 300: 300. 10 kg: 300 (exactly the minimum);
    11 kg: 330. Nothing shipped: 0 (no shipment, no minimum)."""
    assert float(air(5.0)) == pytest.approx(300.0, rel=1e-12)
    assert float(air(10.0)) == pytest.approx(300.0, rel=1e-12)
    assert float(air(11.0)) == pytest.approx(330.0, rel=1e-12)
    assert float(air(0.0)) == 0.0
    np.testing.assert_allclose(air(np.array([0.0, 5.0, 90.0])), [0.0, 300.0, 2000.0])


def _check_pieces(breaks, rates, min_charge, upper, n_grid=4001):
    """Pieces cover [0, upper] without gaps, f is continuous across them, and on a dense
    grid (plus every break and piece end) each piece reproduces piecewise_cost."""
    lo, hi, slope, intercept = piecewise_pieces(breaks, rates, min_charge, upper)
    assert lo[0] == 0.0
    assert hi[-1] == pytest.approx(upper, rel=1e-12)
    np.testing.assert_array_equal(lo[1:], hi[:-1])
    assert np.all(hi > lo)
    scale = max(1.0, float(np.max(rates)) * max(upper, float(np.max(breaks))), min_charge)
    tol = 1e-9 * scale
    # continuity: consecutive pieces meet
    np.testing.assert_allclose(
        slope[:-1] * hi[:-1] + intercept[:-1], slope[1:] * lo[1:] + intercept[1:], atol=tol
    )
    grid = np.concatenate(
        [
            np.linspace(0.0, upper, n_grid)[1:],
            breaks[(breaks > 0) & (breaks <= upper)],
            hi,
            lo[lo > 0],
        ]
    )
    expected = piecewise_cost(grid, breaks, rates, min_charge)
    piece = np.clip(np.searchsorted(hi, grid, side="left"), 0, len(hi) - 1)
    got = slope[piece] * grid + intercept[piece]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=tol)
    return lo, hi, slope, intercept


def test_pieces_of_the_air_tariff():
    """Pieces of the air tariff up to 400 kg: minimum 300 on (0, 10]; 30 w on [10, 37.5];
    1,125 flat on [37.5, 45]; 25 w on [45, 80]; 2,000 flat on [80, 100]; 20 w on [100, 270];
    5,400 flat on [270, 300]; 18 w on [300, 400]."""
    lo, hi, slope, intercept = _check_pieces(AIR_BREAKS, AIR_RATES, AIR_MIN, 400.0)
    np.testing.assert_allclose(lo, [0, 10, 37.5, 45, 80, 100, 270, 300], atol=1e-12)
    np.testing.assert_allclose(hi, [10, 37.5, 45, 80, 100, 270, 300, 400], atol=1e-12)
    np.testing.assert_allclose(slope, [0, 30, 0, 25, 0, 20, 0, 18], atol=1e-9)
    np.testing.assert_allclose(intercept, [300, 0, 1125, 0, 2000, 0, 5400, 0], atol=1e-7)


def test_pieces_of_non_monotone_and_odd_tables():
    """Tables that are not the usual falling rates: a rate that rises with the break
    (N 10, +45 12: the +45 break never helps, f = 10 w), a first break above 0 (+45 25,
    +100 20: below 45 kg pay 1,125), a zero rate (f = the minimum charge), one break."""
    cases = [
        (np.array([0.0, 45.0]), np.array([10.0, 12.0]), 0.0),
        (np.array([0.0, 45.0, 100.0]), np.array([30.0, 35.0, 20.0]), 50.0),
        (np.array([45.0, 100.0]), np.array([25.0, 20.0]), 0.0),
        (np.array([0.0, 100.0]), np.array([5.0, 0.0]), 70.0),
        (np.array([0.0]), np.array([7.5]), 0.0),
    ]
    for breaks, rates, min_charge in cases:
        _check_pieces(breaks, rates, min_charge, 500.0)
    assert float(piecewise_cost(10.0, cases[0][0], cases[0][1], 0.0)) == pytest.approx(100.0)
    assert float(piecewise_cost(10.0, cases[2][0], cases[2][1], 0.0)) == pytest.approx(1125.0)
    assert float(piecewise_cost(150.0, cases[3][0], cases[3][1], 70.0)) == pytest.approx(70.0)


def test_pieces_with_an_upper_bound_inside_a_piece():
    """upper = 60 kg: the pieces stop at 60 (inside 25 w on [45, 80])."""
    _, hi, slope, _ = _check_pieces(AIR_BREAKS, AIR_RATES, AIR_MIN, 60.0)
    assert hi[-1] == 60.0
    assert slope[-1] == pytest.approx(25.0)


@st.composite
def break_tables(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    gaps = draw(
        st.lists(st.floats(min_value=0.5, max_value=400.0, allow_nan=False), min_size=n, max_size=n)
    )
    start = draw(st.sampled_from([0.0, 0.0, 0.0, 10.0, 45.0]))
    breaks = start + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    rates = np.array(
        draw(
            st.lists(
                st.one_of(
                    st.floats(min_value=0.01, max_value=60.0, allow_nan=False),
                    st.sampled_from([0.0, 5.0, 18.0, 20.0, 25.0, 30.0]),
                ),
                min_size=n,
                max_size=n,
            )
        )
    )
    min_charge = draw(st.sampled_from([0.0, 0.0, 50.0, 300.0, 1234.5]))
    upper = draw(st.floats(min_value=1.0, max_value=3000.0, allow_nan=False))
    return breaks, rates, min_charge, upper


@settings(max_examples=150, deadline=None)
@given(break_tables())
def test_pieces_reproduce_the_cost_on_random_tables(table):
    """For random break tables (rates rising, falling or zero; first break at 0 or not;
    any minimum), the pieces reproduce piecewise_cost on a dense grid."""
    breaks, rates, min_charge, upper = table
    _check_pieces(breaks, rates, min_charge, upper, n_grid=2001)


def test_pieces_reproduce_the_cost_on_seeded_random_tables():
    """Same check with a fixed seed and non-round numbers (breaks and rates with many
    digits, so (rate x break) / rate is not always the break itself in floating point)."""
    rng = np.random.default_rng(20240611)
    for _ in range(300):
        n = int(rng.integers(1, 8))
        breaks = np.sort(rng.uniform(0.0, 500.0, n))
        if rng.random() < 0.6:
            breaks[0] = 0.0
        breaks = np.unique(breaks)
        rates = rng.uniform(0.0, 50.0, len(breaks))
        if rng.random() < 0.5:
            rates = np.sort(rates)[::-1].copy()  # the usual falling rates
        min_charge = float(rng.choice([0.0, rng.uniform(0.0, 2000.0)]))
        upper = float(rng.uniform(1.0, 2000.0))
        _check_pieces(breaks, rates, min_charge, upper, n_grid=3001)
