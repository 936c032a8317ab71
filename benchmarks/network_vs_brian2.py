"""mechtms (numba) vs Brian2 (cython and cpp_standalone) on the same networks, same machine.

Networks
--------
* Izhikevich 2003 (IEEE Trans Neural Netw 14:1569), 1,000 neurons, all-to-all, 1 ms
  steps with two 0.5 ms half-steps, thalamic noise each ms: in Brian2 the published
  update is a ``run_regularly`` block and the synapses add into a per-step input
  (Brian2's order thresholds → synapses → resets → next update is the listing's order).
* CUBA 4,000 (Brette et al. 2007, J Comput Neurosci 23:349; Brian2's ``CUBA.py``),
  0.1 ms, exact integration.
* The production networks (``m1_column`` and ``cortex``, 1,000 neurons, 0.1 ms) on whole
  sessions: the 600-pulse iTBS session through ``session_drive`` and, for the plasticity
  layer, ``synapse_activity`` (100 sampled synapses) on iTBS 600 and on 1 Hz x 900 (900 s
  simulated); synaptic events delivered per second of one core.

Reported: firing rates (must agree within 10 %), wall time of the simulation loop
(Brian2: excluding code generation and compilation, reported separately; mechtms:
excluding numba compilation, which is cached), speed ratios and synaptic events per
second. Single-threaded (run with ``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1``). Timings
on a shared machine are noisy: each timing is the best of ``--repeats`` runs, for every
simulator (Brian2 cython continues the network, cpp_standalone re-runs the binary).
The Izhikevich run does not accumulate the LFP proxy (Brian2's model has none).

Usage::

    .venv/bin/python benchmarks/network_vs_brian2.py [--duration 10] [--repeats 2] [--skip-brian2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import mechtms as mt  # noqa: E402
from mechtms import protocols as P  # noqa: E402
from mechtms.network import _engine, cuba  # noqa: E402
from mechtms.network import networks as nets  # noqa: E402

REPEATS = 3

# ---- mechtms ---------------------------------------------------------------------------
def mechtms_izhikevich(duration_s: float, repeats: int) -> dict:
    spec = nets.IZHIKEVICH2003
    g = _engine.streams(0)[0]
    built = nets.build(spec, 1000, 1.0, g)
    _engine.run(spec, n_neurons=1000, dt_ms=1.0, n_steps=50, seed=0, built=built)  # warm-up/compile
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = _engine.run(spec, n_neurons=1000, dt_ms=1.0, n_steps=int(duration_s * 1000), seed=0, built=built,
                        record_lfp=False)
        best = min(best, time.perf_counter() - t0)
    spikes = r.counts[:, :2].sum()  # E and I (column 2 counts the output cells again)
    return {"rate_hz": spikes / 1000 / duration_s, "run_s": best, "events": int(spikes) * 1000}


def mechtms_cuba(duration_s: float, repeats: int) -> dict:
    cuba.simulate(0.01)  # compile
    runs = [cuba.simulate(duration_s) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["run_s"])
    return best


def mechtms_itbs(repeats: int, network: str = "m1_column") -> dict:
    p = P.itbs(600, 100, intensity_ref="RMT")
    x = mt.network.calibrate_rmt(network)
    mt.network.session_drive(p, network, x_rmt=x, max_pulses=3)  # compile
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        d = mt.network.session_drive(p, network, x_rmt=x)
        best = min(best, time.perf_counter() - t0)
    return {"run_s": best, "simulated_s": d.attrs["duration_s"], "rate_E_hz": d.attrs["rate_E_hz"]}


def mechtms_sessions(repeats: int, network: str = "m1_column") -> list[dict]:
    """synapse_activity (the plasticity layer's input) on whole sessions of a production network."""
    x = mt.network.calibrate_rmt(network)
    mt.network.synapse_activity(P.rtms(1, 3, 100), network, x_rmt=x)  # compile
    n_out = 1000.0  # fixed in-degree 1,000, so 1,000 synapses per presynaptic spike on average
    rows = []
    for p in (P.itbs(600, 80), P.rtms(1, 900, 90)):
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            a = mt.network.synapse_activity(p, network, x_rmt=x, n_synapses=100)
            best = min(best, time.perf_counter() - t0)
        span = a.t_end_s - a.t_start_s
        spikes = (0.8 * a.meta["rate_E_hz"] + 0.2 * a.meta["rate_I_hz"]) * 1000 * span
        rows.append({"label": p.label(), "network": network, "run_s": best, "simulated_s": span,
                     "rate_E_hz": a.meta["rate_E_hz"],
                     "events_per_s": spikes * n_out / best})
    return rows


# ---- Brian2 ------------------------------------------------------------------------------
def brian2_izhikevich(duration_s: float, target: str) -> dict:
    import brian2 as b2

    b2.start_scope()
    if target == "cython":
        b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = 1 * b2.ms
    ne, ni = 800, 200
    g = b2.NeuronGroup(ne + ni, """a : 1
        b : 1
        c : 1
        d : 1
        sigma : 1
        v : 1
        u : 1
        isyn : 1""", threshold="v >= 30", reset="v = c; u += d", method=None)
    rng = np.random.default_rng(0)
    re, ri = rng.random(ne), rng.random(ni)
    g.a = np.r_[np.full(ne, 0.02), 0.02 + 0.08 * ri]
    g.b = np.r_[np.full(ne, 0.2), 0.25 - 0.05 * ri]
    g.c = np.r_[-65 + 15 * re**2, np.full(ni, -65.0)]
    g.d = np.r_[8 - 6 * re**2, np.full(ni, 2.0)]
    g.sigma = np.r_[np.full(ne, 5.0), np.full(ni, 2.0)]
    g.v = -65.0
    g.u = "b * v"
    g.run_regularly("""cur = sigma * randn() + isyn
        v += 0.5 * (0.04 * v**2 + 5 * v + 140 - u + cur)
        v += 0.5 * (0.04 * v**2 + 5 * v + 140 - u + cur)
        u += a * (b * v - u)
        isyn = 0""", when="groups")
    s = b2.Synapses(g, g, "w : 1", on_pre="isyn_post += w")
    s.connect()
    s.w["i < 800"] = "0.5 * rand()"
    s.w["i >= 800"] = "-rand()"
    mon = b2.SpikeMonitor(g, record=False)
    return _brian2_run(b2, target, duration_s, b2.Network(g, s, mon), mon, ne + ni)


def brian2_cuba(duration_s: float, target: str) -> dict:
    import brian2 as b2
    from brian2 import ms, mV

    b2.start_scope()
    if target == "cython":
        b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = 0.1 * ms
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    vt, vr, el = -50 * mV, -60 * mV, -49 * mV
    eqs = """dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
             dge/dt = -ge/taue : volt
             dgi/dt = -gi/taui : volt"""
    ns = {"taum": taum, "taue": taue, "taui": taui, "El": el}
    p = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                       method="exact", namespace={**ns, "Vt": vt, "Vr": vr})
    p.v = "Vr + rand() * (Vt - Vr)"
    we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV
    ce = b2.Synapses(p, p, on_pre="ge += we", namespace={"we": we})
    ci = b2.Synapses(p, p, on_pre="gi += wi", namespace={"wi": wi})
    ce.connect("i<3200", p=0.02)
    ci.connect("i>=3200", p=0.02)
    mon = b2.SpikeMonitor(p, record=False)
    out = _brian2_run(b2, target, duration_s, b2.Network(p, ce, ci, mon), mon, 4000)
    out["events"] = None  # computed from rates below
    out["n_synapses"] = len(ce) + len(ci) if target != "cpp_standalone" else None
    return out


def _brian2_run(b2, target, duration_s, net, mon, n):
    if target == "cython":
        t0 = time.perf_counter()
        net.run(10 * b2.ms)  # code generation + compilation (+10 ms of simulation)
        t_compile = time.perf_counter() - t0
        runs, rates = [], []
        for _ in range(REPEATS):  # continue the same network: best of REPEATS
            c0 = mon.num_spikes
            t0 = time.perf_counter()
            net.run(duration_s * b2.second)
            runs.append(time.perf_counter() - t0)
            rates.append((mon.num_spikes - c0) / n / duration_s)
        return {"rate_hz": rates[0], "run_s": min(runs), "compile_s": t_compile}
    # cpp_standalone: build once, the loop time is what the binary reports
    build_dir = tempfile.mkdtemp(prefix="mechtms_b2_")
    try:
        net.run(duration_s * b2.second)
        t0 = time.perf_counter()
        b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
        total = time.perf_counter() - t0
        rate = mon.num_spikes / n / duration_s
        runs = [b2.device._last_run_time]  # the binary's main(): the loop plus building synapses
        for _ in range(REPEATS - 1):  # re-run the compiled binary: best of REPEATS
            b2.device.run(directory=build_dir, with_output=False)
            runs.append(b2.device._last_run_time)
        t_main = t_run = min(runs)
    finally:
        b2.device.reinit()
        b2.device.activate()
        b2.set_device("runtime")
        shutil.rmtree(build_dir, ignore_errors=True)
    return {"rate_hz": rate, "run_s": t_run, "compile_s": total - t_main, "main_s": t_main}


def brian2_standalone(fn, duration_s):
    """Build and run twice: ``duration_s`` and 10 ms. The short run's main() is the setup
    (building synapses, initialising); the loop time is the difference."""
    import brian2 as b2

    out = {}
    for dur in (duration_s, 0.01):
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
        out[dur] = fn(dur, "cpp_standalone")
    full, short = out[duration_s], out[0.01]
    setup = short["main_s"]  # includes 10 ms of simulation: a slight overestimate of setup
    return {**full, "run_s": max(full["main_s"] - setup, 1e-9), "setup_s": setup}


# ---- report --------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="simulated seconds per network")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs (every simulator)")
    ap.add_argument("--skip-brian2", action="store_true")
    ap.add_argument("--skip-itbs", action="store_true")
    a = ap.parse_args(argv)
    global REPEATS
    REPEATS = a.repeats
    T = a.duration
    rows = []

    izh = mechtms_izhikevich(T, a.repeats)
    cub = mechtms_cuba(T, a.repeats)
    n_syn_cuba = cub["n_synapses"]
    results = {"Izhikevich 1000 (1 ms)": {"mechtms": izh}, "CUBA 4000 (0.1 ms)": {"mechtms": cub}}
    if not a.skip_brian2:
        for target in ("cython", "cpp_standalone"):
            for name, fn in (("Izhikevich 1000 (1 ms)", brian2_izhikevich), ("CUBA 4000 (0.1 ms)", brian2_cuba)):
                if target == "cython":
                    results[name][f"brian2 {target}"] = fn(T, "cython")
                else:
                    results[name][f"brian2 {target}"] = brian2_standalone(fn, T)
    print(f"\nsimulated {T:g} s per network, single core, best of {a.repeats} runs each\n")
    print(f"{'network':26s} {'simulator':24s} {'rate Hz':>8s} {'run s':>8s} {'s/sim-s':>8s} "
          f"{'compile s':>9s} {'events/s':>10s} {'mechtms x':>9s}")
    for name, res in results.items():
        syn_per_spike = 1000 if name.startswith("Izh") else n_syn_cuba / 4000
        for sim, r in res.items():
            events = r["rate_hz"] * (1000 if name.startswith("Izh") else 4000) * T * syn_per_spike
            ratio = r["run_s"] / res["mechtms"]["run_s"]
            comp = r.get("compile_s")
            print(f"{name:26s} {sim:24s} {r['rate_hz']:8.2f} {r['run_s']:8.3f} {r['run_s'] / T:8.4f} "
                  f"{(f'{comp:.1f}' if comp is not None else '-'):>9s} {events / r['run_s']:10.3g} {ratio:9.2f}")
            rows.append((name, sim, r))
        rates = [r["rate_hz"] for r in res.values()]
        spread = (max(rates) - min(rates)) / np.mean(rates)
        print(f"{'':26s} rate spread across simulators: {100 * spread:.1f} % ({'OK' if spread < 0.10 else 'ABOVE 10 %'})")
    print("\n'mechtms x' = simulator run time / mechtms run time (> 1: mechtms faster).")
    print("Brian2 cpp_standalone run time = its binary's main() for the full run minus main() of a "
          "10 ms run (setup: building synapses, initialising): " + ", ".join(
              f"{k}: main {r['main_s']:.3f} s, setup {r['setup_s']:.3f} s" for k, res in results.items()
              for sim, r in res.items() if "setup_s" in r))
    print("mechtms run time includes drawing the noise (Izhikevich) but not building the network.")
    if not a.skip_itbs:
        print()
        for network in ("m1_column", "cortex"):
            it = mechtms_itbs(1, network)
            print(f"iTBS 600 pulses on the 1,000-neuron {network} network (session_drive, {it['simulated_s']:.1f} s "
                  f"simulated): {it['run_s']:.1f} s wall (target < 15 s), E rate {it['rate_E_hz']:.2f} Hz")
        targets = {"TBS": 15.0, "1 Hz": 45.0}
        for r in mechtms_sessions(1, "m1_column") + mechtms_sessions(1, "cortex"):
            target = next(v for k, v in targets.items() if r["label"].startswith(k))
            print(f"synapse_activity on {r['network']}, {r['label']} ({r['simulated_s']:.0f} s simulated, 100 synapses): "
                  f"{r['run_s']:.1f} s wall (target < {target:g} s), {r['run_s'] / r['simulated_s'] * 1000:.1f} ms "
                  f"per simulated s, {r['events_per_s']:.3g} synaptic events/s (spikes x 1,000 targets)")


if __name__ == "__main__":
    main()
