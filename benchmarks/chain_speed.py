"""Speed of the multiscale chain: a 28-session SCI course (target: < 30 s on one core after
compilation and with the network runs cached), the time split by layer, and the chain's
shortcuts against the full computation in the same run:

* the network's repeated-block shortcut (``NetworkOptions.max_periods=2``) against whole
  sessions in the network (``max_periods=None``), on a 4-session course with empty caches;
* 30 against 60 sampled synapses (the synapse population's cost is linear in it).

Run: .venv/bin/python benchmarks/chain_speed.py [--days 28]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time

import mechtms as mt
from mechtms import coupling, plasticity

#: (layer, module path fragment, function) whose cumulative time is reported.
LAYERS = (
    ("network", "network/activity.py", "synapse_activity"),
    ("synapses", "plasticity/population.py", "integrate"),
    ("consolidation", "consolidation.py", "step"),
    ("lesion", "lesion.py", "simulate"),
    ("MEP probe", "mep.py", "daily"),
)


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return time.perf_counter() - t, out


def layer_split(stats: pstats.Stats) -> dict[str, float]:
    out: dict[str, float] = {}
    for (path, _line, fn), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for layer, fragment, name in LAYERS:
            if fn == name and path.endswith(fragment):
                out[layer] = out.get(layer, 0.0) + ct
    return out


def profiled(*a, **kw):
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    out = mt.simulate(*a, **kw)
    prof.disable()
    return time.perf_counter() - t, layer_split(pstats.Stats(prof)), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=28)
    args = ap.parse_args()
    os.environ["MECHTMS_CACHE_DIR"] = tempfile.mkdtemp(prefix="mechtms-bench-")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (numbers are wall time)")

    t_cold, _ = timed(mt.simulate, "sci_15hz_mouse", condition="sci", days=2)
    print(f"first call (numba load, RMT calibration, reference session, first network runs): {t_cold:.1f} s")
    for name in ("sci_15hz_mouse", "itbs_600", "sham"):
        dt, split, ds = profiled(name, condition="sci", days=args.days)
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in split.items())
        verdict = "ok" if dt < 30 else "MISSED"
        print(f"{args.days}-session course {name:16s} {dt:6.1f} s  ({parts})  target < 30 s: {verdict}")
        dt2, _, _ = profiled(name, condition="sci", days=args.days)
        print(f"    again (network runs cached): {dt2:.1f} s")

    days = 4
    plasticity.clear_cache()
    os.environ["MECHTMS_CACHE_DIR"] = tempfile.mkdtemp(prefix="mechtms-bench-")
    t_short, _ = timed(mt.simulate, "sci_15hz_mouse", condition="sci", days=days)
    plasticity.clear_cache()
    os.environ["MECHTMS_CACHE_DIR"] = tempfile.mkdtemp(prefix="mechtms-bench-")
    full = coupling.NetworkOptions(max_periods=None)
    t_full, _ = timed(mt.simulate, "sci_15hz_mouse", condition="sci", days=days, network=full)
    print(f"{days}-session 15 Hz course, empty caches: repeated blocks {t_short:.1f} s; whole sessions "
          f"{t_full:.1f} s; ratio {t_full / t_short:.2f}x")
    half = coupling.NetworkOptions(n_synapses=30)
    t30, _ = timed(mt.simulate, "sci_15hz_mouse", condition="sci", days=days, network=half)
    t60, _ = timed(mt.simulate, "sci_15hz_mouse", condition="sci", days=days)
    print(f"{days}-session course, network cached: 60 synapses {t60:.1f} s, 30 synapses {t30:.1f} s; "
          f"ratio {t60 / t30:.2f}x")


if __name__ == "__main__":
    main()
