"""The running extractor is apart from research: building and running it imports no training code."""

from __future__ import annotations

import json
import subprocess
import sys

from kg.config import PROJECT_ROOT

# Modules that only training, benchmark corpora or evaluation need.
RESEARCH = ("extract.training", "extract.corpora", "extract.relations_fit", "extract.relations_cli",
            "extract.evaluate", "torch", "transformers", "sklearn")

PROBE = """
import json, sys
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
    loaded = [m for m in seen["modules"] if any(m == r or m.startswith(r + ".") for r in RESEARCH)]
    assert loaded == []
    assert seen["mentions"] > 0  # the probe really ran the pipeline
