"""A source's mapping: how its items become listings of our kinds, topics, audiences,
government levels and regions. Set on the source by staff; checked when they save it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cities.models import Bureau
from opportunities.models import Audience, GovernmentLevel, Kind, SourceKind, Topic

KEYS = {"kind", "topics", "audiences", "government_levels", "regions", "sponsor", "rules"}
RULE_KEYS = {"match", "kind", "topics", "audiences", "government_levels", "regions"}


@dataclass
class Mapped:
    kind: str
    topics: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    government_levels: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


def default_kind(source_kind: str) -> str:
    return Kind.FUNDING if source_kind == SourceKind.GRANTS_GOV else Kind.EVENT


def apply(mapping: dict, source_kind: str, labels: str) -> Mapped:
    """The mapping for one item: the source's defaults, then every rule whose word appears in
    the item's title or categories (case does not matter)."""
    result = Mapped(
        kind=mapping.get("kind") or default_kind(source_kind),
        topics=list(mapping.get("topics") or []),
        audiences=list(mapping.get("audiences") or []),
        government_levels=list(mapping.get("government_levels") or []),
        regions=list(mapping.get("regions") or []),
    )
    lowered = labels.lower()
    for rule in mapping.get("rules") or []:
        word = str(rule.get("match") or "").lower()
        if not word or word not in lowered:
            continue
        result.kind = rule.get("kind") or result.kind
        for name in ("topics", "audiences", "government_levels", "regions"):
            for value in rule.get(name) or []:
                if value not in getattr(result, name):
                    getattr(result, name).append(value)
    return result


def problems(mapping: dict) -> list[str]:
    """What is wrong with a mapping, in words for staff; empty when it is fine."""
    if not isinstance(mapping, dict):
        return ['The mapping must be an object, like {"kind": "funding"}.']
    found = [f"Unknown key “{key}”." for key in mapping if key not in KEYS]
    rules = mapping.get("rules") or []
    if not isinstance(rules, list):
        return [*found, "“rules” must be a list."]
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or not rule.get("match"):
            found.append(f"Rule {number} needs a word to “match”.")
            continue
        found += [f"Rule {number}: unknown key “{key}”." for key in rule if key not in RULE_KEYS]
    topics = set(Topic.objects.values_list("slug", flat=True))
    bureaus = set(Bureau.objects.values_list("code", flat=True))
    allowed = {
        "topics": topics,
        "audiences": set(Audience.values),
        "government_levels": set(GovernmentLevel.values),
        "regions": bureaus,
    }
    for where, part in [("", mapping)] + [(f"Rule {n}: ", r) for n, r in enumerate(rules, 1)]:
        if not isinstance(part, dict):
            continue
        kind = part.get("kind")
        if kind and kind not in Kind.values:
            found.append(f"{where}unknown kind “{kind}”; use one of {', '.join(Kind.values)}.")
        for name, values in allowed.items():
            given = part.get(name) or []
            if not isinstance(given, list):
                found.append(f"{where}“{name}” must be a list.")
                continue
            found += [f"{where}unknown {name[:-1]} “{v}”." for v in given if v not in values]
    return found
