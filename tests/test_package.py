"""Package-level facts: fast import, lazy heavy libraries, public names."""

import subprocess
import sys


def test_import_is_light():
    code = ("import sys, mechtms, mechtms.protocols;"
            "heavy = [m for m in ('numba', 'roadrunner', 'xarray', 'dask', 'tellurium', 'matplotlib') if m in sys.modules];"
            "print(','.join(heavy))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "", f"heavy modules imported by 'import mechtms': {r.stdout}"


def test_unknown_attribute():
    import pytest

    import mechtms

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mechtms.nope  # noqa: B018
