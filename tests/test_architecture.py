"""The shape of the code: apps depend one way (organisations ← areas ← activities, with
handlingsplan/ on top), no import cycle between modules of an app, the status vocabulary in one
module, and no function longer than 50 lines."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["organisations", "areas", "activities", "handlingsplan"]
# Which top-level packages each may import (besides itself, Django and third-party code).
ALLOWED = {
    "organisations": set(),
    "areas": {"organisations"},
    "activities": {"organisations", "areas"},
    "handlingsplan": {"organisations", "areas", "activities"},
}


def python_files(package, *, migrations=True):
    for path in sorted((ROOT / package).rglob("*.py")):
        if migrations or "migrations" not in path.parts:
            yield path


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path):
    """Every module `path` imports, at any depth of the file (imports inside functions too),
    with relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            yield module
            # "from . import db" imports the module db.
            yield from (f"{module}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_the_apps_below_them(app):
    offending = []
    for path in python_files(app):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in APPS and top != app and top not in ALLOWED[app]:
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offending == []


def _module_graph(app):
    known = {module_name(p): p for p in python_files(app, migrations=False)}
    return {
        name: {m for m in imported_modules(path) if m in known and m != name}
        for name, path in known.items()
    }


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_between_modules_of_an_app(app):
    assert _cycles(_module_graph(app)) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Every Python file of the app that is neither a migration nor a test: the apps, the benchmark
# and the files at the top (manage.py, gunicorn.conf.py).
CODE = [*APPS, "bench"]
MAX_FUNCTION_LINES = 50


def code_files():
    yield from sorted(ROOT.glob("*.py"))
    for package in CODE:
        yield from python_files(package, migrations=False)


def functions(tree, prefix=""):
    """(qualified name, node) of every def and async def in `tree`, methods and nested functions
    included: `Class.method`, `outer.inner`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from functions(node, f"{name}.")
        else:
            yield from functions(node, prefix)


def long_functions(source):
    """The qualified names of the functions in `source` over MAX_FUNCTION_LINES lines, from the
    `def` line to the last (docstring and comments included, decorators not)."""
    for name, node in functions(ast.parse(source)):
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
            yield name


def test_no_function_is_over_50_lines():
    too_long = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in code_files()
        for name in long_functions(path.read_text())
    }
    assert sorted(too_long) == []


def test_the_length_check_sees_methods_nested_and_async_functions():
    def lines(n, indent):
        return "".join(f"{' ' * indent}x = {i}\n" for i in range(n))

    source = (
        "class A:\n"
        "    @property\n"
        f"    def fits(self):\n{lines(MAX_FUNCTION_LINES - 1, 8)}"
        f"    async def long(self):\n{lines(MAX_FUNCTION_LINES, 8)}"
        "def outer():\n"
        f"    def inner():\n{lines(MAX_FUNCTION_LINES, 8)}"
        "    return inner\n"
    )
    assert list(long_functions(source)) == ["A.long", "outer", "outer.inner"]


STATUS_KEYS = ["not_started", "on_track", "at_risk", "delayed", "completed", "cancelled"]


def test_the_statuses_are_listed_in_one_module_only():
    """No other file spells out the statuses: a file naming three or more of the stored keys,
    or of their Swedish labels, is keeping a list of its own."""
    from activities.models import Status

    labels = [str(label) for label in Status.swedish_labels(reportable_only=True).values()]
    assert len(labels) == len(STATUS_KEYS)
    vocabulary = ROOT / "activities" / "models" / "status.py"
    sources = [p for app in APPS for p in python_files(app, migrations=False)]
    sources += sorted((ROOT / "templates").rglob("*.html"))
    sources += sorted((ROOT / "templates").rglob("*.txt"))
    lists = []
    for path in sources:
        if path == vocabulary:
            continue
        text = path.read_text()
        keys = [k for k in STATUS_KEYS if re.search(rf"\b{k}\b", text)]
        named = [label for label in labels if label in text]
        if len(keys) >= 3 or len(named) >= 3:
            lists.append(f"{path.relative_to(ROOT)}: {keys or named}")
    assert lists == []
    assert Status.reportable_values() == STATUS_KEYS
