"""The import contracts hold, and the cross-app cycle check is not void: it finds a cycle made
only of function-local imports, and leaves cycles inside one app alone."""

import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

from tools.import_contracts import cross_app_cycles, shortest_cycle_through

ROOT = Path(__file__).resolve().parents[2]


def _package(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))


def _cycles(root: Path, monkeypatch, package: str) -> list[list[str]]:
    monkeypatch.syspath_prepend(str(root))
    graph = grimp.build_graph(package, cache_dir=None)
    modules = set(graph.modules)
    successors = {m: graph.find_modules_directly_imported_by(m) for m in modules}
    return cross_app_cycles(modules, successors, depth=2)


def test_a_cycle_of_function_local_imports_between_two_apps_is_found(tmp_path, monkeypatch):
    _package(
        tmp_path,
        {
            "fake_a/__init__.py": "",
            "fake_a/low/__init__.py": "",
            "fake_a/low/services.py": """
                def suspend():
                    from fake_a.high.services import cascade  # tucked away to dodge
                    cascade()
            """,
            "fake_a/high/__init__.py": "",
            "fake_a/high/services.py": """
                from fake_a.low.services import suspend

                def cascade():
                    return suspend
            """,
        },
    )
    cycles = _cycles(tmp_path, monkeypatch, "fake_a")
    assert cycles == [["fake_a.high.services", "fake_a.low.services"]]


def test_a_cycle_inside_one_app_is_its_own_business(tmp_path, monkeypatch):
    _package(
        tmp_path,
        {
            "fake_b/__init__.py": "",
            "fake_b/one/__init__.py": "",
            "fake_b/one/views.py": "from fake_b.one import forms\n",
            "fake_b/one/forms.py": "def f():\n    from fake_b.one import views\n",
            "fake_b/two/__init__.py": "",
            "fake_b/two/views.py": "from fake_b.one import forms\n",
        },
    )
    assert _cycles(tmp_path, monkeypatch, "fake_b") == []


def test_the_example_cycle_closes_on_itself():
    successors = {"a.x.m": {"a.y.m"}, "a.y.m": {"a.z.m"}, "a.z.m": {"a.x.m"}}
    [component] = cross_app_cycles(successors, successors, depth=2)
    assert shortest_cycle_through(component, successors) == ["a.x.m", "a.y.m", "a.z.m", "a.x.m"]


@pytest.mark.slow
def test_lint_imports_keeps_every_contract():
    """`make test` runs lint-imports before pytest; this proves the same on its own, and that
    no contract is left unchecked."""
    run = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout
