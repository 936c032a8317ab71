"""The stroke condition's course runner: sessions over one target, daily read-outs of both hemispheres.

``simulate(course, condition, seed, target=...)`` returns the same kind of Dataset as the
cortex chain (dims ``day`` and ``session``, ``attrs["units"]`` per variable), so scans,
cohorts and notebooks treat it alike. Per session (the stimulated structure only):

* ``target="contralesional_M1"`` or ``"ipsilesional_M1"``: the chain's unit step
  :func:`mechtms.coupling.session_step` for each session, the same code as the cortex
  chain: the stimulated hemisphere's column runs the session with its E->E weights at the
  carried weight, its sampled E->E synapses drive the plasticity population, and the early
  change and the session's evoked activity (BDNF dose) go to consolidation until the next
  session. The sessions run on one hemisphere's column (:func:`session_options`), not on
  the two-hemisphere network (``docs/stroke.md``, "Sessions"). On read-out days the
  hemisphere's E->E weights are scaled by the chain's conversion
  (:func:`mechtms.coupling.weight_to_network_scale` of ``w_total``) and, with
  ``callosal_plastic``, so are its callosal output synapses (ASSUMED: they belong to the
  same stimulated cells; 1 Hz rTMS over one M1 reduces the IHI it exerts: Gilio et al.
  2003, Takeuchi et al. 2005 — see ``docs/stroke.md``);
* ``target="cerebellum"``: the Purkinje gain of :mod:`mechtms.stroke.cerebellum`, which
  sets the thalamic input of the ipsilesional M1 (the contralesional cerebellar hemisphere
  projects to it).

Every day, at ``readout_clock_h``, the two-hemisphere network with that day's weights,
thalamic gain and lesion is probed (:mod:`mechtms.stroke.probes`):

* ``MEP_ipsilesional`` / ``MEP_contralesional`` (mV): test pulses at ``test_intensity`` % RMT
  through :func:`mechtms.mep.pool_response` (the ipsilesional tract conducts ``cst(t)``, the
  spared and spontaneously recovering fraction); ``MEP_present`` (clinical criterion,
  >= 50 uV in >= 5 of 10 trials at ``max_intensity``);
* ``IHI`` (contralesional -> ipsilesional, conditioned / unconditioned, 10 ms);
* ``tonic_ipsilesional`` / ``tonic_contralesional`` (Hz): resting output rates;
* ``drive``: the affected side's descending drive relative to the healthy network, the
  mean of its tonic output and of its task output (the test response conditioned by a
  contralesional co-activation, Murase et al. 2004's IHI at movement onset), times the
  conducting fraction ``cst(t)``; in the ``"bimodal"`` balance model (Di Pino et al. 2014)
  a low structural reserve adds a share of the contralesional output (mean of its tonic and
  evoked output relative to healthy: vicariation);
* ``asymmetry`` (the model's pdBSI) and the tonic output rates, from a resting run;
* ``BBS``: :func:`mechtms.stroke.proxies.bbs` of ``drive``.

Network states lie on one scalar per arm (the stimulated side's weight scale, or the
ipsilesional thalamic gain); they are probed on a grid (``weight_step``) once per grid point
and seed, and days in between are interpolated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .. import __version__, _checks
from ..consolidation import Training
from . import cerebellum as cb
from . import hemispheres as H
from . import probes as P
from . import proxies as X

TARGETS = ("contralesional_M1", "ipsilesional_M1", "cerebellum")
BALANCE_MODELS = ("competition", "bimodal")


@dataclass(frozen=True)
class StrokeSettings:
    """Everything the stroke runner needs besides the course (defaults documented in ``docs/stroke.md``).

    Attributes
    ----------
    hemispheres : Hemispheres
        Network of both M1s (1,000 neurons per side).
    lesion : Lesion
        Left hemisphere; 20 % of its cells lost, 40 % of its tract spared at onset (ASSUMED
        typical moderate stroke of the trials).
    onset_days : float
        Days from the stroke to day 0 of the course. ASSUMED 30 (subacute, where most trials
        and the larger cerebellar effects are: Brain and Behavior 2025 meta-analysis).
    bbs_start : float
        Population BBS at day 0 (ASSUMED 35, mid-range of the trials' baselines).
    balance_model : {"competition", "bimodal"}
    reserve_threshold, vicariation_max : float
        Bimodal model: below this structural reserve (spared tract at onset) the contralesional
        output supports the paretic side with weight ``vicariation_max * (1 - reserve/threshold)``.
        ASSUMED 0.5 and 0.3 (Di Pino et al. 2014 give the idea, not numbers).
    mf_input : float
        Mossy-fibre input of the contralesional cerebellum (crossed diaschisis; 1 = none).
    purkinje_rule : {"inverse", "cortical"}
    purkinje_fraction : float
    postural_weight : float
        Weight of the dentate output's deficit in the BBS impairment (:data:`mechtms.stroke.proxies.POSTURAL_WEIGHT`).
    callosal_plastic : bool
    test_intensity, max_intensity, task_intensity : float
        % RMT of the MEP test pulse (120), of the MEP-presence criterion (150: the maximal
        stimulator output for leg muscles is ~1.5 x their RMT, ASSUMED), of the contralesional
        co-activation in the task probe (120, ASSUMED).
    task_isi_ms : float
    n_trials : int
    asymmetry_s : float
        Resting recording for the pdBSI and the tonic output rates (s).
    cst_distribution : (a, b), optional
        Virtual patients: the spared tract at onset is drawn from Beta(a, b) by the run's
        seed (a subject is its seed: network instance and lesion severity), replacing
        ``lesion.cst_spared``; ``None`` keeps the lesion as given. :data:`PATIENTS` is the
        documented choice.
    rehabilitation : Training or None
        Therapy after each session (also after a sham session), as in most of the trials:
        it makes plasticity-related proteins that the session's tags capture (behavioural
        tagging, :class:`mechtms.consolidation.Training`, ASSUMED values). ``None``: rTMS
        alone, which leaves a subthreshold theta-burst session's change unconsolidated.
    weight_step : float
        Grid of the weight scale (or thalamic gain) on which the network is probed; days in
        between are interpolated linearly (as :func:`mechtms.mep.mep_stats` does). 0 probes
        every day's exact state (for a few read-out days).
    """

    hemispheres: H.Hemispheres = field(default_factory=H.Hemispheres)
    lesion: H.Lesion = field(default_factory=lambda: H.Lesion(side="left", cortical_loss=0.2, cst_spared=0.4))
    onset_days: float = 30.0
    bbs_start: float = 35.0
    balance_model: str = "competition"
    reserve_threshold: float = 0.5
    vicariation_max: float = 0.3
    mf_input: float = 1.0
    purkinje_rule: str = "inverse"
    purkinje_fraction: float = cb.PURKINJE_FRACTION
    postural_weight: float = X.POSTURAL_WEIGHT
    callosal_plastic: bool = True
    test_intensity: float = 120.0
    max_intensity: float = 150.0
    task_intensity: float = 120.0
    task_isi_ms: float = 10.0
    n_trials: int = 20
    asymmetry_s: float = 10.0
    weight_step: float = 0.01
    cst_distribution: tuple[float, float] | None = None
    rehabilitation: Training | None = field(default_factory=Training)

    def __post_init__(self) -> None:
        if not isinstance(self.hemispheres, H.Hemispheres):
            raise ValueError(f"hemispheres must be a Hemispheres, got {type(self.hemispheres).__name__}")
        if not isinstance(self.lesion, H.Lesion):
            raise ValueError(f"lesion must be a Lesion, got {type(self.lesion).__name__}")
        object.__setattr__(self, "rehabilitation", Training.check(self.rehabilitation, "rehabilitation"))
        _checks.choice("balance_model", self.balance_model, BALANCE_MODELS)
        _checks.choice("purkinje_rule", self.purkinje_rule, cb.RULES)
        _checks.finite_number("onset_days", self.onset_days, low=0.0, high=3650.0)
        _checks.finite_number("bbs_start", self.bbs_start, low=0.0, high=X.BBS_MAX, high_open=True)
        _checks.finite_number("mf_input", self.mf_input, low=0.3, high=1.5)
        _checks.finite_number("postural_weight", self.postural_weight, low=0.0, high=100.0)
        for name in ("reserve_threshold", "vicariation_max", "purkinje_fraction"):
            _checks.finite_number(name, getattr(self, name), low=0.0, high=1.0)
        for name in ("test_intensity", "max_intensity", "task_intensity"):
            _checks.finite_number(name, getattr(self, name), low=0.0, low_open=True, high=250.0)
        _checks.whole_number("n_trials", self.n_trials, low=4, high=1000)
        _checks.finite_number("asymmetry_s", self.asymmetry_s, low=2.0, high=600.0)
        _checks.finite_number("weight_step", self.weight_step, low=0.0, high=0.05)
        if self.cst_distribution is not None:
            a, b = self.cst_distribution
            _checks.finite_number("cst_distribution a", a, low=0.0, low_open=True, high=100.0)
            _checks.finite_number("cst_distribution b", b, low=0.0, low_open=True, high=100.0)

    def replace(self, **changes) -> StrokeSettings:
        return _checks.replace_fields(self, "stroke setting", changes)


#: Spread of the spared corticospinal tract at onset among trial patients: Beta(1, 5) (mean 0.17;
#: a third of patients above 0.2). CALIBRATED to a baseline share of ~30 % of patients with a
#: lesioned-side MEP at 150 % RMT (Wang et al. 2024 in the review: 8 patients of both arms had one
#: at baseline; ASSUMED ~13-16 per arm, as the review's trials; Kim et al. 2015, Ann Rehabil Med
#: 39:253: tibialis anterior MEPs in ~18 % of patients with severe weakness). Measured: the MEP
#: criterion is met from a spared fraction of ~0.45 at the read-out, i.e. ~0.2 at onset 30 days before.
PATIENTS = (1.0, 5.0)


def subject_lesion(settings: StrokeSettings, seed: int) -> H.Lesion:
    """The lesion of the subject ``seed`` (``settings.cst_distribution``) or the settings' lesion."""
    if settings.cst_distribution is None:
        return settings.lesion
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 161]))
    a, b = settings.cst_distribution
    return settings.lesion.replace(cst_spared=float(rng.beta(a, b)))


def check_target(target: str) -> str:
    """Validate a stimulation target name (``ValueError`` with close matches)."""
    return _checks.choice("target", target, TARGETS)


def stimulated_side(target: str, lesion: H.Lesion) -> str | None:
    """Hemisphere a target's pulses reach (None for the cerebellum)."""
    target = check_target(target)
    if target == "cerebellum":
        return None
    return lesion.side if target == "ipsilesional_M1" else lesion.contralesional


# ---- sessions ---------------------------------------------------------------------------------
def session_options(settings: StrokeSettings, network=None):
    """Network options of the stimulated hemisphere's sessions (:class:`mechtms.coupling.NetworkOptions`).

    Default: one hemisphere's column (``settings.hemispheres``: its network, ``n_per_side``
    neurons) with the chain's other defaults. The sessions run on that isolated column, not on the
    two-hemisphere network (``docs/stroke.md``, "Sessions"): the chain's plasticity population is
    driven by one network spec (:class:`mechtms.plasticity.NetworkDrive` has no prebuilt instance,
    stimulation mask or synapse-sample mask). Intensities are in % of that column's own RMT, as the
    plasticity layer's calibration.
    """
    from ..coupling import NetworkOptions

    if network is not None:
        if not isinstance(network, NetworkOptions):
            raise ValueError(f"network must be a mechtms.coupling.NetworkOptions, got {type(network).__name__}")
        return network
    hem = settings.hemispheres
    from ..network import networks as nets

    spec = hem.spec
    name = spec.name if isinstance(spec.name, str) and nets.get(spec.name) == spec else spec
    return NetworkOptions(network=name, n_neurons=hem.n_per_side)


_M1_COURSES: dict[tuple, dict] = {}


def _m1_course(course, seed: int, opts, days: np.ndarray, clock_h: float, feedback: bool = True,
               training: Training | None = None) -> dict:
    """Sessions over one M1 (cached per protocol, calendar, seed, network options, feedback,
    training and read-out days: the same sessions over either hemisphere leave the same weights)."""
    key = (course.protocol, tuple(course.session_start_times_h()), course.end_day, seed, opts, bool(feedback),
           tuple(int(d) for d in days), clock_h, training)
    if key not in _M1_COURSES:
        _M1_COURSES[key] = _m1_course_run(course, seed, opts, days, clock_h, feedback, training)
    return _M1_COURSES[key]


def _m1_course_run(course, seed: int, opts, days: np.ndarray, clock_h: float, feedback: bool,
                   training: Training | None = None) -> dict:
    """The chain's unit step (:func:`mechtms.coupling.session_step`) for every session: the network
    runs the session with its E->E weights at the carried weight, its sampled synapses drive the
    plasticity population, and consolidation runs to the next session; the weight at each read-out
    is read from the consolidation traces (hours since the course start)."""
    from .. import consolidation, coupling

    times = course.session_start_times_h()
    read_h = days * 24.0 + clock_h
    end_h = max((course.end_day + 1) * 24.0, float(read_h.max()) + 1.0)
    reference = coupling.reference_activity(seed, opts)
    state = coupling.CortexState.rest()
    traces = []
    first = float(times[0]) if times.size else end_h
    if first > 0:
        cons, tr = consolidation.step(state.consolidation, 0.0, 0.0, first, reference=reference)
        state = coupling.CortexState(cons, None)
        traces.append(tr)
    records = []
    for k, t_k in enumerate(times):
        t_next = float(times[k + 1]) if k + 1 < times.size else end_h
        state, tr, rec = coupling.session_step(course.protocol, state, t_next - float(t_k), seed=seed, opts=opts,
                                               reference=reference, feedback=feedback, training=training)
        traces.append(tr)
        records.append(rec)
    t = np.concatenate([tr.time.values for tr in traces])
    w = np.concatenate([tr["w_total"].values for tr in traces])
    order = np.argsort(t, kind="stable")
    w_day = np.interp(read_h, t[order], w[order])
    col = {name: np.array([float(r[name]) for r in records]) for name in
           ("early_dW", "weight_scale", "weight_clipped", "bdnf_dose", "dW_sd_percent", "post_spikes_per_cell")}
    return {"w_total": w_day, **col, "reference": reference}


# ---- daily probes -------------------------------------------------------------------------------
_PROBES: dict[str, dict] = {}
_ARRAYS = ("counts_ipsi", "counts_high", "counts_contra")


def _q(x: float, step: float) -> float:
    return round(round(float(x) / step) * step, 6)


def _probe_path(key: str):
    from pathlib import Path

    from ..network import stimulation

    return Path(stimulation._cache_path()).parent / "stroke_probes" / f"{key}.npz"


def probe_state(settings: StrokeSettings, seed: int, *, lesion: H.Lesion | None, weight: dict, callosal: dict,
                gain: dict, cache: bool = True) -> dict:
    """Network read-outs of one state: volleys, IHI, task output; tonic output rates and the pdBSI
    from a resting run of ``asymmetry_s``. Cached in memory and on disk
    (``$MECHTMS_CACHE_DIR/stroke_probes``) by the state, the settings that matter, the seed,
    the engine revision and the package version.

    ``weight``, ``callosal``, ``gain``: per-side E->E scale, callosal scale, thalamic gain.
    The lesion's ``cst_spared`` is not used here (it only thins the tract, :func:`mechtms.mep.pool_response`).
    """
    import hashlib
    import json

    from ..network import stimulation

    hem = settings.hemispheres
    les = None if lesion is None else lesion.replace(cst_spared=1.0)
    text = repr((__version__, stimulation.ENGINE_REVISION, hem, les, seed, settings.n_trials,
                 settings.test_intensity, settings.max_intensity, settings.task_intensity,
                 settings.task_isi_ms, settings.asymmetry_s, sorted(weight.items()), sorted(callosal.items()),
                 sorted(gain.items())))
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    if cache and key in _PROBES:
        return _PROBES[key]
    path = _probe_path(key)
    if cache and path.exists():
        try:
            with np.load(path) as f:
                out = {k: f[k].astype(np.int64) for k in _ARRAYS}
                out.update(json.loads(str(f["scalars"])))
            _PROBES[key] = out
            return out
        except (OSError, ValueError, KeyError):
            pass
    net = H.build(hem, seed, lesion=les, weight_scale_ee=weight, thalamic_gain=gain, callosal_scale=callosal)
    x = hem.x_rmt()
    ipsi = "left" if lesion is None else lesion.side
    contra = H.SIDES[1 - H.SIDES.index(ipsi)]
    n = settings.n_trials
    test = P.volleys(net, x, target=ipsi, intensity=settings.test_intensity, n_trials=n, seed=seed)
    task = P.volleys(net, x, target=ipsi, intensity=settings.test_intensity, n_trials=n, seed=seed,
                     conditioning=(contra, settings.task_intensity, settings.task_isi_ms))
    high = P.volleys(net, x, target=ipsi, intensity=settings.max_intensity, n_trials=10, seed=seed + 1)
    other = P.volleys(net, x, target=contra, intensity=settings.test_intensity, n_trials=n, seed=seed + 2)
    act = P.resting_activity(net, settings.asymmetry_s, seed=seed + 3)
    n_out = test["n_output"]
    ev_test = float(P.evoked_volley(test["counts"][ipsi], n_out[ipsi]).mean())
    ev_task = float(P.evoked_volley(task["counts"][ipsi], n_out[ipsi]).mean())
    scalars = {
        "n_output": int(n_out[ipsi]),
        "volley_ipsilesional": ev_test,
        "volley_ipsilesional_max": float(P.evoked_volley(high["counts"][ipsi], n_out[ipsi]).mean()),
        "volley_contralesional": float(P.evoked_volley(other["counts"][contra], n_out[contra]).mean()),
        "task_ipsilesional": ev_task, "IHI": ev_task / ev_test if ev_test > 0 else float("nan"),
        "tonic_ipsilesional": act["output_hz"][ipsi], "tonic_contralesional": act["output_hz"][contra],
        "asymmetry": X.pdbsi(act[ipsi], act[contra], act["fs_hz"]),
    }
    out = {"counts_ipsi": test["counts"][ipsi], "counts_high": high["counts"][ipsi],
           "counts_contra": other["counts"][contra], **scalars}
    if cache:
        _PROBES[key] = out
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(path, scalars=json.dumps(scalars), **{k: out[k] for k in _ARRAYS})
        except OSError:
            pass
    return out


def _healthy_reference(settings: StrokeSettings, seed: int) -> dict:
    one = {s: 1.0 for s in H.SIDES}
    return probe_state(settings, seed, lesion=None, weight=one, callosal=one, gain=one)


def _drive(p: dict, ref: dict, cst: float, settings: StrokeSettings, reserve: float) -> float:
    """Descending drive of the affected side relative to the healthy network (see module doc);
    ``reserve``: the spared tract at onset (the bimodal model's structural reserve)."""
    tonic = p["tonic_ipsilesional"] / ref["tonic_ipsilesional"]
    task = max(0.0, p["task_ipsilesional"]) / ref["task_ipsilesional"]
    drive = 0.5 * (tonic + task) * cst
    if settings.balance_model == "bimodal":
        v = settings.vicariation_max * max(0.0, 1.0 - reserve / settings.reserve_threshold)
        drive += v * 0.5 * (p["tonic_contralesional"] / ref["tonic_contralesional"]
                            + p["volley_contralesional"] / ref["volley_contralesional"])
    return float(drive)


# ---- the course's states -----------------------------------------------------------------------
def resolve_course(course, target: str | None = None):
    """A Course from a Course, Protocol or preset name, and its target (see :func:`simulate`)."""
    from ..protocols import Course, Protocol, preset, preset_course

    if isinstance(course, str):
        try:
            course = preset_course(course)
        except (KeyError, ValueError):
            course = preset(course)
    if isinstance(course, Protocol):
        course = Course(protocol=course, days=14, days_per_week=5, start_day=1)
    if not isinstance(course, Course):
        raise ValueError(f"course must be a Course, a Protocol or a preset name, got {type(course).__name__}")
    if course.target and target is not None and check_target(target) != course.target:
        raise ValueError(f"target={target!r} contradicts the course's target {course.target!r}; "
                         f"use course.replace(target=...) to move a course")
    return course, check_target(course.target or target or "contralesional_M1")


def course_states(course, target: str, seed: int, settings: StrokeSettings, lesion: H.Lesion, day: np.ndarray,
                  readout_clock_h: float = 20.0, *, network=None, coupling: bool = True) -> dict:
    """What the sessions leave at each read-out day: arrays over ``day``.

    Returns ``w_total``, ``pc_gain``, ``dentate``, ``thalamic_gain`` (ipsilesional), ``scale``
    (E->E factor of the stimulated side), ``value`` (the one scalar the network state varies
    along: ``scale`` for an M1 target, ``thalamic_gain`` for the cerebellum), ``cst``, and
    ``early_dW`` (per session), ``side`` (stimulated hemisphere or None), ``sessions`` (per-session
    records of :func:`mechtms.coupling.session_step` for an M1 target, else None).
    ``network``: the sessions' :class:`mechtms.coupling.NetworkOptions` (:func:`session_options`);
    ``coupling=False``: every session sees the baseline network and synapses.
    """
    side = stimulated_side(target, lesion)
    w_total = np.zeros(day.size)
    pc_gain = np.ones(day.size)
    sessions = None
    dose = None
    if side is not None:
        sessions = _m1_course(course, seed, session_options(settings, network), day, readout_clock_h, coupling,
                              settings.rehabilitation)
        w_total, early, dose = sessions["w_total"], sessions["early_dW"], sessions["bdnf_dose"]
    else:
        cer = cb.purkinje_gain_course(course.protocol, course.session_start_times_h(), day,
                                      rule=settings.purkinje_rule, fraction=settings.purkinje_fraction,
                                      readout_clock_h=readout_clock_h, seed=seed,
                                      network=session_options(settings, network),
                                      training=settings.rehabilitation)
        pc_gain, w_total, early = cer["pc_gain"], cer["w_total"], cer["early_dW"]
        dose = cer["bdnf_dose"]
    from ..coupling import weight_to_network_scale

    # the hemisphere's E->E factor at the read-out: the chain's conversion (mechtms.coupling)
    scale = (np.array([weight_to_network_scale(w)[0] for w in w_total]) if side is not None
             else np.ones(day.size))
    drive_rel = np.array([cb.thalamic_drive(g, settings.mf_input) for g in pc_gain])
    gain_ipsi = np.array([cb.thalamic_gain(d) for d in drive_rel])
    return {"w_total": w_total, "pc_gain": pc_gain, "early_dW": np.asarray(early), "bdnf_dose": dose, "side": side, "sessions": sessions,
            "dentate": np.array([cb.dentate_output(g, settings.mf_input) for g in pc_gain]),
            "thalamic_gain": gain_ipsi, "scale": scale, "value": scale if side is not None else gain_ipsi,
            "cst": X.spared_output(lesion.cst_spared, settings.onset_days + day)}


def network_state(value: float, side: str | None, lesion: H.Lesion, settings: StrokeSettings) -> dict:
    """Per-side weight, callosal and thalamic factors of the state ``value`` (see :func:`course_states`)."""
    weight = {s: 1.0 for s in H.SIDES}
    callosal = {s: 1.0 for s in H.SIDES}
    gain = {s: 1.0 for s in H.SIDES}
    if side is not None:
        weight[side] = value
        if settings.callosal_plastic:
            callosal[side] = value
    else:
        gain[lesion.side] = value
    return {"weight": weight, "callosal": callosal, "gain": gain}


def grid_nodes(value: float, step: float) -> list[tuple[float, float]]:
    """The grid points bracketing ``value`` and their linear-interpolation weights (``step`` 0:
    the value itself, rounded to 1e-6)."""
    if step == 0:
        return [(round(float(value), 6), 1.0)]
    lo = _q(np.floor(value / step + 1e-9) * step, step)
    frac = float(np.clip((value - lo) / step, 0.0, 1.0))
    return [(lo, 1.0 - frac)] + ([(_q(lo + step, step), frac)] if frac > 1e-9 else [])


def readouts(value: float, cst: float, *, side: str | None, lesion: H.Lesion, settings: StrokeSettings,
             seed: int, ref: dict, pool_seed: int) -> dict:
    """All daily read-outs at the state ``value`` with the conducting fraction ``cst`` (interpolated
    between the bracketing grid states)."""
    from .. import mep

    pool = mep.default_pool(settings.hemispheres.spec.name)  # the motoneuron pool calibrated for this network
    acc: dict[str, float] = {}
    for node, wgt in grid_nodes(value, settings.weight_step):
        p = probe_state(settings, seed, lesion=lesion, **network_state(node, side, lesion, settings))
        m_ipsi = mep.pool_response(p["counts_ipsi"], p["n_output"], cst, pool=pool, seed=pool_seed)["mep_mV"]
        m_high = mep.pool_response(p["counts_high"], p["n_output"], cst, pool=pool, seed=pool_seed)["mep_mV"]
        m_contra = mep.pool_response(p["counts_contra"], p["n_output"], 1.0, pool=pool, seed=pool_seed)["mep_mV"]
        vals = {"MEP_ipsilesional": float(m_ipsi.mean()), "MEP_ipsilesional_max": float(m_high.mean()),
                "MEP_contralesional": float(m_contra.mean()),
                "MEP_hits": float(np.count_nonzero(m_high >= mep.MEP_CRITERION_MV)),
                "drive": _drive(p, ref, cst, settings, lesion.cst_spared),
                **{k: p[k] for k in ("IHI", "volley_ipsilesional", "volley_ipsilesional_max",
                                     "volley_contralesional", "task_ipsilesional", "tonic_ipsilesional",
                                     "tonic_contralesional", "asymmetry")}}
        for k, v in vals.items():
            acc[k] = acc.get(k, 0.0) + wgt * v
    acc["MEP_present"] = float(acc.pop("MEP_hits") >= mep.RMT_HITS)
    return acc


# ---- the runner ------------------------------------------------------------------------------
_UNITS = {"MEP_ipsilesional": "mV", "MEP_ipsilesional_max": "mV", "MEP_contralesional": "mV", "MEP_present": "1",
          "IHI": "1", "volley_ipsilesional": "spikes per output cell", "volley_ipsilesional_max": "spikes per output cell",
          "volley_contralesional": "spikes per output cell", "task_ipsilesional": "spikes per output cell",
          "tonic_ipsilesional": "Hz", "tonic_contralesional": "Hz", "drive": "1", "asymmetry": "1"}
_LONG = {"MEP_ipsilesional": "lesioned side, test_intensity", "MEP_ipsilesional_max": "lesioned side, max_intensity",
         "MEP_contralesional": "unaffected side, test_intensity",
         "MEP_present": "MEP >= 50 uV in >= 5 of 10 trials at max_intensity (lesioned side)",
         "IHI": "contralesional -> ipsilesional, conditioned / unconditioned evoked volley",
         "task_ipsilesional": "lesioned side's evoked volley with contralesional co-activation 10 ms before",
         "drive": "descending drive of the affected side relative to the healthy network (BBS proxy input)",
         "asymmetry": "model pdBSI of resting population rates"}


#: Options of :func:`simulate` besides the course, condition and seed (``mt.simulate`` passes them on).
OPTIONS = ("target", "settings", "days", "readout_days", "readout_clock_h", "coupling", "network", "progress",
           "training")
#: Variables of the runner's Dataset (daily, then per session): what a scan can read out.
VARIABLES = ("MEP_ipsilesional", "MEP_ipsilesional_max", "MEP_contralesional", "drive", "IHI", "volley_ipsilesional",
             "volley_ipsilesional_max", "volley_contralesional", "task_ipsilesional", "tonic_ipsilesional",
             "tonic_contralesional", "asymmetry", "MEP_present", "BBS", "impairment", "cst", "w_total",
             "weight_ipsilesional", "weight_contralesional", "thalamic_gain", "pc_gain", "dentate",
             "dW_percent", "session_day", "weight_scale", "weight_clipped", "bdnf_dose", "post_spikes_per_cell")


def simulate(course, condition=None, seed: int = 0, *, target: str | None = None,
             settings: StrokeSettings | None = None, days: int | None = None, readout_days=None,
             readout_clock_h: float | None = None, coupling: bool = True, network=None, progress: bool = False,
             training="default", **unknown):
    """Run a course over one target of the post-stroke brain; daily read-outs of both hemispheres.

    The engine of the ``stroke`` condition: ``mt.simulate(course, condition="stroke", seed=...,
    target=..., settings=...)`` calls it (``mechtms.stroke.condition``).

    Parameters
    ----------
    course : Course, Protocol or preset name
        A Protocol is given 2 weeks of 5 sessions; a preset name its own course.
    condition : Condition or str, optional
        The condition that dispatched here: its ``readout_clock_h`` is the default; its name
        goes into the provenance.
    seed : int
        Network instance, noise, probes (and, with ``settings.cst_distribution``, the patient's
        spared tract).
    target : {"contralesional_M1", "ipsilesional_M1", "cerebellum"}, optional
        Where the sessions go; default the course's own ``target``, else ``"contralesional_M1"``.
        A target that contradicts the course's is an error.
    settings : StrokeSettings, optional
    days : int, optional
        Read-out days 0..days (default: to the course's last day).
    readout_days : sequence of int, optional
        Probe only these days and day 0 (the BBS anchor), e.g. ``(14,)`` for baseline and
        course end in cohorts.
    readout_clock_h : float, optional
        Clock time of the daily read-outs (default the condition's, else 20 h).
    coupling : bool
        As in the cortex chain: ``False`` runs every M1 session on the baseline network and
        baseline synapses (no session-to-session feedback). The cerebellar rule has no network
        and ignores it.
    network : mechtms.coupling.NetworkOptions, optional
        How the stimulated hemisphere's sessions are run (default :func:`session_options`: one
        hemisphere's column of ``settings.hemispheres``). The daily probes always use the
        two-hemisphere network of ``settings``.
    progress : bool
        Print each read-out day's drive.
    training : Training, mapping of its fields, None or "default"
        Replaces ``settings.rehabilitation`` (None: rTMS alone); ``"default"`` keeps it.

    Returns
    -------
    xarray.Dataset over ``day`` (and ``session``); see the module docstring.
    """
    import xarray as xr

    if unknown:
        name = sorted(unknown)[0]
        raise _checks.unknown_name("option of the stroke runner", name, OPTIONS, exc=ValueError)
    if readout_clock_h is None:
        readout_clock_h = float(getattr(condition, "readout_clock_h", 20.0))
    readout_clock_h = _checks.finite_number("readout_clock_h", readout_clock_h, low=0, high=24, high_open=True)
    settings = StrokeSettings() if settings is None else settings
    if not isinstance(settings, StrokeSettings):
        raise ValueError(f"settings must be a StrokeSettings, got {type(settings).__name__}")
    if not Training.is_default(training):
        settings = settings.replace(rehabilitation=Training.check(training))
    seed = _checks.whole_number("seed", seed, low=0)
    course, target = resolve_course(course, target)
    last = course.end_day if days is None else _checks.whole_number("days", days, low=1, high=3650)
    if readout_days is None:
        day = np.arange(0, last + 1)
    else:
        day = np.unique(np.asarray([0] + [_checks.whole_number("readout_days", d, low=0, high=last)
                                          for d in np.atleast_1d(readout_days)], dtype=int))
    lesion = subject_lesion(settings, seed)
    opts = session_options(settings, network)
    st = course_states(course, target, seed, settings, lesion, day, readout_clock_h, network=opts,
                       coupling=bool(coupling))
    ref = _healthy_reference(settings, seed)
    rows = []
    for i, d in enumerate(day):
        rows.append(readouts(float(st["value"][i]), float(st["cst"][i]), side=st["side"], lesion=lesion,
                             settings=settings, seed=seed, ref=ref, pool_seed=seed))
        if progress:
            print(f"day {d}: drive {rows[-1]['drive']:.3f}", flush=True)
    data = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    # the population's score is known at day 0 (baseline, before the first session)
    imp = X.impairment(data["drive"], st["dentate"], settings.postural_weight)
    bbs = X.bbs(imp, max(float(imp[0]), 1e-3), settings.bbs_start)
    side = st["side"]
    ds = xr.Dataset(
        {k: ("day", v, {"units": _UNITS[k], **({"long_name": _LONG[k]} if k in _LONG else {})})
         for k, v in data.items()},
        coords={"day": ("day", day, {"units": "day"}),
                "session": ("session", np.arange(course.n_sessions), {"units": "1"})})
    ds["BBS"] = ("day", bbs, {"units": "points (0-56)", "long_name": "Berg Balance Scale proxy (not a balance model)"})
    ds["impairment"] = ("day", imp, {"units": "1", "long_name": "motor impairment behind the BBS proxy"})
    ds["cst"] = ("day", st["cst"], {"units": "1", "long_name": "spared ipsilesional corticospinal output"})
    ds["w_total"] = ("day", st["w_total"], {"units": "1 (fraction of baseline weight)",
                                            "long_name": "consolidated + early change of the stimulated synapses"})
    ds["weight_ipsilesional"] = ("day", st["scale"] if side == lesion.side else np.ones(day.size), {"units": "1"})
    ds["weight_contralesional"] = ("day", st["scale"] if side == lesion.contralesional else np.ones(day.size),
                                   {"units": "1"})
    ds["thalamic_gain"] = ("day", st["thalamic_gain"], {"units": "1", "long_name": "thalamic input factor, lesioned side"})
    ds["pc_gain"] = ("day", st["pc_gain"], {"units": "1", "long_name": "Purkinje output factor"})
    ds["dentate"] = ("day", st["dentate"], {"units": "1", "long_name": "dentate output relative to healthy"})
    ds["dW_percent"] = ("session", 100.0 * st["early_dW"], {"units": "%",
                                                            "long_name": "early change of the stimulated synapses"})
    ds["session_day"] = ("session", course.session_days, {"units": "day"})
    sess = st["sessions"]
    nan = np.full(course.n_sessions, np.nan)
    for name, unit, long in (
            ("weight_scale", "1", "stimulated hemisphere's E->E factor in the session (mechtms.coupling)"),
            ("weight_clipped", "1", "1 if the carried weight was clipped to the network's valid range"),
            ("bdnf_dose", "1 (1 = reference session)", "session input of the cortical BDNF model"),
            ("post_spikes_per_cell", "spikes", "evoked postsynaptic spikes per E cell over the session")):
        val = sess[name] if sess is not None else (st["bdnf_dose"] if name == "bdnf_dose" else nan)
        ds[name] = ("session", val, {"units": unit, "long_name": long})
    ds.attrs.update({
        "mechtms_version": __version__,
        "condition": "stroke" if condition is None else str(getattr(condition, "name", condition)),
        "target": target, "stimulated_side": side or "cerebellum", "seed": seed,
        "course": json.dumps(course.summary()), "protocol": course.protocol.label(),
        "sham": int(bool(course.protocol.sham)), "settings": repr(settings), "readout_clock_h": readout_clock_h,
        "cst_spared_onset": lesion.cst_spared, "network": settings.hemispheres.spec.name,
        "coupling": int(bool(coupling)), "session_network": json.dumps(opts.summary(), sort_keys=True, default=str),
        "condition_source": str(getattr(condition, "source", "")),
    })
    return ds
