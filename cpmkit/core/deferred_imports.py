"""Import-time savings for the kernels Voila starts, where every second counts before a
workshop participant sees a widget, and every megabyte counts in a room of them.

jsonschema (imported by Altair) imports ``rfc3987_syntax`` eagerly when it is installed, and
that module compiles about 35 Lark parsers at import: 1-2 s per kernel, measured here, for a
format ("iri") that neither Altair nor cpmkit validates. Upstream: python-jsonschema/jsonschema#1428.

pandas and numpy cost a kernel about 30 MB: the modules a participant's page imports name them
through ``deferred_module``, so a page that never builds a frame (a participant arriving or
answering, a pulse survey, a retrospective board) never loads them::

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = deferred_module("pandas")
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["defer_rfc3987_syntax", "deferred_module"]

_MODULE = "rfc3987_syntax"


def defer_rfc3987_syntax() -> None:
    """Put a stand-in for ``rfc3987_syntax`` in place that loads the real module on first use.

    Behaviour is unchanged (a call to ``is_valid_syntax`` gets the real answer); only the cost
    moves from import time to the first IRI check, which in practice never comes.
    """
    if _MODULE in sys.modules or importlib.util.find_spec(_MODULE) is None:
        return
    stand_in = types.ModuleType(_MODULE, "Deferred by cpmkit: loads the real module on first use.")

    def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
        return _real().is_valid_syntax(*args, **kwargs)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[_MODULE] = stand_in


@functools.cache
def _real() -> types.ModuleType:
    del sys.modules[_MODULE]
    return importlib.import_module(_MODULE)


class _DeferredModule(types.ModuleType):
    """A module's stand-in under one name in cpmkit's own code: the first attribute asked for
    imports the real module, and each attribute is kept once looked up."""

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self.__name__), attr)
        setattr(self, attr, value)
        return value


def deferred_module(name: str) -> types.ModuleType:
    """A stand-in for module ``name`` that imports it when an attribute is first used
    (``pd.DataFrame``), then answers as it does. Unlike ``defer_rfc3987_syntax`` it is never put
    in ``sys.modules``: every other importer gets the real module, as usual."""
    return _DeferredModule(name, f"Deferred by cpmkit: imports {name} on first use.")
