"""The layout holds: packages import only what their stage may, modules stay small, the docs match the tree."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.config import PROJECT_ROOT

ROOT = PROJECT_ROOT
# kg's core: the modules at the top of the package, which every stage may import.
CORE = {"kg.config", "kg.errors", "kg.http", "kg.iri", "kg.model", "kg.vocab"}
# What each stage of kg may import besides the core (docs/architecture.md, "Dependency rules").
STAGES = {
    "kg.ingest": set(),
    "kg.store": set(),
    "kg.query": {"kg.store"},
    "kg.read": {"kg.store"},
    "kg.graph": {"kg.ingest", "kg.store", "kg.read"},
    "kg.serve": {"kg.query", "kg.store", "kg.read"},
    "kg.export": {"kg.query", "kg.read", "kg.store"},
}
# The one crossing from kg into the NLP layer: the build orchestration wires in the extractor.
EXTRACTOR_CROSSING = "kg/graph/orchestrate.py"
MAX_LINES = 400


def _sources(*folders: str) -> list[Path]:
    files = [p for f in folders for p in (ROOT / f).rglob("*.py") if ".venv" not in p.parts]
    return sorted(files)


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (lazy imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # "from kg import iri" imports kg.iri
            found.update(f"{node.module}.{a.name}" for a in node.names if node.module in {"kg", "extract"})
    return found


def _unit(module: str) -> str:
    """The stage a kg module belongs to (``kg.graph``), or the module itself for the core."""
    parts = module.split(".")
    if parts[0] == "kg" and len(parts) > 2:
        return ".".join(parts[:2])
    return module


def test_only_the_build_orchestration_imports_the_extractor():
    crossing = [str(p.relative_to(ROOT)) for p in _sources("kg")
                if any(m == "extract" or m.startswith("extract.") for m in _imports(p))]
    assert crossing == [EXTRACTOR_CROSSING]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_imports_only_the_core_and_the_stages_below(stage):
    allowed = CORE | STAGES[stage] | {stage, "kg"}
    wrong = []
    for path in _sources(stage.replace(".", "/")):
        for m in _imports(path):
            if m.startswith("kg.") and _unit(m) not in allowed and m not in allowed:
                wrong.append(f"{path.relative_to(ROOT)} imports {m}")
    assert wrong == []


def test_the_core_imports_no_stage():
    wrong = []
    for path in sorted((ROOT / "kg").glob("*.py")):
        if path.name in {"cli.py", "__main__.py"}:  # the verbs dispatch to every stage
            continue
        wrong += [f"{path.name} imports {m}" for m in _imports(path) if m.startswith("kg.") and m not in CORE]
    assert wrong == []
    # the domain model is the bottom layer: the standard library only
    model = _imports(ROOT / "kg" / "model.py")
    assert {m.split(".")[0] for m in model} <= set(sys.stdlib_module_names) | {"__future__"}


def test_the_nlp_layer_imports_only_kg_core():
    wrong = []
    for path in _sources("extract"):
        if "training" in path.relative_to(ROOT).parts:
            continue
        # the run verb reads input files with kg's readers
        allowed = CORE | ({"kg.ingest.readers"} if path.name == "cli.py" else set())
        wrong += [f"{path.relative_to(ROOT)} imports {m}" for m in _imports(path)
                  if m.startswith("kg.") and m not in allowed]
    assert wrong == []


def test_no_module_is_over_the_limit():
    over = [f"{p.relative_to(ROOT)}: {n} lines" for p in _sources("kg", "extract", "tests", "bench", "app_pages")
            + [ROOT / "app.py"] if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert over == []


def _packages(depth: int = 9) -> list[str]:
    """Package folders under kg/ and extract/ (``depth``: at most this many folders deep, counting kg/)."""
    return sorted(str(p.parent.relative_to(ROOT)) for p in _sources("kg", "extract")
                  if p.name == "__init__.py" and len(p.relative_to(ROOT).parts) <= depth + 1)


def test_every_package_says_what_it_holds_and_may_import():
    for pkg in _packages():
        doc = ast.get_docstring(ast.parse((ROOT / pkg / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower(), f"{pkg}/__init__.py: say what the package holds and what it may import"


def test_readme_layout_and_architecture_page_match_the_tree():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([^`]+)` \|", layout, flags=re.M)
    assert listed, "README.md: the Layout section has no table"
    missing = [p for p in listed if not (ROOT / p.rstrip("/")).exists()]
    assert missing == [], f"README.md's layout lists paths that do not exist: {missing}"
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for pkg in _packages(depth=2):  # deeper packages are described in their parent's row
        assert f"`{pkg}/`" in layout, f"README.md's layout table has no row for {pkg}/"
        assert pkg in architecture, f"docs/architecture.md does not mention {pkg}"


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_tests_mirror_the_packages():
    """tests/kg/read/ tests kg/read/, and so on; tests/app/ the dashboard; tests/ itself the whole path."""
    wrong = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        folder = path.parent.relative_to(ROOT / "tests")
        if folder.parts in ((), ("app",)):
            continue
        if not (ROOT / folder / "__init__.py").exists():
            wrong.append(f"{path.relative_to(ROOT)}: no package {folder}/ to mirror")
    assert wrong == []
