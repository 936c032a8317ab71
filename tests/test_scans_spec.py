"""A scan whose spec is invalid is refused before it starts (one line, exit 2 on the CLI); a
valid store is never touched by a refused rerun. Closed forms: tests/data/models/closed_forms.ant."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import mechtms as mt
from mechtms import protocols
from mechtms.scans import CourseTarget, ModelTarget, check_space, make_space, open_scan
from mechtms.scans._targets import parse_readouts

closed_forms = pytest.mark.usefixtures("closed_form_models")  # tests/conftest.py


def course_target(days=3):
    return ModelTarget("closed_forms", course=protocols.course(protocols.rtms(1, 60, 90), days=days, start_day=0))


def scan(*args, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("engine", "serial")
    return mt.scan(*args, **kw)


@pytest.mark.parametrize("space, match", [
    ({"frequency_hz": [1.0, -1.0]}, r"point 1 \(frequency_hz=-1\) is invalid: frequency_hz must be > 0, got -1"),
    ({"intensity_rmt": [100, 300]}, r"point 1 \(intensity_rmt=300\) is invalid: intensity \(% RMT\) must be <= 250"),
    ({"pulses": [60, 0]}, r"point 1 \(pulses=0\) is invalid: pulses must be >= 1"),
    ({"dose": [1.0, -2.0]}, r"point 1 \(dose=-2\) is invalid: dose must be >= 0"),
    ({"k": [0.1, 0.2], "frequency_hz": [1.0, 2000.0]}, r"point 1 \(frequency_hz=2000\) is invalid"),
])
@closed_forms
def test_invalid_point_refuses_the_scan_and_creates_no_store(tmp_path, space, match):
    store = tmp_path / "s.zarr"
    with pytest.raises(ValueError, match=r"scan refused before it started: " + match):
        scan(course_target(), space, store=store, readouts=["signal"])
    assert not store.exists()


@closed_forms
def test_readout_outside_the_run_is_refused():
    with pytest.raises(ValueError, match=r"read-out 'signal@day=9' asks for day=9, outside the run"):
        scan(course_target(days=3), {"frequency_hz": [1.0]}, readouts=["signal@day=9"])


def test_unknown_chain_readout_and_condition_are_refused_without_running():
    """CourseTarget checks are pure: nothing of the chain (network, models) runs."""
    target = CourseTarget(protocols.course(protocols.rtms(1, 60, 90), days=2, start_day=0), condition="sci")
    with pytest.raises(ValueError, match=r"unknown read-out variable of the chain \(sci\) 'BSM'.*Did you mean 'BMS'"):
        scan(target, {"frequency_hz": [1.0]}, readouts=["BSM"])
    with pytest.raises(ValueError, match=r"point 0 \(condition=scii\) is invalid: unknown condition 'scii'"):
        scan(target, {"condition": ["scii", "sci"]}, readouts=["BMS"])


def test_bad_training_axes_are_refused_without_running():
    target = CourseTarget(protocols.course(protocols.rtms(1, 60, 90), days=2, start_day=0), condition="healthy")
    with pytest.raises(ValueError, match=r"point 0 \(training_start_h=-1\) is invalid: start_h must be >= 0"):
        scan(target, {"training_start_h": [-1.0, 0.5]}, readouts=["W"])
    with pytest.raises(KeyError, match="unknown axis of a course scan 'training_start'. Did you mean 'training_start_h'"):
        scan(target, {"training_start": [0.5]}, readouts=["W"])


@closed_forms
def test_only_distinct_protocol_combinations_are_checked():
    """A 3000-point grid over a model parameter and 3 intensities needs 3 protocol checks."""
    space = make_space({"k": list(np.linspace(0.1, 1.0, 1000)), "intensity_rmt": [80, 100, 120]})
    assert check_space(course_target(), space, parse_readouts(["signal"])) == 3
    assert check_space(ModelTarget("closed_forms", t_end=1), make_space({"k": [0.1, 0.2]}),
                       parse_readouts(["X"])) == 1


@closed_forms
def test_refused_rerun_keeps_the_finished_store(tmp_path):
    """A scan never loses finished results: an invalid rerun on the same store is refused before the
    store is opened, and the valid scan then resumes with nothing to do."""
    store = tmp_path / "s.zarr"
    first = scan(course_target(), {"frequency_hz": [1.0, 2.0]}, store=store, readouts=["max(signal)"])
    assert (first.status == 1).all()
    with pytest.raises(ValueError, match="scan refused before it started"):
        scan(course_target(), {"frequency_hz": [1.0, -2.0]}, store=store, readouts=["max(signal)"])
    kept = open_scan(store)
    assert (kept.status == 1).all()
    np.testing.assert_array_equal(kept["max(signal)"].values, first["max(signal)"].values)


SPEC = """
readouts = ["max(signal)"]
store = "spec.zarr"
engine = "serial"
[target]
model = "closed_forms"
[space]
k = [0.1, 0.5]
"""


def test_cli_refuses_an_invalid_spec_with_one_line_and_exit_2(tmp_path, closed_form_models):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace("[space]", "course = \"sham\"\n[space]\nintensity_rmt = [90, 400]"))
    r = subprocess.run([sys.executable, "-m", "mechtms", "scan", str(spec)], capture_output=True, text=True,
                       timeout=120, env={**__import__("os").environ, "MECHTMS_MODELS_DIR": str(closed_form_models)})
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "scan refused before it started: point 2 (intensity_rmt=400) is invalid" in lines[0]
    assert not (tmp_path / "spec.zarr").exists()
