"""STYLE.md §12: type hints, where used, are checked — mypy over the whole package."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "mechtms"], cwd=ROOT,
                       capture_output=True, encoding="utf-8", timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
