"""China's CBEC export return tax exemption, as dated data.

Goods exported under the CBEC export channels (1210, 9610, 9710, 9810) and
re-imported in their original condition within 6 months of export because they
could not be sold or were returned are exempt from import duty, import VAT and
consumption tax; food is excluded. The exemption is a temporary policy, renewed
by announcement; outside its dates re-importing a return pays the taxes.

Examples
--------
>>> import numpy as np
>>> reimport_exempt("2026-03-01", np.array(["9610", "0110"]), np.array(["apparel", "apparel"]))
array([ True, False])
>>> reimport_exempt("2028-01-01", np.array(["9610"]), np.array(["apparel"]))
array([False])
>>> reimport_exempt("2026-03-01", np.array(["9810"]), np.array(["food"]))
array([False])
"""

from __future__ import annotations

import numpy as np

#: Periods in force (first and last day, inclusive), channels, excluded categories, source.
CBEC_EXPORT_RETURN_EXEMPTIONS = (
    {
        "effective_from": "2023-01-30",
        "effective_to": "2025-12-31",
        "channels": ("1210", "9610", "9710", "9810"),
        "excluded_categories": ("food",),
        "source": "MOF/GACC/SAT Announcement No. 4 of 2023 (returns of CBEC exports declared "
        "2023-01-30 to 2025-12-31, re-imported within 6 months in original condition)",
    },
    {
        "effective_from": "2026-01-01",
        "effective_to": "2027-12-31",
        "channels": ("1210", "9610", "9710", "9810"),
        "excluded_categories": ("food",),
        "source": "MOF/GACC/SAT Announcement No. 16 of 2026 (as cited in issue 18; dates to "
        "be checked against the published text)",
    },
)


def reimport_exempt(as_of: str, channel_id: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Per element: is a CBEC export return re-imported on ``as_of`` (YYYY-MM-DD) through
    ``channel_id`` in ``category`` exempt from import duty, VAT and consumption tax?"""
    channel_id = np.asarray(channel_id, dtype=object).astype(str)
    category = np.asarray(category, dtype=object).astype(str)
    exempt = np.zeros(len(channel_id), dtype=bool)
    for period in CBEC_EXPORT_RETURN_EXEMPTIONS:
        if period["effective_from"] <= str(as_of) <= period["effective_to"]:
            exempt |= np.isin(channel_id, period["channels"]) & ~np.isin(
                category, period["excluded_categories"]
            )
    return exempt
