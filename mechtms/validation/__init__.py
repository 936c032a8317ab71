"""Validation: every literature anchor of ``data/`` run through the package, judged, reported.

>>> from mechtms import validation
>>> table = validation.validate(fast_only=True)                     # doctest: +SKIP
>>> validation.write_report(table, "validation_report")            # doctest: +SKIP

Calibration anchors (the model was set with them) and validation anchors (held out) are
reported apart; only a failing *validation* anchor makes ``mechtms validate`` exit non-zero.
An anchor whose condition has no model yet is reported as ``not modelled``.
"""

from __future__ import annotations

import fnmatch
import math
import time

from .anchors import data_dir, judge, read_anchors
from .report import write_report
from .runners import RUNNERS, NotModelled, runner

__all__ = ["validate", "write_report", "read_anchors", "data_dir", "RUNNERS", "runner", "NotModelled",
           "failed_validation"]

STATUSES = ("pass", "fail", "error", "not modelled")


def validate(paths=None, *, fast_only: bool = False, anchors=None, changes=None, progress: bool = False):
    """Run anchors and judge them.

    Parameters
    ----------
    paths : path or list of paths, optional
        Anchor tables or folders (default every ``data/*.csv``).
    fast_only : bool
        Only rows with ``cost = fast`` (the subset the tests run).
    anchors : list of str, optional
        Anchor ids or shell patterns (``"ji2010_*"``) to run; default all.
    changes : mapping model -> {parameter: value}, optional
        Overrides handed to every runner (e.g. a deliberately broken model).

    Returns
    -------
    pandas.DataFrame
        Index ``anchor``; the row's data (``value``, ``spread``, bands, ``role``, ``source``...)
        plus ``model`` (the model's value), ``rule`` (the criterion as text), ``status`` (one
        of ``pass``, ``fail``, ``error``, ``not modelled``), ``message`` and ``seconds``.
    """
    from .. import _checks

    table = read_anchors(paths)
    if fast_only:
        table = table[table["cost"] == "fast"]
    if anchors is not None:
        patterns = [anchors] if isinstance(anchors, str) else list(anchors)
        keep = [a for a in table.index if any(fnmatch.fnmatchcase(a, p) for p in patterns)]
        for p in patterns:
            if not any(fnmatch.fnmatchcase(a, p) for a in table.index):
                raise _checks.unknown_name("anchor", p, table.index, exc=ValueError)
        table = table.loc[keep]
    if changes is not None and not all(isinstance(v, dict) for v in dict(changes).values()):
        raise ValueError(f"changes must map a model name to {{parameter: value}}, got {changes!r}")
    out = table.copy()
    out["model"], out["rule"], out["status"], out["message"], out["seconds"] = math.nan, "", "", "", 0.0
    for anchor, row in table.iterrows():
        t0 = time.perf_counter()
        try:
            func = RUNNERS.get(row["runner"])
            if func is None:
                raise NotModelled(f"no runner {row['runner']!r}" if row["runner"] else "the row names no runner")
            value = float(func(row, changes))
            passed, rule = judge(row, value)
            out.at[anchor, "model"], out.at[anchor, "rule"] = value, rule
            out.at[anchor, "status"] = "pass" if passed else "fail"
        except NotModelled as exc:
            out.at[anchor, "status"], out.at[anchor, "message"] = "not modelled", str(exc)
        except Exception as exc:  # an anchor that cannot be computed is reported, not fatal
            out.at[anchor, "status"] = "error"
            out.at[anchor, "message"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
        out.at[anchor, "seconds"] = time.perf_counter() - t0
        if progress:
            print(f"  {anchor:<50} {out.at[anchor, 'status']}", flush=True)
    return out


def failed_validation(table) -> list[str]:
    """Validation anchors that failed or could not be computed."""
    bad = table[(table["role"] == "validation") & table["status"].isin(["fail", "error"])]
    return list(bad.index)
