"""Published safety limits for rTMS trains, checked against a protocol.

This is a modelling aid, not a clinical tool: exceeding a limit warns and is reported,
it never forbids. Verify against the original tables before any use on people.

Sources
-------
* Wassermann EM (1998) Risk and safety of repetitive transcranial magnetic stimulation.
  Electroencephalogr Clin Neurophysiol 108:1-16, Table 4: maximum safe duration of a
  single train by frequency and intensity (% MT); values transcribed from the table as
  reproduced in Rossi et al. 2009, Clin Neurophysiol 120:2008 (their Table 3). ">x"
  entries (no adverse event at the longest train tested) are stored as x and flagged as
  lower bounds.
* Chen R, Gerloff C, Classen J, et al. (1997) Electroencephalogr Clin Neurophysiol
  105:415-421: inter-train intervals of 1 s or less were unsafe for 20 Hz trains above
  100 % MT; 5 s was safe for 20 Hz 1.6 s at 110 % MT.
* Rossi S, Hallett M, Rossini PM, Pascual-Leone A (2009) Clin Neurophysiol 120:2008:
  theta-burst protocols were established at 80 % AMT (Huang et al. 2005); a seizure was
  reported during cTBS at 100 % RMT (Oberman & Pascual-Leone 2009).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._protocol import Protocol

WASSERMANN_1998 = "Wassermann 1998, Electroencephalogr Clin Neurophysiol 108:1 (Table 4)"
CHEN_1997 = "Chen et al. 1997, Electroencephalogr Clin Neurophysiol 105:415"
ROSSI_2009 = "Rossi et al. 2009, Clin Neurophysiol 120:2008 (theta burst)"

#: Columns of Wassermann 1998 Table 4: intensity, % MT.
TABLE_INTENSITY_PCT_MT = np.array([100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220.0])
#: Rows: frequency, Hz.
TABLE_FREQUENCY_HZ = np.array([1, 5, 10, 20, 25.0])
#: Maximum safe single-train duration, s; rows TABLE_FREQUENCY_HZ, columns TABLE_INTENSITY_PCT_MT.
TABLE_MAX_TRAIN_S = np.array([
    [1800, 1800, 360, 50, 50, 50, 50, 27, 11, 11, 8, 7, 6],
    [10, 10, 10, 10, 7.6, 5.2, 3.6, 2.6, 2.4, 1.6, 1.4, 1.6, 1.2],
    [5, 5, 4.2, 2.9, 1.3, 0.8, 0.9, 0.8, 0.5, 0.6, 0.4, 0.3, 0.3],
    [2.05, 1.6, 1.0, 0.55, 0.35, 0.25, 0.25, 0.15, 0.2, 0.25, 0.2, 0.1, 0.1],
    [1.28, 0.84, 0.4, 0.24, 0.2, 0.24, 0.2, 0.12, 0.08, 0.12, 0.12, 0.08, 0.08],
])
#: Entries printed as ">x" in the table: lower bounds, not measured limits.
TABLE_LOWER_BOUND = np.array([
    [1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
], dtype=bool)

#: Highest TBS intensity with an established safety record, % AMT (Rossi et al. 2009).
TBS_MAX_PCT_AMT = 80.0


@dataclass(frozen=True)
class Finding:
    """One limit checked against a protocol."""

    rule: str
    value: float
    limit: float
    unit: str
    exceeded: bool
    source: str
    note: str = ""
    bound: str = "max"  # "max": value must not exceed limit; "min": value must exceed limit

    def __str__(self) -> str:
        verdict = "EXCEEDED" if self.exceeded else "ok"
        word = "maximum" if self.bound == "max" else "must be above"
        extra = f" — {self.note}" if self.note else ""
        return (f"{verdict:8s} {self.rule}: {self.value:g} {self.unit} "
                f"({word} {self.limit:g} {self.unit}; {self.source}){extra}")


@dataclass(frozen=True)
class SafetyReport:
    """All findings for a protocol; ``exceeded`` lists the limits it passes."""

    protocol: str
    findings: tuple[Finding, ...]
    not_evaluable: tuple[str, ...] = ()

    @property
    def exceeded(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.exceeded)

    @property
    def ok(self) -> bool:
        return not self.exceeded

    def __str__(self) -> str:
        lines = [str(f) for f in self.findings] + [f"not checked: {n}" for n in self.not_evaluable]
        return "\n".join(lines) if lines else "no published limit applies"


def max_train_s(frequency_hz: float, intensity_pct_mt: float) -> tuple[float, bool, str]:
    """Conservative single-train limit from Wassermann 1998 Table 4.

    Looks up the next tabulated frequency at or above ``frequency_hz`` and the next
    tabulated intensity at or above ``intensity_pct_mt`` (intensities below 100 % MT
    use the 100 % column). Returns ``(limit_s, is_lower_bound, note)``; ``inf`` when the
    protocol lies outside the table (frequency above 25 Hz or intensity above 220 %),
    with the reason in ``note``.
    """
    if frequency_hz > TABLE_FREQUENCY_HZ[-1] or intensity_pct_mt > TABLE_INTENSITY_PCT_MT[-1]:
        return np.inf, False, "outside Wassermann 1998 Table 4 (up to 25 Hz, 220 % MT)"
    row = int(np.searchsorted(TABLE_FREQUENCY_HZ, frequency_hz - 1e-9))
    col = int(np.searchsorted(TABLE_INTENSITY_PCT_MT, max(intensity_pct_mt, 100.0) - 1e-9))
    note = f"table entry {TABLE_FREQUENCY_HZ[row]:g} Hz, {TABLE_INTENSITY_PCT_MT[col]:g} % MT"
    return float(TABLE_MAX_TRAIN_S[row, col]), bool(TABLE_LOWER_BOUND[row, col]), note


def check(protocol: Protocol, *, warn: bool = True) -> SafetyReport:
    """Check a protocol against the published limits; warn (``UserWarning``) if any is exceeded.

    Conventional rTMS: single-train duration (Wassermann 1998) and inter-train
    interval (Chen et al. 1997). Theta burst: intensity against 80 % AMT (Rossi et al.
    2009). Intensities in % MSO cannot be compared with motor-threshold tables and are
    reported under ``not_evaluable``.
    """
    findings: list[Finding] = []
    missing: list[str] = []
    name = protocol.name or protocol.label()
    if protocol.intensity_ref in ("MSO", "V/m"):
        unit = "% MSO" if protocol.intensity_ref == "MSO" else "V/m"
        missing.append(f"intensity given in {unit}; the limits are in % motor threshold")
        return SafetyReport(name, (), tuple(missing))

    if protocol.kind == "theta_burst":
        pct_amt = protocol.intensity_in("AMT")
        findings.append(Finding("theta-burst intensity", round(pct_amt, 3), TBS_MAX_PCT_AMT, "% AMT",
                                pct_amt > TBS_MAX_PCT_AMT + 1e-9, ROSSI_2009,
                                "converted from % RMT with AMT/RMT = 0.82" if protocol.intensity_ref == "RMT" else ""))
    elif protocol.kind == "rtms":
        pct_mt = protocol.intensity_in("RMT")
        # A continuous protocol is a single train lasting the whole session.
        train_s = protocol.bursts_per_train / protocol.frequency_hz
        limit, lower_bound, note = max_train_s(protocol.frequency_hz, pct_mt)
        if np.isfinite(limit):
            if lower_bound:
                note += "; the table gives this as a lower bound ('>'): longer trains were not tested"
            findings.append(Finding("single-train duration", round(train_s, 6), limit, "s",
                                    train_s > limit + 1e-9, WASSERMANN_1998, note))
        else:
            missing.append(f"single-train duration: {note}")
        if protocol.n_trains > 1 and protocol.frequency_hz > 1:
            findings.append(_iti_finding(protocol.iti_s, pct_mt))
    if warn and any(f.exceeded for f in findings):
        exceeded = "; ".join(f"{f.rule} {f.value:g} {f.unit} > {f.limit:g} {f.unit} ({f.source})"
                             for f in findings if f.exceeded)
        warnings.warn(f"protocol {name!r} exceeds published safety limits: {exceeded}",
                      UserWarning, stacklevel=3)
    return SafetyReport(name, tuple(findings), tuple(missing))


def _iti_finding(iti_s: float, pct_mt: float) -> Finding:
    # Chen et al. 1997: ITI <= 1 s unsafe above 100 % MT; 5 s shown safe at 110 % MT.
    if pct_mt > 100.0:
        return Finding("inter-train interval", iti_s, 1.0, "s", iti_s <= 1.0, CHEN_1997,
                       "intervals of 1 s or less were unsafe above 100 % MT; 5 s was safe at 110 % MT",
                       bound="min")
    return Finding("inter-train interval", iti_s, 0.0, "s", False, CHEN_1997,
                   "no inter-train limit reported at or below 100 % MT", bound="min")
