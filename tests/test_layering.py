"""The package's layering, checked on its source (an AST walk of every import).

The flow is normalise -> extract -> rules -> model -> verdict -> outputs, and the folders
follow it. A module may import only its own layer or the ones below; no two packages import
each other; no module imports another module's private (``_name``) names or reaches into a
library's private attributes; a module over 400 lines says why at its top. See the
docstring of each package's ``__init__`` for what it owns.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "detector"

#: Top-level parts of ``detector`` by layer, lowest first. A part may import its own layer
#: and the layers below it; never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("schema", "i18n", "paths", "columns", "rows"),
    ("text",),
    ("rules",),
    ("model",),
    ("core", "network"),
    ("batch", "training"),
    ("front",),
)
LAYER_OF = {part: i for i, parts in enumerate(LAYERS) for part in parts}
#: Longest module (in lines) that needs no written reason.
MAX_LINES = 400
#: What a long module's docstring must say, followed by its reason.
LONG_REASON = "Long because"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import, lazy ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            names = [a.name for a in node.names]
            # ``from pkg import submodule`` imports the submodule.
            subs = [n for n in names if f"{mod}.{n}" in MODULES]
            if subs:
                out.extend((f"{mod}.{n}", [], node.lineno) for n in subs)
                names = [n for n in names if n not in subs]
            if names or not subs:
                out.append((mod, names, node.lineno))
    return out


def _part(module: str) -> str | None:
    """The top-level part of ``detector`` a module belongs to (None for the root itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "detector" else None


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(m) for m in MODULES} - {None, "__main__"}
    assert parts <= set(LAYER_OF), f"give these a layer: {sorted(parts - set(LAYER_OF))}"


def test_no_module_imports_a_layer_above_it_or_the_package_root() -> None:
    bad = []
    for name, path in MODULES.items():
        here = _part(name)
        if here in (None, "__main__"):
            continue
        for mod, _, line in _imports(name, path):
            if mod == "detector":
                bad.append(f"{name}:{line} imports the package root (import from the module)")
                continue
            there = _part(mod)
            if there is None or there == here or mod.split(".")[0] != "detector":
                continue
            if LAYER_OF[there] > LAYER_OF[here]:
                bad.append(f"{name}:{line} ({here}, layer {LAYER_OF[here]}) imports {mod} "
                           f"({there}, layer {LAYER_OF[there]})")  # fmt: skip
    assert not bad, "\n".join(bad)


def test_no_two_parts_import_each_other() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        here = _part(name)
        for mod, _, _ in _imports(name, path):
            there = _part(mod)
            if here and there and here != there and mod.startswith("detector."):
                edges[here].add(there)

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = {tuple(c) for p in list(edges) if (c := cycle_from(p))}
    assert not cycles, f"import circles between parts: {sorted(cycles)}"


def test_no_module_imports_another_modules_private_names() -> None:
    bad = []
    for name, path in MODULES.items():
        for mod, names, line in _imports(name, path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                bad.append(f"{name}:{line} imports {', '.join(private)} from {mod}")
            if any(p.startswith("_") and not p.startswith("__") for p in mod.split(".")):
                bad.append(f"{name}:{line} imports the private module {mod}")
    assert not bad, "\n".join(bad)


def test_no_module_reaches_into_a_librarys_private_attributes() -> None:
    """``re2._Regexp``, ``langid.MODEL_FILE`` style access ties us to a library's insides."""
    bad = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        libs: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                libs.update((a.asname or a.name).split(".")[0] for a in node.names
                            if not a.name.startswith("detector"))  # fmt: skip
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in libs
                and node.value.id not in sys.stdlib_module_names
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_long_module_says_why_at_its_top(name: str) -> None:
    path = MODULES[name]
    source = path.read_text(encoding="utf-8")
    lines = source.count("\n")
    if lines <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(source)) or ""
    assert LONG_REASON in doc, (
        f"{path.relative_to(PACKAGE.parent)} has {lines} lines (over {MAX_LINES}); split it, "
        f"or say '{LONG_REASON} ...' in its docstring"
    )


def test_every_package_says_what_it_owns_and_may_import() -> None:
    for path in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert "Owns" in doc or path.parent == PACKAGE, f"{path}: say what the package owns"
        assert "import" in doc.lower() or path.parent == PACKAGE, f"{path}: say what it may import"
