"""The workbooks' user interfaces: thin ipywidgets layers over the logic modules.

Only modules under ``cpmkit.ui`` import ipywidgets. Each workbook module has one entry
point, ``app()``, which its notebook calls.
"""

from cpmkit.core.deferred_imports import defer_rfc3987_syntax

defer_rfc3987_syntax()
