"""Customs territories and the default customs valuation basis per destination.

A customs territory is where goods, once cleared, move freely: the EU-27 is one
(goods cleared in Duisburg and trucked to France pay duty once, on their value
at the EU border); every other country is its own. The customs value of a
general-trade entry is CIF (goods + freight up to the first entry into the
territory) in the EU, China, the UK, Japan and most countries, FOB (goods +
freight until they leave the origin) in the United States, Canada and
Australia (19 U.S.C. 1401a; Customs Act 1985 (CA) s. 48; Customs Act 1901
(AU) s. 159-161).

Examples
--------
>>> customs_territory("FR"), customs_territory("DE"), customs_territory("GB")
('EU', 'EU', 'GB')
>>> default_valuation_basis("US"), default_valuation_basis("JP")
('fob', 'cif')
"""

from __future__ import annotations

import numpy as np

#: EU-27 member states (ISO 3166 alpha-2; Greece as GR): one customs union.
EU_MEMBERS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE HU".split()
)
#: Destinations whose customs value is FOB; every other destination uses CIF.
FOB_COUNTRIES = frozenset({"US", "CA", "AU"})


def customs_territory(country: str) -> str:
    """``'EU'`` for an EU-27 member, else the country code itself."""
    return "EU" if country in EU_MEMBERS else country


def territories(countries: np.ndarray) -> np.ndarray:
    """:func:`customs_territory` of every element (object array)."""
    values = np.asarray(countries, dtype=object)
    return np.where(np.isin(values, list(EU_MEMBERS)), "EU", values).astype(object)


def default_valuation_basis(country: str) -> str:
    """``'fob'`` for the US, Canada and Australia, ``'cif'`` elsewhere."""
    return "fob" if country in FOB_COUNTRIES else "cif"
