"""The layer contracts in pyproject.toml (checked by ``lint-imports`` in ``make test``) cover every
module: a new rules module that no contract names would escape the check that keeps it pure."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import cpmkit

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = {
    c["name"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}
PURE = "Rules are pure: no store, no database, no widgets"
WIDGETS = "Only ui modules import widgets"
#: Plumbing around the workbooks: the server, the command line, the notebook API, settings and errors.
PLUMBING = (
    "cpmkit.serving",
    "cpmkit.cli",
    "cpmkit.api",
    "cpmkit.config",
    "cpmkit.errors",
    "cpmkit.db",
    "cpmkit.accounts.store",
)


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(cpmkit.__path__, "cpmkit.") if not m.ispkg]


def _within(module: str, packages: list[str] | tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_every_module_is_ui_store_plumbing_or_a_listed_rules_module() -> None:
    pure = CONTRACTS[PURE]["source_modules"]
    unlisted = [
        m
        for m in _modules()
        if "ui" not in m.split(".")
        and m.rsplit(".", 1)[-1] != "store"
        and not _within(m, PLUMBING)
        and not _within(m, pure)
    ]
    assert unlisted == [], f"add these to the {PURE!r} contract in pyproject.toml: {unlisted}"


def test_no_rules_module_is_named_as_ui_or_store() -> None:
    for module in CONTRACTS[PURE]["source_modules"]:
        assert "ui" not in module.split(".") and not module.endswith(".store"), module


def test_the_widget_contract_covers_the_stores_and_the_plumbing() -> None:
    sources = CONTRACTS[WIDGETS]["source_modules"]
    assert "cpmkit.**.store" in sources
    assert all(_within(p, sources) or p == "cpmkit.accounts.store" for p in PLUMBING)
