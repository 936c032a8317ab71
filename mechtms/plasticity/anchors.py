"""The plasticity layer's literature anchors (``data/mep_after_effects.csv``) run through the model.

Each row names a protocol (a preset, with ``name=value`` fields such as ``intensity``,
``pulses`` or ``frequency_hz``; schema in ``data/README.md``), a condition (``healthy``:
the network-driven population; ``slice``: the slice's drive of
:func:`mechtms.plasticity.drive.slice_activity`) and whether it was used for calibration.
:func:`anchor_table` returns the table the notebook shows: ``target``, ``model``, ``used
for calibration?``, ``source`` and whether the model meets the row's criterion.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..protocols import Protocol, preset
from .drive import NetworkDrive, slice_activity
from .session import AFTER_EFFECT_S, run_session

#: The anchor table of this layer.
TABLE = Path(__file__).resolve().parents[2] / "data" / "mep_after_effects.csv"
_FIELDS = ("intensity", "pulses", "frequency_hz", "pas_isi_ms")


def load(path: Path | str | None = None):
    """The anchor rows (``pandas.DataFrame`` indexed by ``anchor``)."""
    import pandas as pd

    df = pd.read_csv(path or TABLE, dtype=str, keep_default_na=False)
    for col in ("value", "spread", "band_low", "band_high", "tolerance"):
        df[col] = pd.to_numeric(df[col].replace("", float("nan")))
    return df.set_index("anchor", drop=False)


def protocol_of(text: str) -> Protocol:
    """``"rtms_1hz_900; frequency_hz=0.9; pulses=810"`` -> the Protocol."""
    parts = [p.strip() for p in str(text).split(";") if p.strip()]
    p = preset(parts[0])
    fields: dict[str, float | int] = {}
    for item in parts[1:]:
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in _FIELDS:
            raise ValueError(f"protocol field {key!r} in {text!r} is not one of {_FIELDS}")
        fields[key] = int(float(value)) if key == "pulses" else float(value)
    return p.replace(**fields) if fields else p


def run_row(row, *, seed: int = 0, drive: NetworkDrive | None = None, changes=None, **kw):
    """The model's after-effect (%) for one anchor row, and the SessionResult."""
    p = protocol_of(row["protocol"])
    if row["condition"] == "slice":
        n = (drive or NetworkDrive()).n_synapses
        act = slice_activity(p.frequency_hz, p.n_pulses, n_synapses=n, seed=seed)
        res = run_session(p, seed=seed, activity=act, after_s=AFTER_EFFECT_S, changes=changes, **kw)
    else:
        res = run_session(p, seed=seed, drive=drive, after_s=AFTER_EFFECT_S, changes=changes, **kw)
    return res.dW_percent, res


def passes(row, value: float) -> bool:
    """Whether ``value`` meets the row's criterion (``sign``, ``band``, ``within_spread``)."""
    if row["criterion"] == "sign":
        return bool(np.sign(value) == np.sign(row["value"]))
    if row["criterion"] == "band":
        lo = -math.inf if math.isnan(row["band_low"]) else row["band_low"]
        hi = math.inf if math.isnan(row["band_high"]) else row["band_high"]
        return bool(lo <= value <= hi)
    return bool(abs(value - row["value"]) <= row["tolerance"] * row["spread"])


def anchor_table(rows=None, *, seed: int = 0, drive: NetworkDrive | None = None, changes=None, **kw):
    """Every anchor (or ``rows``, anchor ids) with the model's value.

    Returns
    -------
    pandas.DataFrame
        Index ``anchor``; columns ``protocol``, ``condition``, ``target`` (the reported
        value, %), ``band`` (the pass rule), ``model`` (%), ``spread`` (SD of the change
        over synapses, percentage points), ``used for calibration?``, ``passes``, ``source``.
    """
    import pandas as pd

    df = load()
    if rows is not None:
        df = df.loc[list(rows)]
    out = []
    for anchor, row in df.iterrows():
        value, res = run_row(row, seed=seed, drive=drive, changes=changes, **kw)
        rule = ("sign" if row["criterion"] == "sign" else
                f"[{row['band_low']:g}, {row['band_high']:g}]" if row["criterion"] == "band" else
                f"within {row['tolerance']:g} x spread")
        out.append({"anchor": anchor, "protocol": row["protocol"], "condition": row["condition"],
                    "target": row["value"], "band": rule, "model": round(value, 1),
                    "spread": round(res.dW_sd_percent, 1),
                    "used for calibration?": "yes" if row["role"] == "calibration" else "no (validation)",
                    "passes": passes(row, value), "source": row["source"]})
    return pd.DataFrame(out).set_index("anchor")
