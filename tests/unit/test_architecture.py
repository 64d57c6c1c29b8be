"""The shape of the code: the core imports no adapter outside the composition root, and no
module imports itself through others (function-level imports count: they hide a circle, they
do not remove it; imports only for type checkers do not run, and do not count)."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSITION_ROOT = "gateway.cli"
"""The one core module that imports ``adapters`` (it hands the registry to the rest)."""


def modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the core and the adapters: name -> (file, is a package)."""
    found = {}
    for top in ("gateway", "adapters"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:  # alembic loads them by path, never by import
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


MODULES = modules()


def imported(name: str, *, type_checking: bool) -> Iterator[tuple[int, str]]:
    """(line, module) of each import in module ``name``, wherever it stands; with
    ``type_checking``, also those under ``if TYPE_CHECKING:``."""
    path, package = MODULES[name]
    here = name if package else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            guarded = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            )
            if guarded and not type_checking:
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.extend((node.lineno, alias.name) for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:  # ``from package import module`` imports the module
                sub = f"{module}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else module))

    Imports().visit(ast.parse(path.read_text(encoding="utf-8")))
    return iter(found)


def dependencies(name: str) -> set[str]:
    """The modules importing ``name`` runs: each imported module and its packages, but not
    the packages of ``name`` itself (they are imported before it)."""
    runs = set()
    for _, module in imported(name, type_checking=False):
        parts = module.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if candidate in MODULES and candidate != name and not name.startswith(candidate + "."):
                runs.add(candidate)
    return runs


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_core_imports_no_adapter_outside_the_composition_root() -> None:
    offences = [
        f"{MODULES[name][0].relative_to(ROOT)}:{line}: imports {module}"
        for name in sorted(MODULES)
        if name.startswith("gateway") and name != COMPOSITION_ROOT
        for line, module in imported(name, type_checking=True)
        if module == "adapters" or module.startswith("adapters.")
    ]
    assert not offences, "\n".join(offences)


def test_no_module_imports_itself_through_others() -> None:
    graph = {name: dependencies(name) for name in MODULES}
    assert not circles(graph), "\n".join(" -> ".join(c) for c in circles(graph))


def test_a_circle_is_found_when_there_is_one() -> None:
    """The check itself: a circle of three, hidden behind a module that is in none."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert circles(graph) == [["a", "b", "c"]]


def test_every_deliberate_error_is_in_the_one_tree() -> None:
    """Every exception class the core and the adapters define derives from
    :class:`gateway.errors.GatewayError` (the tree in gateway/errors.py's docstring)."""
    from gateway.errors import GatewayError

    outside = []
    for name in sorted(MODULES):
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and not issubclass(value, GatewayError)
            ):
                outside.append(f"{name}.{attribute}")
    assert not outside, outside
