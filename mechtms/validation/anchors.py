"""Literature anchors: the tidy CSV tables of ``data/`` (schema in ``data/README.md``).

One row is one target: what was measured, where it was read, how the model's value is
computed (``runner``) and how it is judged (``criterion``). This module only reads and
checks the tables; :mod:`mechtms.validation.runners` computes the model's values.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .. import _checks

#: Columns every table has (data/README.md); ``runner`` and ``cost`` may be missing (defaults below).
REQUIRED = ("anchor", "quantity", "protocol", "condition", "readout", "time", "value", "spread", "spread_kind",
            "ci_low", "ci_high", "n", "units", "role", "criterion", "band_low", "band_high", "tolerance",
            "source", "figure_table", "how_read")
OPTIONAL = ("runner", "cost")
ROLES = ("calibration", "validation")
CRITERIA = ("sign", "band", "within_spread")
SPREAD_KINDS = ("sem", "sd", "ci95_halfwidth", "range_halfwidth", "none")
#: Runner used when a row names none, by read-out (the MEP tables of the plasticity layer).
DEFAULT_RUNNERS = {"dW_percent": "after_effect", "MEP_change_percent": "after_effect"}
_NUMERIC = ("value", "spread", "ci_low", "ci_high", "n", "band_low", "band_high", "tolerance")
_TIME = re.compile(r"^\s*(?:(day)\s+([-+0-9.eE]+)|([-+0-9.eE]+)\s*(s|sec|min|h|hour|hours|day|days|d))\s*$")
_TO_HOURS = {"s": 1 / 3600, "sec": 1 / 3600, "min": 1 / 60, "h": 1.0, "hour": 1.0, "hours": 1.0,
             "day": 24.0, "days": 24.0, "d": 24.0}


def data_dir() -> Path:
    """The ``data/`` folder of the repository."""
    return Path(__file__).resolve().parents[2] / "data"


def read_anchors(paths=None):
    """All anchors of ``paths`` (CSV files or folders; default every ``data/*.csv``), checked.

    Returns
    -------
    pandas.DataFrame
        One row per anchor, index ``anchor``; numeric columns as floats (NaN when empty),
        ``table`` names the file each row came from. ``ValueError`` names the file, the
        row and the column of any bad entry.
    """
    import pandas as pd

    files: list[Path] = []
    for p in ([data_dir()] if paths is None else ([paths] if isinstance(paths, str | Path) else list(paths))):
        p = Path(p)
        if p.is_dir():
            files += sorted(p.glob("*.csv"))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no anchor table or folder at {str(p)!r}")
    frames = [_read_table(f) for f in files]
    if not frames:
        raise ValueError(f"no anchor tables (*.csv) in {[str(f) for f in files] or paths}")
    df = pd.concat(frames, ignore_index=True)
    dup = df["anchor"][df["anchor"].duplicated()].tolist()
    if dup:
        raise ValueError(f"anchor ids repeat across tables: {sorted(set(dup))}")
    return df.set_index("anchor", drop=False)


def _read_table(path: Path):
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"{path.name}: missing columns {missing} (schema: data/README.md)")
    for c in OPTIONAL:
        if c not in df.columns:
            df[c] = ""
    df["table"] = path.name
    for i, row in df.iterrows():
        where = f"{path.name} row {int(i) + 2} ({row['anchor'] or 'no anchor id'})"
        if not re.fullmatch(r"[a-z0-9_]+", row["anchor"]):
            raise ValueError(f"{where}: anchor must be snake_case, got {row['anchor']!r}")
        for col, options in (("role", ROLES), ("criterion", CRITERIA), ("spread_kind", SPREAD_KINDS)):
            if row[col] not in options:
                raise _checks.unknown_name(f"{col} ({where})", row[col], options, exc=ValueError)
        if not row["runner"]:
            df.at[i, "runner"] = DEFAULT_RUNNERS.get(row["readout"], "")
        if not row["cost"]:
            df.at[i, "cost"] = "slow"
    for col in _NUMERIC:
        try:
            df[col] = pd.to_numeric(df[col].replace("", float("nan"))).astype(float)
        except ValueError as exc:
            raise ValueError(f"{path.name}: column {col!r} must be numeric or empty ({exc})") from None
    for _, row in df.iterrows():
        _check_criterion(row, path.name)
    return df


def _check_criterion(row, table: str) -> None:
    where = f"{table} anchor {row['anchor']!r}"
    if row["criterion"] == "band" and math.isnan(row["band_low"]) and math.isnan(row["band_high"]):
        raise ValueError(f"{where}: criterion 'band' needs band_low and/or band_high")
    if row["criterion"] == "within_spread" and (math.isnan(row["spread"]) or math.isnan(row["tolerance"])):
        raise ValueError(f"{where}: criterion 'within_spread' needs spread and tolerance")
    if row["criterion"] == "sign" and (math.isnan(row["value"]) or row["value"] == 0):
        raise ValueError(f"{where}: criterion 'sign' needs a non-zero value")


def time_in_hours(text: str) -> float:
    """``"15 min"``, ``"2 h"``, ``"30 s"``, ``"day 28"`` -> hours (``ValueError`` otherwise)."""
    m = _TIME.match(str(text))
    if not m:
        raise ValueError(f"time {text!r} not understood: use e.g. '15 min', '2 h', '30 s' or 'day 28'")
    if m.group(1):
        return float(m.group(2)) * 24.0
    return float(m.group(3)) * _TO_HOURS[m.group(4)]


def protocol_changes(text: str) -> tuple[str | None, dict[str, float | str]]:
    """Split a ``protocol`` entry ``"preset; name=value; ..."`` into (preset or None, changes).

    ``"BDNF_ext_nM=1"`` -> ``(None, {"BDNF_ext_nM": 1.0})``; ``"sci_15hz_mouse; mek_inhib=1"``
    -> ``("sci_15hz_mouse", {"mek_inhib": 1.0})``. Non-numeric values (``arm=sham``) stay strings.
    """
    preset: str | None = None
    changes: dict[str, float | str] = {}
    for part in (p.strip() for p in str(text).split(";")):
        if not part:
            continue
        if "=" in part:
            key, _, value = (s.strip() for s in part.partition("="))
            try:
                changes[key] = float(value)
            except ValueError:
                changes[key] = value
        elif preset is None:
            preset = part
        else:
            raise ValueError(f"protocol {text!r}: more than one preset ({preset!r}, {part!r})")
    return preset, changes


def judge(row, model_value: float) -> tuple[bool, str]:
    """Apply the row's criterion to ``model_value``; returns (passed, the rule as text)."""
    if model_value is None or not math.isfinite(model_value):
        return False, "model value is not finite"
    crit = row["criterion"]
    if crit == "sign":
        want = math.copysign(1.0, row["value"])
        return (model_value * want > 0), f"sign {'+' if want > 0 else '-'}"
    if crit == "band":
        lo = -math.inf if math.isnan(row["band_low"]) else row["band_low"]
        hi = math.inf if math.isnan(row["band_high"]) else row["band_high"]
        return (lo <= model_value <= hi), f"in [{lo:g}, {hi:g}]"
    tol, spread = row["tolerance"], row["spread"]
    err = abs(model_value - row["value"]) / spread
    return (err <= tol), f"|model-data| <= {tol:g} x {row['spread_kind']} ({err:.2f})"
