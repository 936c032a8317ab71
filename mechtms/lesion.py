"""The spinal lesion fed by descending corticospinal drive (``models/spinal_lesion.ant``).

What goes in is a :class:`DescendingDrive`: the tonic corticospinal output of the motor
cortex per day (relative to the intact animal, 1 = intact network at baseline weights) and,
for each session, its pulse times and the corticospinal volley each pulse evokes (relative to
the volley of one pulse at 100 % RMT in the baseline network; :func:`mechtms.mep.evoked_volley`
measures it). Nothing here knows what a "stimulation" is: a session is descending volleys.

The conversions, in order (docs/lesion.md gives the sources):

1. **volleys -> perilesional burst activity** (:func:`spinal_dose`). A volley recruits a
   fraction ``v^n/(v^n + v50^n)`` of the perilesional spinal neurons it reaches. Rostral to
   the cut the cut axons still end (share ``1 - f_caudal``); caudal to it only the spared and
   sprouted tract ``CST`` carries the volley. BDNF release needs bursts (Hartmann et al. 2001,
   EMBO J 20:5887; Balkowiec & Katz 2002, J Neurosci 22:10399; Edelmann et al. 2015, Neuron
   86:1041), so each discharge releases in proportion to ``c^2/(c^2 + K^2)``, with ``c`` the
   discharges summed over the last ~``tau_s``: 15 Hz trains release several times more per
   pulse than 1 Hz pulses. The session's release relative to the reference session
   (``sci_15hz_mouse`` volleys of 1 reaching an intact cord) is the dose added to ``act`` of
   the spinal ``bdnf_trkb_erk`` instance.
   The day's tonic drive above the intact level adds a constant ``act_tonic``
   (:func:`tonic_act`).
2. **spinal BDNF instance -> lesion**: its daily mean ``trophic`` (TrkB -> PI3K/Akt ->
   mTORC1 excess) is the lesion model's ``trophic_input`` for that day.
3. **tonic drive -> lesion**: ``drive_tonic`` of that day (lesion-level activity ``S``).
4. The lesion's ``CST`` at the start of each day sets how much of the next day's volleys
   reaches caudal neurons (sprouting feeds back on the activity it receives).

The two models run one day at a time (the same scheme as ``mechtms.coupling``), so each
day sees the previous day's connectivity.

>>> from mechtms import lesion, protocols
>>> drive = lesion.DescendingDrive.from_course(protocols.preset_course("sci_15hz_mouse"))
>>> ds = lesion.simulate(drive, days=28)                            # doctest: +SKIP
>>> float(ds.BMS.sel(day=28))                                       # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import __version__, _checks

if TYPE_CHECKING:
    from .protocols import Protocol

LESION_MODEL = "spinal_lesion"
BDNF_MODEL = "bdnf_trkb_erk"
#: Session whose volleys (1 per pulse) reaching an intact cord define spinal dose 1.
REFERENCE_PRESET = "sci_15hz_mouse"
#: Read-outs of the brief (lesion model, then spinal BDNF instance).
READOUTS = ("Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1", "BDNF", "pERK", "BMS", "CST")
LESION_VARS = ("Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1", "BMS", "CST", "G", "Inflam", "SD",
               "S", "Rec", "D")
BDNF_VARS = ("BDNF", "pERK", "pTrkB", "pAkt", "trophic")
#: Knock-outs: name -> (model, parameter changes) built by :func:`knockout_changes`.
KNOCKOUTS = ("Cx43", "TrkB")
#: Cx43 clamp level of the "Cx43" knock-out (relative to sham): about the untreated
#: transection's chronic Cx43, as an overexpression would hold it.
CX43_CLAMP_LEVEL = 1.5
#: Trk kinase block of the "TrkB" knock-out (K252a / ANA-12-like, fraction blocked).
TRK_BLOCK = 1.0
POINTS_PER_DAY = 24


@dataclass(frozen=True)
class ReleaseParams:
    """Volley -> perilesional burst release (step 1 of the module doc). All ASSUMED.

    Attributes
    ----------
    v50 : float
        Volley (relative to the 100 % RMT volley) that recruits half the perilesional
        neurons it reaches.
    n_v : float
        Steepness of that recruitment.
    tau_s : float
        Time over which successive discharges sum for release (s): residual calcium and
        dense-core vesicle priming decay within a few hundred ms.
    k_rel : float
        Summed discharges giving half-maximal release per discharge.
    n_rel : float
        Cooperativity of release in the summed discharges.
    tonic_equivalent : float
        Sustained fractional rise of the tonic descending drive whose daily BDNF release
        equals that of one reference session (:func:`tonic_act`). Asynchronous tonic firing
        releases little per spike (release needs bursts), so a 10 % rise all day is taken to
        match one session of 1,500 burst-evoking volleys.
    """

    v50: float = 1.0
    n_v: float = 2.0
    tau_s: float = 0.2
    k_rel: float = 2.0
    n_rel: float = 2.0
    tonic_equivalent: float = 0.1


@dataclass(frozen=True)
class DriveSession:
    """One session as the lesion sees it.

    Attributes
    ----------
    time_h : float
        Start (first pulse), hours since the injury (day 0, 00:00).
    protocol : mechtms.protocols.Protocol
        Its pulse pattern; only delivered pulses count.
    volley : float or array of shape (n_delivered,)
        Corticospinal volley each pulse evokes, relative to the volley of one pulse at
        100 % RMT in the baseline network (:func:`mechtms.mep.evoked_volley`).
    """

    time_h: float
    protocol: Protocol
    volley: float | np.ndarray = 1.0


@dataclass(frozen=True)
class DescendingDrive:
    """The corticospinal drive reaching the lesion over a course.

    Attributes
    ----------
    tonic : array of shape (n_days,)
        Tonic corticospinal output of each day ``0..n_days-1``, relative to the intact
        animal (1 = intact network at baseline weights). Days beyond its end repeat the
        last value.
    sessions : tuple of DriveSession
        Sessions in time order.
    """

    tonic: np.ndarray = field(default_factory=lambda: np.ones(1))
    sessions: tuple = ()

    def __post_init__(self):
        tonic = np.atleast_1d(np.asarray(self.tonic, dtype=float))
        if tonic.ndim != 1 or tonic.size == 0 or not np.all(np.isfinite(tonic)) or np.any(tonic < 0):
            raise ValueError(f"tonic must be a non-empty 1-D array of finite values >= 0 (relative to the "
                             f"intact animal), got {self.tonic!r}")
        object.__setattr__(self, "tonic", tonic)
        sessions = tuple(self.sessions)
        times = [s.time_h for s in sessions]
        if any(not isinstance(s, DriveSession) for s in sessions):
            raise ValueError("sessions must be DriveSession values")
        if any(b < a for a, b in zip(times, times[1:], strict=False)):
            raise ValueError(f"sessions must be in time order, got start times {times}")
        for s in sessions:
            _checks.finite_number("session time_h", s.time_h, low=0, low_open=True)
            if float(s.time_h) % 24.0 == 0.0:
                raise ValueError(f"a session starts exactly at midnight (time_h={s.time_h:g}); the lesion runs "
                                 f"day by day from midnight, so move it by a minute")
            v = np.asarray(s.volley, dtype=float)
            if not np.all(np.isfinite(v)) or np.any(v < 0):
                raise ValueError(f"session volley must be finite and >= 0, got {s.volley!r}")
            if v.ndim == 1 and v.size != s.protocol.n_delivered:
                raise ValueError(f"session at {s.time_h:g} h: {v.size} volleys for "
                                 f"{s.protocol.n_delivered} delivered pulses")
        object.__setattr__(self, "sessions", sessions)

    def tonic_on(self, day: int) -> float:
        return float(self.tonic[min(day, self.tonic.size - 1)])

    @classmethod
    def from_course(cls, course, volley: float = 1.0, tonic=1.0) -> DescendingDrive:
        """Every session of ``course`` with the same ``volley`` per pulse, and ``tonic`` output.

        ``tonic``: scalar or one value per day. A sham course delivers no pulse (dose 0).
        """
        volley = _checks.finite_number("volley", volley, low=0)
        sessions = tuple(DriveSession(float(t), course.protocol, volley) for t in course.session_start_times_h())
        return cls(tonic=np.atleast_1d(np.asarray(tonic, dtype=float)), sessions=sessions)


# ---- step 1: volleys -> perilesional burst release ---------------------------------------
def release(pulse_times_s, volley, params: ReleaseParams = ReleaseParams()) -> float:
    """Burst-weighted release of one session by neurons receiving ``volley`` per pulse.

    Parameters
    ----------
    pulse_times_s : array (P,), seconds, increasing
    volley : float or array (P,)
        Volley reaching the neurons (relative to the 100 % RMT volley).

    Returns
    -------
    float: ``sum_k p_k c_k^n/(c_k^n + K^n)`` with recruitment ``p_k`` and discharges
    summed over ``tau_s``: ``c_k = c_{k-1} exp(-dt/tau_s) + p_k``.
    """
    t = np.asarray(pulse_times_s, dtype=float)
    if t.size == 0:
        return 0.0
    v = np.broadcast_to(np.asarray(volley, dtype=float), t.shape)
    p = v**params.n_v / (v**params.n_v + params.v50**params.n_v)
    decay = np.exp(-np.diff(t, prepend=t[0]) / params.tau_s)
    c = np.empty_like(p)
    acc = 0.0
    for k in range(p.size):  # a linear filter; P <= a few thousand per session
        acc = acc * decay[k] + p[k]
        c[k] = acc
    cn = c**params.n_rel
    return float(np.sum(p * cn / (cn + params.k_rel**params.n_rel)))


_REFERENCE_RELEASE: dict = {}


def reference_release(params: ReleaseParams = ReleaseParams()) -> float:
    """:func:`release` of the reference session (:data:`REFERENCE_PRESET`, volley 1)."""
    if params not in _REFERENCE_RELEASE:
        from .protocols import preset

        _REFERENCE_RELEASE[params] = release(preset(REFERENCE_PRESET).delivered_pulse_times_s(), 1.0, params)
    return _REFERENCE_RELEASE[params]


def spinal_dose(session: DriveSession, cst: float, f_caudal: float,
                params: ReleaseParams = ReleaseParams()) -> float:
    """Dose of one session for the spinal BDNF instance's ``act`` (1 = reference session).

    Rostral neurons (share ``1 - f_caudal``) receive the whole volley, caudal ones the volley
    thinned to ``cst`` (spared + sprouted corticospinal transmission).
    """
    t = session.protocol.delivered_pulse_times_s()
    v = np.asarray(session.volley, dtype=float)
    rostral = release(t, v, params)
    caudal = release(t, v * cst, params) if f_caudal > 0 else 0.0
    return ((1.0 - f_caudal) * rostral + f_caudal * caudal) / reference_release(params)


def tonic_act(drive_tonic: float, cst: float, f_caudal: float, tau_act_h: float,
              params: ReleaseParams = ReleaseParams()) -> float:
    """``act_tonic`` of the spinal BDNF instance for a day of tonic descending drive.

    The excess input to perilesional neurons, ``(drive_tonic - 1) (1 - f_caudal + f_caudal
    cst)``, in units of :attr:`ReleaseParams.tonic_equivalent`, spread over the day: a
    sustained excess equal to ``tonic_equivalent`` gives the same integral of ``act`` over 24 h
    (``24 act_tonic``) as one session of dose 1 (``tau_act_h``). Zero at the intact tonic
    level; negative below it (a depressed cortex releases less than at rest).
    """
    excess = (float(drive_tonic) - 1.0) * (1.0 - f_caudal + f_caudal * cst)
    return excess / params.tonic_equivalent * tau_act_h / 24.0


# ---- knock-outs --------------------------------------------------------------------------
def knockout_changes(knockouts) -> tuple[dict, dict]:
    """(lesion changes, spinal BDNF changes) for biological knock-outs.

    ``knockouts``: names from :data:`KNOCKOUTS`, or a mapping name -> level
    (``{"Cx43": 2.0}`` clamps Cx43 at 2; ``{"TrkB": 0.8}`` blocks 80 % of Trk kinase).
    ``"Cx43"`` holds Cx43 at a fixed level whatever the drive (a Cx43 blocker or
    overexpression experiment); ``"TrkB"`` blocks Trk kinase in the spinal instance
    (K252a / ANA-12).
    """
    items = dict(knockouts) if isinstance(knockouts, Mapping) else {k: None for k in (knockouts or ())}
    lesion, bdnf = {}, {}
    for name, level in items.items():
        _checks.choice("knockout", name, KNOCKOUTS)
        if name == "Cx43":
            level = CX43_CLAMP_LEVEL if level is None else _checks.finite_number("Cx43 clamp level", level, low=0)
            lesion.update({"cx43_clamp": 1.0, "cx43_level": level, "Cx43": level})
        else:
            level = TRK_BLOCK if level is None else _checks.finite_number("TrkB block", level, low=0, high=1)
            bdnf["trk_inhib"] = level
    return lesion, bdnf


# ---- the day-by-day run ---------------------------------------------------------------------
def simulate(descending_drive: DescendingDrive | None = None, days: int = 28, injury: float = 1.0, *,
             changes: Mapping[str, float] | None = None, bdnf_changes: Mapping[str, float] | None = None,
             knockouts=(), release_params: ReleaseParams = ReleaseParams(), readout_hour: float = 20.0,
             hourly: bool = False):
    """Run the lesion under a descending drive; daily read-outs.

    Parameters
    ----------
    descending_drive : DescendingDrive, optional
        Default: no session and tonic output 1 (the untreated lesion).
    days : int
        Last day simulated (day 0 is the injury); output days ``0..days``.
    injury : float
        Fraction of descending axons cut, 0 (sham surgery) to 1 (complete transection).
    changes : mapping, optional
        Parameters of ``spinal_lesion`` (e.g. ``{"h_trk_cx43": 0}`` turns hypothesis H1 off).
    bdnf_changes : mapping, optional
        Parameters of the spinal ``bdnf_trkb_erk`` instance (its ``act`` is set here).
    knockouts : sequence or mapping
        ``"Cx43"`` (clamp) and/or ``"TrkB"`` (Trk block); see :func:`knockout_changes`.
    release_params : ReleaseParams
    readout_hour : float
        Clock hour of the daily read-outs (default 20:00, as the chain's ``sci`` condition).
    hourly : bool
        Also return the hourly time courses (``time`` dim, hours) as ``ds_hourly`` in a tuple.

    Returns
    -------
    xarray.Dataset
        Dim ``day`` (0..days): the read-outs of :data:`READOUTS` plus ``G``, ``Inflam``,
        ``S``, ``Rec``, ``D``, ``pTrkB``, ``pAkt``, ``trophic`` (daily mean), ``drive_tonic``;
        dim ``session``: ``session_time_h``, ``spinal_dose``, ``volley_mean``. Units in
        ``attrs["units"]``, provenance in ``attrs``. With ``hourly=True``: ``(daily, hourly)``.
    """
    import xarray as xr

    from . import ode
    from .pathways import daily

    days = _checks.whole_number("days", days, low=1, high=3650)
    injury = _checks.finite_number("injury", injury, low=0, high=1)
    readout_hour = _checks.finite_number("readout_hour", readout_hour, low=0, high=24, high_open=True)
    drive = descending_drive if descending_drive is not None else DescendingDrive()
    if not isinstance(drive, DescendingDrive):
        raise ValueError(f"descending_drive must be a DescendingDrive, got {type(drive).__name__}")
    ko_lesion, ko_bdnf = knockout_changes(knockouts)
    lesion_changes = {"injury": injury, **dict(changes or {}), **ko_lesion}
    for key in ("act", "act_tonic"):
        if key in dict(bdnf_changes or {}):
            raise ValueError(f"bdnf_changes may not set {key!r}: the descending drive sets it "
                             f"(spinal_dose, tonic_act)")
    spinal_changes = {**dict(bdnf_changes or {}), **ko_bdnf}
    f_caudal = _parameter(LESION_MODEL, "f_caudal", lesion_changes)
    tau_act_h = _parameter(BDNF_MODEL, "tau_act", spinal_changes)

    state_l = {k: v for k, v in ko_lesion.items() if k == "Cx43"} or None
    state_b = None
    lesion_pieces, bdnf_pieces, doses = [], [], []
    for d in range(days + 1):
        t0, t1 = 24.0 * d, 24.0 * (d + 1)
        today = [s for s in drive.sessions if t0 < s.time_h < t1]
        cst = _cst(state_l, lesion_changes)
        day_doses = [spinal_dose(s, cst, f_caudal, release_params) for s in today]
        doses.extend(day_doses)
        course = _day_course(today, d)
        act_tonic = tonic_act(drive.tonic_on(d), cst, f_caudal, tau_act_h, release_params)
        bd = ode.simulate_model(BDNF_MODEL, course=course, session_doses=day_doses if today else None,
                                changes={**spinal_changes, "act_tonic": act_tonic}, t_start=t0, t_end=t1, points=POINTS_PER_DAY * 4 + 1,
                                selections=list(BDNF_VARS), initial_state=state_b)
        state_b = json.loads(bd.attrs["final_state"])
        trophic = float(np.trapezoid(bd.trophic.values, bd.time.values) / 24.0)
        day_changes = {**lesion_changes, "drive_tonic": drive.tonic_on(d), "trophic_input": trophic}
        le = ode.simulate_model(LESION_MODEL, changes=day_changes, t_start=t0, t_end=t1,
                                points=POINTS_PER_DAY + 1, selections=list(LESION_VARS), initial_state=state_l)
        state_l = json.loads(le.attrs["final_state"])
        le["trophic"] = ("time", np.full(le.sizes["time"], trophic), {"units": "dimensionless"})
        le["drive_tonic"] = ("time", np.full(le.sizes["time"], drive.tonic_on(d)), {"units": "relative to intact"})
        last = d == days
        lesion_pieces.append(le if last else le.isel(time=slice(None, -1)))
        bdnf_pieces.append(bd.drop_vars("trophic") if last else bd.drop_vars("trophic").isel(time=slice(None, -1)))
    lesion_h = _concat(lesion_pieces)
    bdnf_h = _concat(bdnf_pieces)
    out = daily(lesion_h, how="at", hour=readout_hour)
    spinal = daily(bdnf_h, how="at", hour=readout_hour)
    for name in spinal.data_vars:
        out[name] = spinal[name]
    mean_trophic = daily(lesion_h[["trophic", "drive_tonic"]], how="mean")
    out["trophic"] = mean_trophic["trophic"].reindex(day=out.day.values)
    out["trophic"].attrs = {"units": "dimensionless", "long_name": "daily mean trophic of the spinal instance"}
    _annotate(out)
    sessions = drive.sessions
    out = out.assign(
        session_time_h=("session", np.array([s.time_h for s in sessions if s.time_h < 24.0 * (days + 1)]),
                        {"units": "hour"}),
    )
    out["spinal_dose"] = ("session", np.asarray(doses, dtype=float),
                          {"units": "dimensionless (1 = reference session on an intact cord)"})
    out["volley_mean"] = ("session", np.array([float(np.mean(s.volley)) for s in sessions
                                               if s.time_h < 24.0 * (days + 1)]),
                          {"units": "relative to the 100 % RMT volley"})
    out.attrs = {
        "mechtms_version": __version__,
        "models": json.dumps([LESION_MODEL, BDNF_MODEL]),
        "injury": injury,
        "changes": json.dumps(dict(changes or {}), sort_keys=True),
        "bdnf_changes": json.dumps(dict(bdnf_changes or {}), sort_keys=True),
        "knockouts": json.dumps(sorted(dict(knockouts) if isinstance(knockouts, Mapping) else list(knockouts))),
        "release_params": json.dumps(release_params.__dict__, sort_keys=True),
        "readout_hour": readout_hour,
        "scheme": "day by day: spinal bdnf_trkb_erk (act = session doses), then spinal_lesion with that "
                  "day's mean trophic and tonic drive",
    }
    if hourly:
        spinal_h = bdnf_h.drop_vars("day", errors="ignore").interp(time=lesion_h.time.values)
        hourly_ds = xr.merge([lesion_h, spinal_h], compat="override", combine_attrs="drop")
        hourly_ds.attrs["time_unit"] = "hour"
        return out, hourly_ds
    return out


def _parameter(model: str, name: str, changes: Mapping[str, float]) -> float:
    if name in changes:
        return float(changes[name])
    from .models import load_model

    return float(load_model(model).getValue(name))


def _cst(state: Mapping[str, float] | None, changes: Mapping[str, float]) -> float:
    g = 0.0 if not state else float(state.get("G", 0.0))
    return min(1.0, max(0.0, 1.0 - float(changes.get("injury", 1.0)) + g))


def _day_course(sessions: Sequence[DriveSession], day: int):
    """A one-day Course holding ``sessions`` (for the BDNF instance's session events)."""
    if not sessions:
        return None
    from .protocols import Course

    clock = tuple(s.time_h - 24.0 * day for s in sessions)
    return Course(protocol=sessions[0].protocol, days=1, sessions_per_day=len(sessions), start_day=day,
                  clock_h=clock)


def _concat(pieces):
    import xarray as xr

    out = xr.concat(pieces, dim="time", data_vars="all", coords="different", compat="equals",
                    combine_attrs="override")
    for name in out.data_vars:
        out[name].attrs = dict(pieces[0][name].attrs)
    out.attrs["time_unit"] = "hour"
    return out


def _annotate(ds) -> None:
    relative = "relative to sham"
    units = {n: relative for n in ("Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1")}
    units.update({"BMS": "score (0-9)", "CST": "fraction of intact corticospinal transmission",
                  "G": "fraction of intact connectivity", "Inflam": "relative (acute injury = 1)",
                  "S": "relative to intact", "Rec": "fraction", "D": "relative (acute injury = 1)",
                  "BDNF": "nM", "pERK": "active fraction", "pTrkB": "active fraction", "pAkt": "active fraction"})
    for name, unit in units.items():
        if name in ds:
            ds[name].attrs["units"] = unit
    ds["BMS"].attrs["proxy"] = ("Basso Mouse Scale proxy: 9 x loco(CST) x (1 - injury (1 - Rec)); "
                                "see models/spinal_lesion.ant")
    ds["CST"].attrs["long_name"] = "spared + sprouted corticospinal transmission (input of mechtms.mep.probe)"
