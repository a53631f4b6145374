"""What every workbook chart shares, known without importing Altair: the width, and the
Vega-Lite version the page's bundle draws (Altair's, which the tests check).

Altair costs a kernel about 30 MB and 0.4 s to import; a chart every participant's kernel draws
is worth writing out by hand (``cpmkit.soft_skills.profile_chart``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["SCHEMA_URL", "SCHEMA_VERSION", "WIDTH"]

#: The width of every workbook chart, in pixels.
WIDTH: Final = 420
#: The Vega-Lite version Altair writes specs for (``altair.SCHEMA_VERSION``), which the page's
#: bundle draws; and its schema (``altair.SCHEMA_URL``).
SCHEMA_VERSION: Final = "v6.4.1"
SCHEMA_URL: Final = f"https://vega.github.io/schema/vega-lite/{SCHEMA_VERSION}.json"
