"""Speed of the multiscale chain: a 28-day, 28-session SCI course (target: < 30 s on one core
after compilation), with the time split by layer, and the network shortcut against the
full computation (every session's network run, whole sessions) in the same run.

Run: .venv/bin/python benchmarks/chain_speed.py
"""

import cProfile
import pstats
import time

import mechtms as mt
from mechtms import coupling


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return time.perf_counter() - t, out


def layer_split(stats: pstats.Stats) -> dict:
    wanted = {"network": "network_response", "plasticity": "plasticity_session", "pathways": "_run_pathways"}
    out = {}
    for key, (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for layer, fn in wanted.items():
            if key[2] == fn:
                out[layer] = out.get(layer, 0.0) + ct
    return out


def main():
    t_cold, _ = timed(mt.simulate, "sci_15hz_mouse", condition="sci", days=2)
    print(f"first call (numba load, RMT calibration cache, reference runs): {t_cold:.1f} s")
    for name in ("sci_15hz_mouse", "itbs_600", "rtms_1hz_900", "sham"):
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        mt.simulate(name, condition="sci", days=28)
        prof.disable()
        dt = time.perf_counter() - t
        split = layer_split(pstats.Stats(prof))
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in split.items())
        print(f"28-day course {name:16s} {dt:6.1f} s  ({parts})  target < 30 s: {'ok' if dt < 30 else 'MISSED'}")

    days = 4
    coupling._NETWORK_CACHE.clear()
    t_short, _ = timed(mt.simulate, "itbs_600", condition="sci", days=days)
    full_opts = coupling.NetworkOptions(max_pulses=None)
    t_full, _ = timed(mt.simulate, "itbs_600", condition="sci", days=days, cache=False, network=full_opts)
    print(f"{days}-day iTBS course: shortcut (first 60 pulses, cached) {t_short:.1f} s; "
          f"full (every session, all 600 pulses) {t_full:.1f} s; ratio {t_full / t_short:.1f}x")


if __name__ == "__main__":
    main()
