"""The shape of the test suite (docs: STYLE.md, "Tests"): a test module never imports another
test module (shared helpers live in tests/factories.py, tests/workbooks.py, tests/actions.py
…), and the personas and their signed-in clients are fixtures of tests/conftest.py only."""

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))

# A persona (a user of a given kind) or a client signed in as one.
PERSONA = re.compile(
    r"^(viewer|coordinator|reporter(_\w+)?|superuser|admin(_user)?|anonymous(_user)?)$"
)


def imported_test_modules(source):
    """The modules of tests/ named test_* (or conftest) that `source` imports, however
    spelled: `from tests.test_x import y`, `from tests import test_x`, `import tests.test_x`,
    `from .test_x import y`, `from . import test_x`, also inside a function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            in_tests = module == "tests" or (node.level and not module)
            names = [module] + ([f"tests.{alias.name}" for alias in node.names] if in_tests else [])
            if node.level and module:
                names.append(f"tests.{module}")
        else:
            continue
        for name in names:
            last = name.rsplit(".", 1)[-1]
            if name.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                found.append(name)
    return found


def fixtures(source):
    """The names of the functions decorated as pytest fixtures in `source`."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ast.unparse(target) in ("pytest.fixture", "fixture"):
                names.append(node.name)
    return names


def persona_fixtures(source):
    return [name for name in fixtures(source) if PERSONA.match(name) or name.endswith("_client")]


def test_no_test_module_imports_another_test_module():
    offending = {
        path.name: imported
        for path in TEST_MODULES
        if (imported := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offending == {}


def test_the_import_check_sees_every_spelling():
    for source in [
        "from tests.test_excel_import import upload",
        "from tests import factories, test_reporting",
        "import tests.test_reporting",
        "from .test_reporting import post",
        "from . import test_reporting",
        "from tests.conftest import REAL_PLAN",
        "def f():\n    from tests.test_reporting import post",
    ]:
        assert imported_test_modules(source), source
    assert (
        imported_test_modules("from tests import factories\nfrom tests.workbooks import fill") == []
    )


def test_persona_fixtures_are_defined_only_in_conftest():
    offending = {
        path.name: names
        for path in TEST_MODULES
        if (names := persona_fixtures(path.read_text(encoding="utf-8")))
    }
    assert offending == {}
    in_conftest = set(persona_fixtures((TESTS / "conftest.py").read_text(encoding="utf-8")))
    assert {
        "viewer",
        "coordinator",
        "reporter_sbf",
        "reporter_mf",
        "reporter_smf",
        "viewer_client",
        "coordinator_client",
        "sbf_client",
    } <= in_conftest


def test_the_persona_check_sees_a_persona_client_defined_in_a_test_module():
    source = (
        "import pytest\n\n"
        "@pytest.fixture\ndef sbf_client(client, reporter_sbf):\n    return client\n\n"
        "@pytest.fixture(scope='module')\ndef reporter_ink(plan):\n    return None\n\n"
        "@pytest.fixture\ndef round_t2(plan):\n    return None\n"
    )
    assert persona_fixtures(source) == ["sbf_client", "reporter_ink"]
