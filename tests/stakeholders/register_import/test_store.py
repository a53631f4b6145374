"""StakeholderStore.import_stakeholders, on SQLite and PostgreSQL: a name already saved (whatever
its case or spacing) updates that stakeholder's given fields and keeps the rest; a refused value
saves nothing of the file; the same file twice adds nobody."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.stakeholders.store import StakeholderStore


def test_an_import_adds_then_updates_by_name(store: Store, project: int) -> None:
    register = StakeholderStore(store)
    ada = register.add_stakeholder(project, "Ada Lovelace", role="Sponsor", power=5)
    rows = [("  ada LOVELACE ", {"interest": "4"}), ("Grace Hopper", {"power": 2, "role": "CIO"})]
    assert register.import_stakeholders(project, rows) == (1, 1)
    saved = register.stakeholder(ada)
    assert [saved[f] for f in ("name", "role", "power", "interest")] == ["Ada Lovelace", "Sponsor", 5, 4]
    assert register.import_stakeholders(project, rows) == (0, 2)
    assert list(register.stakeholders(project)["name"]) == ["Ada Lovelace", "Grace Hopper"]
    assert sorted(register.name_keys(project).values()) == sorted(register.stakeholders(project)["id"])


def test_a_refused_value_saves_nothing_of_the_file(store: Store, project: int) -> None:
    register = StakeholderStore(store)
    with pytest.raises(ValidationError, match="Power"):
        register.import_stakeholders(project, [("Ada", {}), ("Grace", {"power": 9})])
    assert register.stakeholders(project).empty
