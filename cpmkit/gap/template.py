"""The content of workbook 3, read from ``templates/expectation_gap.yaml``: the gap dimensions
with their example questions, the rating scales, where figures come from, the status rules
and the guidance sentences.

Content is data so a trainer can adapt it without touching code; the whole file is checked
up front and anything malformed is refused with the file, item and field named.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from cpmkit import config
from cpmkit.core.content import check_fields, read_yaml, required_id, required_text
from cpmkit.errors import TemplateError, ValidationError
from cpmkit.stakeholders.rules import CATEGORIES

__all__ = [
    "ANCHORED_SCALES",
    "CUSTOMER_LIGHT",
    "FILE",
    "GROUPS",
    "GUIDANCE_KEYS",
    "IMPORTANCE_MODES",
    "IMPORTANCE_RANGES",
    "Dimension",
    "GapTemplate",
    "Source",
    "StatusRules",
    "load_gap_template",
]

FILE: Final = "expectation_gap.yaml"
#: Importance per mode and its range: "weights" are points a stakeholder shares out (100 in
#: all), "rating" is 1 to 5 per dimension.
IMPORTANCE_RANGES: Final = {"weights": (0, 100), "rating": (1, 5)}
IMPORTANCE_MODES: Final = tuple(IMPORTANCE_RANGES)
GROUPS: Final = ("service quality", "project")
GUIDANCE_KEYS: Final = ("stated_problem", "underlying_expectation", "action", "survey_intro", "survey_thanks")
#: The scales a stakeholder answers on, each with one anchor (a few words) per point.
ANCHORED_SCALES: Final = ("scale", "importance", "satisfaction")
#: The light the status report computes from the key customers (no area may take its name).
CUSTOMER_LIGHT: Final = "customer satisfaction"

#: Dimension and source ids are stored with every rating, so they stay short and plain.
_TOP_FIELDS = ("scale", "importance", "satisfaction", "anchors", "sources", "dimensions", "status", "guidance")
_RULE_FIELDS = ("satisfaction_at_or_below", "top_weighted_gap_at_or_below")


@dataclass(frozen=True)
class Dimension:
    """Something a stakeholder expects of the project, rated for expectation and perception."""

    id: str
    group: str
    name: str
    description: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """Where figures come from; ``own`` figures are the stakeholder's, the others the PM's estimate."""

    id: str
    label: str
    own: bool


@dataclass(frozen=True)
class StatusRules:
    """The customer-centric status rule: the lights the PM sets, who is a key customer, and the
    thresholds at which a key customer is dissatisfied (every light red) or at risk (amber)."""

    areas: tuple[str, ...]
    key_categories: tuple[str, ...]
    dissatisfied_satisfaction: int
    dissatisfied_gap: float
    at_risk_satisfaction: int
    at_risk_gap: float
    satisfaction_scale: tuple[int, int]


@dataclass(frozen=True)
class GapTemplate:
    """The whole of ``expectation_gap.yaml``, checked."""

    scale: tuple[int, int]
    importance: str
    satisfaction: tuple[int, int]
    sources: tuple[Source, ...]
    dimensions: tuple[Dimension, ...]
    rules: StatusRules
    guidance: Mapping[str, str]
    anchors: Mapping[str, tuple[str, ...]]

    def dimension(self, dimension_id: str) -> Dimension:
        """The dimension with this id; a ValidationError if the template has none."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise ValidationError.for_field("dimension", dimension_id, f"{dimension_id!r} is not a dimension in {FILE}.")

    def anchored(self, scale: str) -> list[tuple[str, int]]:
        """The points of ``scale`` (one of ANCHORED_SCALES) as choices "n - anchor", lowest first,
        so a respondent reads what each number means."""
        low, _ = self.ranges[scale]
        return [(f"{low + i} - {anchor}", low + i) for i, anchor in enumerate(self.anchors[scale])]

    @property
    def ranges(self) -> dict[str, tuple[int, int]]:
        """Each anchored scale's (low, high); importance is the 1-5 rating's."""
        return {"scale": self.scale, "importance": IMPORTANCE_RANGES["rating"], "satisfaction": self.satisfaction}

    @property
    def source_order(self) -> tuple[str, ...]:
        """Source ids, most trusted first (the order of the file)."""
        return tuple(source.id for source in self.sources)

    @property
    def own_sources(self) -> tuple[str, ...]:
        """Ids of the sources that are the stakeholder's own figures, most trusted first."""
        return tuple(source.id for source in self.sources if source.own)

    @property
    def estimate_source(self) -> str:
        """The id of the one source that is the PM's estimate (the loader checks there is one)."""
        return next(source.id for source in self.sources if not source.own)

    @property
    def dimension_names(self) -> dict[str, str]:
        """Each dimension's name by id, for tables and charts that store ids."""
        return {dimension.id: dimension.name for dimension in self.dimensions}

    def asked_dimensions(self, chosen: Sequence[str] | None) -> list[str]:
        """The dimension ids a project asks about, in this file's order: those it chose (ids the
        file no longer has are dropped), or every dimension until it has chosen (None)."""
        return [dimension.id for dimension in self.dimensions if chosen is None or dimension.id in chosen]


@functools.cache
def load_gap_template(templates: Path | None = None) -> GapTemplate:
    """Read and check ``expectation_gap.yaml`` in ``templates`` (default: the configured folder)."""
    data = read_yaml(config.template_file(FILE, templates))
    check_fields(data, _TOP_FIELDS, FILE, None)
    importance = data.get("importance")
    if importance not in IMPORTANCE_MODES:
        raise _error(f"must be one of {', '.join(IMPORTANCE_MODES)}.", None, "importance")
    scale = _parse_range(data.get("scale"), "scale")
    satisfaction = _parse_range(data.get("satisfaction"), "satisfaction")
    ranges = {"scale": scale, "importance": IMPORTANCE_RANGES["rating"], "satisfaction": satisfaction}
    return GapTemplate(
        scale=scale,
        importance=importance,
        satisfaction=satisfaction,
        sources=_parse_sources(data.get("sources")),
        dimensions=_parse_dimensions(data.get("dimensions")),
        rules=_parse_status(data.get("status"), scale, satisfaction),
        guidance=_parse_guidance(data.get("guidance")),
        anchors=_parse_anchors(data.get("anchors"), ranges),
    )


def _parse_range(raw: Any, name: str) -> tuple[int, int]:
    if not isinstance(raw, dict):
        raise _error("must be a mapping like {low: 1, high: 7}.", None, name)
    check_fields(raw, ("low", "high"), FILE, name)
    low, high = _whole(raw, "low", name), _whole(raw, "high", name)
    if high <= low:
        raise _error(f"must be above low ({low}).", name, "high")
    return low, high


def _parse_anchors(raw: Any, ranges: Mapping[str, tuple[int, int]]) -> Mapping[str, tuple[str, ...]]:
    """One anchor per point of each scale a stakeholder answers on, lowest first."""
    if not isinstance(raw, dict):
        raise _error(
            f"must be a mapping with a list of anchors each for {', '.join(ANCHORED_SCALES)}.", None, "anchors"
        )
    check_fields(raw, ANCHORED_SCALES, FILE, "anchors")
    anchors = {}
    for name in ANCHORED_SCALES:
        low, high = ranges[name]
        points = raw.get(name)
        if (
            not isinstance(points, list)
            or len(points) != high - low + 1
            or not all(isinstance(p, str) and p.strip() for p in points)
        ):
            raise _error(f"must list {high - low + 1} anchors, one per point from {low} to {high}.", "anchors", name)
        anchors[name] = tuple(p.strip() for p in points)
    return MappingProxyType(anchors)


def _parse_sources(raw: Any) -> tuple[Source, ...]:
    sources = []
    for index, entry in enumerate(_entries(raw, "sources"), start=1):
        label = _label(entry, f"source {index}")
        check_fields(entry, ("id", "label", "own"), FILE, label)
        own = entry.get("own")
        if not isinstance(own, bool):
            raise _error("must be true (the stakeholder's own figures) or false (the PM's estimate).", label, "own")
        sources.append(Source(required_id(entry, FILE, label), required_text(entry, "label", FILE, label), own))
    _unique([s.id for s in sources], "id")
    estimates = [s.id for s in sources if not s.own]
    if len(estimates) != 1:
        raise _error(
            f"must list exactly one source with own: false (the PM's estimate); found {len(estimates)}.",
            None,
            "sources",
        )
    if len(sources) < 2:
        raise _error("must list at least one source with own: true (the stakeholder's own figures).", None, "sources")
    return tuple(sources)


def _parse_dimensions(raw: Any) -> tuple[Dimension, ...]:
    dimensions = []
    for index, entry in enumerate(_entries(raw, "dimensions"), start=1):
        label = _label(entry, f"dimension {index}")
        check_fields(entry, ("id", "group", "name", "description", "questions"), FILE, label)
        if entry.get("group") not in GROUPS:
            raise _error(f"must be one of: {', '.join(GROUPS)}.", label, "group")
        questions = entry.get("questions")
        if (
            not isinstance(questions, list)
            or not questions
            or not all(isinstance(q, str) and q.strip() for q in questions)
        ):
            raise _error("must be a non-empty list of example questions.", label, "questions")
        dimensions.append(
            Dimension(
                required_id(entry, FILE, label),
                entry["group"],
                required_text(entry, "name", FILE, label),
                required_text(entry, "description", FILE, label),
                tuple(q.strip() for q in questions),
            )
        )
    _unique([d.id for d in dimensions], "id")
    _unique([d.name.casefold() for d in dimensions], "name")
    return tuple(dimensions)


def _parse_status(raw: Any, scale: tuple[int, int], satisfaction: tuple[int, int]) -> StatusRules:
    if not isinstance(raw, dict):
        raise _error("must be a mapping with areas, key_customer, dissatisfied and at_risk.", None, "status")
    check_fields(raw, ("areas", "key_customer", "dissatisfied", "at_risk"), FILE, "status")
    areas = raw.get("areas")
    if not isinstance(areas, list) or not areas or not all(isinstance(a, str) and a.strip() for a in areas):
        raise _error("must be a non-empty list of area names (such as scope, schedule, budget).", "status", "areas")
    areas = [a.strip() for a in areas]
    if CUSTOMER_LIGHT in areas:
        raise _error(f"must not include {CUSTOMER_LIGHT!r}: the report adds that light itself.", "status", "areas")
    if len(set(areas)) < len(areas):
        raise _error("lists an area more than once.", "status", "areas")
    key = raw.get("key_customer")
    if not isinstance(key, dict):
        raise _error("must be a mapping like {categories: [customer, sponsor]}.", "status", "key_customer")
    check_fields(key, ("categories",), FILE, "status.key_customer")
    categories = key.get("categories")
    if not isinstance(categories, list) or not categories or not all(c in CATEGORIES for c in categories):
        problem = f"must be a non-empty list of workbook 1 categories ({', '.join(CATEGORIES)})."
        raise _error(problem, "status.key_customer", "categories")
    dissatisfied = _parse_rule(raw.get("dissatisfied"), "dissatisfied", scale, satisfaction)
    at_risk = _parse_rule(raw.get("at_risk"), "at_risk", scale, satisfaction)
    for field, milder, stricter in zip(_RULE_FIELDS, at_risk, dissatisfied, strict=True):
        if milder < stricter:
            raise _error(f"must be at least the dissatisfied figure ({stricter:g}).", "status.at_risk", field)
    return StatusRules(
        tuple(areas),
        tuple(categories),
        int(dissatisfied[0]),
        dissatisfied[1],
        int(at_risk[0]),
        at_risk[1],
        satisfaction,
    )


def _parse_rule(raw: Any, name: str, scale: tuple[int, int], satisfaction: tuple[int, int]) -> tuple[int, float]:
    item = f"status.{name}"
    if not isinstance(raw, dict):
        raise _error(
            "must be a mapping with satisfaction_at_or_below and top_weighted_gap_at_or_below.", "status", name
        )
    check_fields(raw, _RULE_FIELDS, FILE, item)
    score = _whole(raw, _RULE_FIELDS[0], item)
    low, high = satisfaction
    if not low <= score < high:
        raise _error(f"must be a satisfaction score from {low} to {high - 1}.", item, _RULE_FIELDS[0])
    gap = raw.get(_RULE_FIELDS[1])
    widest = scale[1] - scale[0]
    if not isinstance(gap, int | float) or isinstance(gap, bool) or not math.isfinite(gap) or not -widest <= gap <= 0:
        raise _error(f"must be a gap from {-widest} to 0 (perceived minus expected).", item, _RULE_FIELDS[1])
    return score, float(gap)


def _parse_guidance(raw: Any) -> Mapping[str, str]:
    if not isinstance(raw, dict):
        raise _error(f"must be a mapping with one sentence each for {', '.join(GUIDANCE_KEYS)}.", None, "guidance")
    check_fields(raw, GUIDANCE_KEYS, FILE, "guidance")
    return MappingProxyType({key: required_text(raw, key, FILE, "guidance") for key in GUIDANCE_KEYS})


def _entries(raw: Any, name: str) -> list[dict[str, Any]]:
    """A non-empty list of mappings, each entry named by its id (or position) when it is not one."""
    if not isinstance(raw, list) or not raw:
        raise _error("must be a non-empty list.", None, name)
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise _error("must be a mapping.", f"{name.rstrip('s')} {index}", None)
    return raw


def _label(entry: dict[str, Any], fallback: str) -> str:
    return entry["id"].strip() if isinstance(entry.get("id"), str) and entry["id"].strip() else fallback


def _whole(entry: dict[str, Any], field: str, label: str) -> int:
    value = entry.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error("must be a whole number.", label, field)
    return value


def _unique(values: Sequence[str], field: str) -> None:
    for value in values:
        if values.count(value) > 1:
            raise _error("appears more than once.", value, field)


def _error(problem: str, item: str | None, field: str | None) -> TemplateError:
    return TemplateError(problem, file=FILE, item=item, field=field)
