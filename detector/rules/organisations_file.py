"""Reading ``organisations.toml``: each organisation's table checked (ids, lower-case aliases
and domains, known keys, a source), the registry built and cached.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from detector.rules.organisations import (
    DEFAULT_ORG_PATH,
    KINDS,
    Organisation,
    OrganisationError,
    OrganisationRegistry,
)
from detector.rules.tables import toml_tables

#: The keys an [[organisation]] table may have.
KEYS = {"id", "name", "kind", "aliases", "context_aliases", "domains", "portals", "source"}
HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
ORG_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _strs(org_id: str, key: str, value: Any, *, lower: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise OrganisationError(f"organisation {org_id!r}: {key!r} must be a list of strings")
    if lower and any(v != v.lower() or v != v.strip() for v in value):
        raise OrganisationError(f"organisation {org_id!r}: {key!r} must be lower-case, trimmed")
    if len(set(value)) != len(value):
        raise OrganisationError(f"organisation {org_id!r}: {key!r} has duplicates")
    return tuple(value)


def _build(table: Any, position: int) -> Organisation:
    if not isinstance(table, dict):
        raise OrganisationError(f"organisation #{position}: each [[organisation]] must be a table")
    org_id = table.get("id")
    if not isinstance(org_id, str) or not ORG_ID.match(org_id):
        raise OrganisationError(f"organisation #{position}: 'id' must be a lower-case identifier")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise OrganisationError(f"organisation {org_id!r}: unknown key(s) {', '.join(unknown)}")
    for key in ("name", "kind", "source"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise OrganisationError(f"organisation {org_id!r}: {key!r} must be a non-empty string")
    if table["kind"] not in KINDS:
        raise OrganisationError(f"organisation {org_id!r}: kind must be one of {KINDS}")
    if "http" not in table["source"]:
        raise OrganisationError(f"organisation {org_id!r}: 'source' must give the official URL")
    aliases = _strs(org_id, "aliases", table.get("aliases", []))
    context = _strs(org_id, "context_aliases", table.get("context_aliases", []))
    if not aliases and not context:
        raise OrganisationError(f"organisation {org_id!r}: needs at least one alias")
    for a in aliases + context:
        if len(a) < 3:
            raise OrganisationError(f"organisation {org_id!r}: alias {a!r} is too short")
    domains = _strs(org_id, "domains", table.get("domains", []))
    portals = _strs(org_id, "portals", table.get("portals", []))
    if not domains:
        raise OrganisationError(f"organisation {org_id!r}: needs at least one official domain")
    for host in domains + portals:
        if not HOST.match(host):
            raise OrganisationError(f"organisation {org_id!r}: {host!r} is not a host name")
    org = Organisation(
        id=org_id,
        name=table["name"].strip(),
        kind=table["kind"],
        aliases=aliases,
        context_aliases=context,
        domains=domains,
        portals=portals,
        source=table["source"].strip(),
    )
    for p in portals:
        if not org.is_official_host(p):
            raise OrganisationError(
                f"organisation {org_id!r}: portal {p!r} is not under its domains"
            )
    return org


def organisations_from_toml(data: bytes, *, path: Path | None = None) -> OrganisationRegistry:
    """Build and validate an organisation registry from TOML bytes.

    Raises
    ------
    OrganisationError
        Naming the offending entry (missing domain or source, malformed host, alias used by
        two organisations, duplicate id, unknown key).
    """
    tables = toml_tables(data, path, "organisation", OrganisationError)
    orgs = [_build(t, i) for i, t in enumerate(tables, 1)]
    ids: set[str] = set()
    owner: dict[str, str] = {}
    for o in orgs:
        if o.id in ids:
            raise OrganisationError(f"organisation {o.id!r}: duplicate id")
        ids.add(o.id)
        for a in o.aliases + o.context_aliases:
            if a in owner:
                raise OrganisationError(
                    f"organisation {o.id!r}: alias {a!r} is already used by {owner[a]!r}"
                )
            owner[a] = o.id
    return OrganisationRegistry(orgs, hashlib.sha256(data).hexdigest(), path)


@lru_cache(maxsize=1)
def _default() -> OrganisationRegistry:
    return organisations_from_toml(DEFAULT_ORG_PATH.read_bytes(), path=DEFAULT_ORG_PATH)


def load_organisations(path: str | Path | None = None) -> OrganisationRegistry:
    """Load and validate the organisation registry (default: the shipped file, cached)."""
    if path is None:
        return _default()
    p = Path(path)
    return organisations_from_toml(p.read_bytes(), path=p)
