"""The running extractor is apart from research: building and running it imports no training code."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from kg.config import PROJECT_ROOT

# Training, benchmark corpora and evaluation all live under extract.training; the libraries only they use.
RESEARCH = ("extract.training", "torch", "transformers", "sklearn")

# The libraries are blocked rather than looked for among the loaded modules: where the training extras are
# installed, thinc imports torch by itself when spaCy starts; blocked, any import of ours would fail the probe.
PROBE = """
import json, sys
for name in ("torch", "transformers", "sklearn"):
    sys.modules[name] = None  # import now raises ImportError
from extract import Extractor
from kg.model import Paper
ex = Extractor()
out = ex.extract(Paper(key="p", title="FastNet: Fast Image Classification",
                       abstract="We propose FastNet. FastNet reaches 81.2% top-1 accuracy on ImageNet."))
print(json.dumps({"modules": sorted(sys.modules), "mentions": len(out.mentions)}))
"""


def test_constructing_and_running_the_extractor_imports_no_training_module():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True, env={"PATH": "", "PYTHONPATH": str(PROJECT_ROOT)})
    seen = json.loads(done.stdout.splitlines()[-1])
    loaded = [m for m in seen["modules"] if any(m == r or m.startswith(r + ".") for r in RESEARCH)
              and m not in ("torch", "transformers", "sklearn")]  # the blocked names themselves
    assert loaded == []
    assert "extract.components.relations" in seen["modules"]  # the whole pipeline was built
    assert seen["mentions"] > 0  # the probe really ran the pipeline


def _imported(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_runtime_module_names_training_code_even_lazily():
    """The probe above only walks the paths one paper takes; this reads every import of the runtime's modules."""
    root = PROJECT_ROOT / "extract"
    crossing = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] == "training":
            continue
        bad = sorted(n for n in _imported(path) if n == "extract.training" or n.startswith("extract.training."))
        if bad:
            crossing[str(rel)] = bad
    assert crossing == {}
