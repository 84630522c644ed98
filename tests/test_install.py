"""Reproducible installs: bounded dependencies, a constraints file, and a model within them."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
#: What the manifest calls a library -> its distribution name.
MANIFEST_NAMES = {
    "scikit-learn": "scikit-learn",
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
}


def _requirements() -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def _pins() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    for name, req in _requirements().items():
        assert any(s.operator in ("<", "<=", "~=", "==") for s in req.specifier), name


def test_the_constraints_pin_every_dependency_within_its_bounds() -> None:
    pins = _pins()
    for name, req in _requirements().items():
        key = re.sub(r"[-_.]+", "-", name)
        assert key in pins, f"{name} is not pinned in {CONSTRAINTS.name}"
        assert Version(pins[key]) in req.specifier, (name, pins[key], str(req.specifier))


def test_the_shipped_model_was_built_within_the_bounds() -> None:
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    reqs = _requirements()
    for key, dist in MANIFEST_NAMES.items():
        version = manifest["libraries"][key]
        assert Version(version) in reqs[dist].specifier, (dist, version)


def test_ci_and_the_readme_install_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-c .ci/constraints.txt" in readme
    assert "-c .ci/constraints.txt" in ci
