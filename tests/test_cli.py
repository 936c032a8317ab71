"""The ``mechtms`` command: output, exit codes, one-line errors (no traceback)."""

import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "mechtms", *args], capture_output=True, encoding="utf-8", timeout=120)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout


def test_protocols_table_lists_every_preset():
    from mechtms.protocols import presets

    r = run("protocols")
    assert r.returncode == 0
    for name in presets():
        assert name in r.stdout


def test_protocol_show():
    r = run("protocol", "show", "itbs_600")
    assert r.returncode == 0
    assert "191.840 s" in r.stdout and "600 scheduled" in r.stdout and "within published limits" in r.stdout
    assert "Huang" in r.stdout


def test_protocol_show_marks_assumptions():
    r = run("protocol", "show", "sci_15hz_mouse")
    assert r.returncode == 0 and "ASSUMED" in r.stdout and "28 session(s)" in r.stdout


@pytest.mark.parametrize("args, pattern", [
    (("protocol", "show", "itbs"), "unknown preset 'itbs'. Did you mean 'itbs_600'"),
    (("nonsense",), "No such command 'nonsense'"),
    (("protocol", "show"), "Missing argument 'NAME'"),
])
def test_bad_input_one_line_exit_2(args, pattern):
    r = run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0] and lines[0].startswith("mechtms: error:")
    assert "Traceback" not in r.stderr
