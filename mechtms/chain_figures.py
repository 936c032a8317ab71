"""The chain's measured tables of docs/chain.md, recomputed: ``python -m mechtms.chain_figures``.

SCI arms on ``sci_incomplete`` (7 daily sessions from day 1, seed 0, the chain's default network
options) and the healthy MEP changes of single sessions; about 10 minutes on one core with empty
caches. ``--days N`` changes the course length.
"""

from __future__ import annotations

import argparse
import dataclasses

READOUTS = ("w_late", "W", "output_rate", "BMS", "MEP", "Cx43", "LC3II", "p62", "flux", "pmTOR", "p4EBP1")


def _course(protocol, days: int):
    from . import protocols as P

    return P.course(protocol, days=days, start_day=1, name=protocol.name)


def sci_arms(days: int = 7, seed: int = 0):
    """The SCI table: one row per arm (session-1 change, dose, volley and day-``days`` read-outs)."""
    import pandas as pd

    import mechtms as mt

    from . import conditions, coupling
    from . import protocols as P
    from .network import calibrate_rmt

    opts = coupling.NetworkOptions()

    def run(p, condition="sci_incomplete", **kw):
        kw.setdefault("network", opts)
        return mt.simulate(_course(p, days), condition=condition, seed=seed, **kw)

    def hz(x):
        return P.preset("sci_15hz_mouse").replace(intensity=float(x))

    arms = {"sham": run(P.preset("sham")),
            "1 Hz x 1500, 100 % RMT": run(P.rtms(1.0, 1500, 100.0, name="rtms_1hz_1500"))}
    for x in (60, 80, 100, 120):
        arms[f"15 Hz, {x} % RMT"] = run(hz(x))
    arms["15 Hz 100 %, x_rmt x 0.8"] = run(hz(100), network=dataclasses.replace(
        opts, x_rmt=0.8 * calibrate_rmt(opts.network)))
    arms["15 Hz 100 %, no feedback"] = run(hz(100), coupling=False)
    arms["15 Hz 100 %, cortical TrkB blocked"] = run(hz(100), changes={"bdnf_trkb_erk": {"trk_inhib": 1.0}})
    arms["iTBS 600, 100 % AMT"] = run(P.preset("itbs_600").replace(intensity=100.0))
    base = conditions.get("sci_incomplete")
    assert base.lesion is not None
    for ko in ("Cx43", "TrkB"):
        cond = dataclasses.replace(base, lesion=dataclasses.replace(base.lesion, knockouts=(ko,)))
        arms[f"15 Hz 100 %, spinal {ko} knocked out"] = run(hz(100), condition=cond)
        arms[f"sham, spinal {ko} knocked out"] = run(P.preset("sham"), condition=cond)
    rows = []
    for name, ds in arms.items():
        last = ds.isel(day=-1)
        row = {"arm": name, "dW session 1 (%)": float(ds.dW_percent[0]), "bdnf_dose": float(ds.bdnf_dose[0]),
               "volley": float(ds.volley[0])}
        row.update({r: float(last[r]) for r in READOUTS})
        rows.append(row)
    return pd.DataFrame(rows).set_index("arm")


def healthy_changes(seed: int = 0):
    """Single sessions in ``healthy``: the early change and the probe's MEP change 45 min later."""
    import pandas as pd

    import mechtms as mt

    from . import protocols as P

    sessions = {"20 Hz x 240, 90 % RMT": P.preset("rtms_20hz").replace(pulses=240, intensity=90.0),
                "1 Hz x 240, 90 % RMT": P.preset("rtms_1hz_900").replace(pulses=240, intensity=90.0),
                "iTBS 600, 80 % AMT": P.preset("itbs_600"), "cTBS 600, 80 % AMT": P.preset("ctbs_600"),
                "iTBS 600, 100 % AMT": P.preset("itbs_600").replace(intensity=100.0),
                "cTBS 600, 100 % AMT": P.preset("ctbs_600").replace(intensity=100.0)}
    rows = []
    for name, p in sessions.items():
        ds = mt.simulate(p, condition="healthy", seed=seed)
        rows.append({"session": name, "dW (%)": float(ds.dW_percent[0]), "W": float(ds.W[-1]),
                     "MEP change (%)": float(ds.MEP_change_percent[-1])})
    return pd.DataFrame(rows).set_index("session")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7)
    args = ap.parse_args(argv)
    print(sci_arms(args.days).round(3).to_string())
    print(healthy_changes().round(2).to_string())


if __name__ == "__main__":
    main()
