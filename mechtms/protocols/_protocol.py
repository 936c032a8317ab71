"""The session protocol: an immutable description of what the stimulator delivers.

A session is built from *trains* of *bursts* of *pulses*:

* regular rTMS: a burst is one pulse; pulses repeat at ``frequency_hz`` within a train;
* theta burst: a burst is ``pulses_per_burst`` pulses at ``burst_frequency_hz``
  (50 Hz), bursts repeat at ``frequency_hz`` (5 Hz, theta) within a train;
* a train lasts ``train_s`` and is followed by ``iti_s`` of silence; a continuous
  protocol is a single train;
* paired associative stimulation (PAS): each TMS pulse is paired with a peripheral
  nerve stimulus given ``pas_isi_ms`` before it (the afferent volley reaches the cortex
  about 20 ms after a median-nerve stimulus, the N20; the network adds that latency).

Times are float64 seconds from the first pulse of the session (t = 0).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from .. import _checks

#: Intensity references and the hard ceiling accepted for each (percent).
#: Percent of resting/active motor threshold above the ceilings is far outside any
#: published protocol (Wassermann 1998 tabulates up to 220 % MT); %MSO cannot exceed 100.
#: "V/m" is the cortical E-field magnitude (e.g. from a SimNIBS head model): fields at
#: motor threshold are 50-70 V/m and single cortical neurons need 175-350 V/m (Weise et
#: al. 2025); 500 V/m is beyond any stimulator.
INTENSITY_CEILING = {"RMT": 250.0, "AMT": 300.0, "MSO": 100.0, "V/m": 500.0}

#: Pulse waveforms: the induced current of a monophasic pulse flows one way, a biphasic
#: pulse reverses it; thresholds differ (Aberra et al. 2020, Brain Stimul 13:175).
WAVEFORMS = ("biphasic", "monophasic")

#: Conventional ratio AMT/RMT used to compare intensities given against different
#: references. Assumption: AMT is typically 80-90 % of RMT in healthy adults
#: (e.g. Huang et al. 2005, Neuron 45:201, report AMT below RMT by ~15-20 %).
AMT_OVER_RMT = 0.82

KINDS = ("rtms", "theta_burst", "single", "pas")


@dataclass(frozen=True)
class Protocol:
    """One rTMS session.

    Build it with :func:`rtms`, :func:`itbs`, :func:`ctbs`, :func:`imtbs`,
    :func:`theta_burst`, :func:`single_pulses` or :func:`preset`; the constructor
    validates every field.

    Attributes
    ----------
    kind : {"rtms", "theta_burst", "single", "pas"}
    frequency_hz : float
        Burst repetition rate within a train (for regular rTMS, the pulse rate).
    pulses : int
        Pulses in the session (scheduled; a sham delivers none of them).
    intensity : float
        Stimulus intensity in percent of ``intensity_ref``.
    intensity_ref : {"RMT", "AMT", "MSO", "V/m"}
        Resting or active motor threshold, maximum stimulator output, or the cortical
        E-field magnitude in V/m (``intensity`` is then the field, not a percent).
    pulses_per_burst : int
        1 for regular rTMS, 3 for classic theta burst.
    burst_frequency_hz : float
        Pulse rate inside a burst (50 Hz for theta burst; unused when 1 pulse/burst).
    train_s : float or None
        Duration of one train (None: continuous, one train).
    iti_s : float
        Silence between the end of one train and the start of the next.
    sham : bool
        The same schedule, nothing delivered.
    waveform : {"biphasic", "monophasic"}
        Pulse waveform (default biphasic, the usual rTMS waveform).
    pas_isi_ms : float or None
        PAS only: interval from the peripheral nerve stimulus to the TMS pulse, ms
        (25: Stefan et al. 2000; 10: Wolters et al. 2003). None for every other kind.
    name, description : str
    """

    kind: str
    frequency_hz: float
    pulses: int
    intensity: float
    intensity_ref: str = "RMT"
    pulses_per_burst: int = 1
    burst_frequency_hz: float = 50.0
    train_s: float | None = None
    iti_s: float = 0.0
    sham: bool = False
    name: str = ""
    description: str = field(default="", compare=False)
    waveform: str = "biphasic"
    pas_isi_ms: float | None = None

    def __post_init__(self) -> None:
        _checks.choice("kind", self.kind, KINDS)
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        set_("frequency_hz", _checks.finite_number("frequency_hz", self.frequency_hz, low=0, low_open=True, high=1000))
        set_("pulses", _checks.whole_number("pulses", self.pulses, low=1, high=1_000_000))
        set_("intensity_ref", _checks.choice("intensity_ref", self.intensity_ref, tuple(INTENSITY_CEILING)))
        ceiling = INTENSITY_CEILING[self.intensity_ref]
        unit = "V/m" if self.intensity_ref == "V/m" else f"% {self.intensity_ref}"
        set_("intensity", _checks.finite_number(
            f"intensity ({unit})", self.intensity, low=0, low_open=True, high=ceiling))
        set_("pulses_per_burst", _checks.whole_number("pulses_per_burst", self.pulses_per_burst, low=1, high=100))
        set_("burst_frequency_hz", _checks.finite_number(
            "burst_frequency_hz", self.burst_frequency_hz, low=0, low_open=True, high=1000))
        set_("iti_s", _checks.finite_number("iti_s", self.iti_s, low=0))
        if self.train_s is not None:
            set_("train_s", _checks.finite_number("train_s", self.train_s, low=0, low_open=True))
        if not isinstance(self.sham, bool):
            raise ValueError(f"sham must be True or False, got {self.sham!r}")
        set_("waveform", _checks.choice("waveform", self.waveform, WAVEFORMS))
        if self.kind == "pas":
            if self.pas_isi_ms is None:
                raise ValueError("a PAS protocol needs pas_isi_ms (nerve stimulus to TMS pulse, ms), "
                                 "e.g. 25 (Stefan et al. 2000) or 10 (Wolters et al. 2003)")
            set_("pas_isi_ms", _checks.finite_number("pas_isi_ms", self.pas_isi_ms, low=-100, high=100))
            if self.pulses_per_burst != 1:
                raise ValueError(f"a PAS protocol pairs single pulses: pulses_per_burst must be 1, "
                                 f"got {self.pulses_per_burst}")
        elif self.pas_isi_ms is not None:
            raise ValueError(f"pas_isi_ms is for kind='pas' only, got pas_isi_ms={self.pas_isi_ms!r} "
                             f"with kind={self.kind!r}")
        if self.pulses_per_burst > 1:
            burst_span = self.pulses_per_burst / self.burst_frequency_hz
            period = 1.0 / self.frequency_hz
            if burst_span > period + 1e-12:
                raise ValueError(
                    f"bursts overlap: {self.pulses_per_burst} pulses at {self.burst_frequency_hz:g} Hz "
                    f"take {burst_span * 1e3:g} ms but bursts repeat every {period * 1e3:g} ms "
                    f"(frequency_hz={self.frequency_hz:g}); lower pulses_per_burst or frequency_hz, "
                    f"or raise burst_frequency_hz")
            if self.pulses % self.pulses_per_burst:
                raise ValueError(
                    f"pulses={self.pulses} is not a whole number of {self.pulses_per_burst}-pulse bursts; "
                    f"use a multiple of {self.pulses_per_burst}")
        if self.train_s is not None and self.bursts_per_train < 1:
            raise ValueError(
                f"train_s={self.train_s:g} s is shorter than one burst period "
                f"({1 / self.frequency_hz:g} s at frequency_hz={self.frequency_hz:g}); "
                f"a train must hold at least one {'burst' if self.pulses_per_burst > 1 else 'pulse'}")
        if self.train_s is not None and self.iti_s == 0 and self.n_trains > 1:
            # A zero gap between trains is a continuous protocol; say so rather than guess.
            raise ValueError(
                f"iti_s=0 with train_s={self.train_s:g}: trains would run into each other; "
                f"give iti_s > 0 or train_s=None for continuous stimulation")

    # ---- schedule -------------------------------------------------------------------
    @property
    def bursts_per_train(self) -> int:
        """Bursts (pulses, for regular rTMS) in one full train; all bursts if continuous."""
        if self.train_s is None:
            return self.n_bursts
        return int(math.floor(self.train_s * self.frequency_hz + 1e-9))

    @property
    def n_bursts(self) -> int:
        return self.pulses // self.pulses_per_burst

    @property
    def n_trains(self) -> int:
        return -(-self.n_bursts // self.bursts_per_train)

    @property
    def train_period_s(self) -> float:
        """Start-to-start time of consecutive trains (``train_s + iti_s``)."""
        if self.train_s is None:
            return math.inf
        return self.bursts_per_train / self.frequency_hz + self.iti_s

    @property
    def n_pulses(self) -> int:
        """Pulses scheduled in the session (the same for a sham)."""
        return self.pulses

    @property
    def n_delivered(self) -> int:
        """Pulses actually delivered: 0 for a sham."""
        return 0 if self.sham else self.pulses

    def pulse_times_s(self) -> np.ndarray:
        """Scheduled pulse times, shape (n_pulses,), float64 s; the first at 0.

        Pulse k of burst b of train j is at ``j*train_period_s + b/frequency_hz +
        k/burst_frequency_hz``. The sum is formed over the common denominator
        ``frequency_hz*burst_frequency_hz`` and divided once, so for integer-valued
        rates and pauses every time is the correctly rounded float64 of the exact value
        (iTBS 600 ends at exactly 191.84) and nothing accumulates over long sessions.
        """
        f, bf = self.frequency_hz, self.burst_frequency_hz
        burst_index = np.arange(self.n_bursts, dtype=np.float64)
        train = np.floor(burst_index / self.bursts_per_train)
        within = burst_index - train * self.bursts_per_train
        numerator = within * bf
        if self.n_trains > 1:
            numerator = numerator + train * (self.bursts_per_train * bf + self.iti_s * f * bf)
        k = np.arange(self.pulses_per_burst, dtype=np.float64)
        return ((numerator[:, None] + (k * f)[None, :]) / (f * bf)).ravel()

    def delivered_pulse_times_s(self) -> np.ndarray:
        """Pulse times that reach the cortex: the schedule, or an empty array for a sham."""
        return np.empty(0) if self.sham else self.pulse_times_s()

    def afferent_times_s(self) -> np.ndarray:
        """Peripheral nerve stimulus times (PAS), s on the pulse clock; empty for other kinds.

        Stimulus k precedes TMS pulse k by ``pas_isi_ms``, so the first is at
        ``-pas_isi_ms/1000`` (negative for a positive interval). When its volley reaches
        the cortex (the N20 latency) is the network's business, not the protocol's.
        """
        if self.kind != "pas" or self.pas_isi_ms is None:
            return np.empty(0)
        return self.pulse_times_s() - self.pas_isi_ms / 1000.0

    def delivered_afferent_times_s(self) -> np.ndarray:
        """Nerve stimuli actually given: :meth:`afferent_times_s`, or empty for a sham."""
        return np.empty(0) if self.sham else self.afferent_times_s()

    @property
    def duration_s(self) -> float:
        """First to last pulse, s (iTBS 600: 191.84 s; cTBS 600: 39.84 s; 1 Hz x 1200: 1199 s)."""
        return float(self.pulse_times_s()[-1])

    # ---- intensity ------------------------------------------------------------------
    def intensity_in(self, ref: str, *, amt_over_rmt: float = AMT_OVER_RMT,
                     rmt_mso: float | None = None) -> float:
        """Intensity expressed against another reference.

        Parameters
        ----------
        ref : {"RMT", "AMT", "MSO"}
        amt_over_rmt : float
            AMT as a fraction of RMT (assumption, default 0.82; see ``AMT_OVER_RMT``).
        rmt_mso : float, optional
            The subject's RMT in % MSO; required to convert to or from ``"MSO"``.
        """
        ref = _checks.choice("ref", ref, tuple(INTENSITY_CEILING))
        if ref == self.intensity_ref:
            return self.intensity
        if "V/m" in (ref, self.intensity_ref):
            raise ValueError(
                f"an intensity in V/m and one in % {ref if ref != 'V/m' else self.intensity_ref} are related "
                f"through the network model's own motor threshold: use mechtms.network (e.g. "
                f"mechtms.network.field_at_rmt()) rather than Protocol.intensity_in")
        needs_mso = "MSO" in (ref, self.intensity_ref)
        if needs_mso and rmt_mso is None:
            raise ValueError(
                f"converting % {self.intensity_ref} to % {ref} needs the subject's RMT in % MSO: "
                f"pass rmt_mso= (e.g. rmt_mso=45)")
        to_rmt = {"RMT": 1.0, "AMT": amt_over_rmt,
                  "MSO": 100.0 / rmt_mso if rmt_mso else math.nan}
        pct_rmt = self.intensity * to_rmt[self.intensity_ref]
        return pct_rmt / to_rmt[ref]

    @property
    def intensity_rmt(self) -> float:
        """Intensity in % RMT (AMT converted with ``AMT_OVER_RMT``; %MSO and V/m raise)."""
        return self.intensity_in("RMT")

    # ---- variants and description ---------------------------------------------------
    def replace(self, **changes) -> Protocol:
        """A copy with fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            name = sorted(unknown)[0]
            raise _checks.unknown_name("Protocol field", name, [f.name for f in dataclasses.fields(self)],
                                       exc=ValueError)
        return dataclasses.replace(self, **changes)

    def as_sham(self) -> Protocol:
        """The same schedule with nothing delivered."""
        name = self.name if self.name.startswith("sham") else f"sham_{self.name}" if self.name else "sham"
        return self.replace(sham=True, name=name)

    def safety(self):
        """Check against published safety limits; see :func:`mechtms.protocols.safety.check`."""
        from .safety import check

        return check(self)

    def summary(self) -> dict:
        """Plain-data description (for tables, provenance and the CLI)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "frequency_hz": self.frequency_hz,
            "pulses_per_burst": self.pulses_per_burst,
            "burst_frequency_hz": self.burst_frequency_hz if self.pulses_per_burst > 1 else None,
            "train_s": self.train_s,
            "iti_s": self.iti_s if self.train_s is not None else None,
            "pulses": self.pulses,
            "trains": self.n_trains,
            "intensity": self._intensity_text(),
            "waveform": self.waveform,
            "pas_isi_ms": self.pas_isi_ms,
            "duration_s": round(self.duration_s, 6),
            "sham": self.sham,
        }

    def _intensity_text(self) -> str:
        return f"{self.intensity:g} V/m" if self.intensity_ref == "V/m" else f"{self.intensity:g} % {self.intensity_ref}"

    def label(self) -> str:
        """Short human description, e.g. ``iTBS 600 pulses, 80 % AMT``."""
        if self.kind == "theta_burst":
            pattern = f"TBS {self.pulses_per_burst}x{self.burst_frequency_hz:g} Hz @ {self.frequency_hz:g} Hz"
        elif self.kind == "single":
            pattern = f"single pulses every {1 / self.frequency_hz:g} s"
        elif self.kind == "pas":
            pattern = f"PAS (nerve -> TMS {self.pas_isi_ms:g} ms) at {self.frequency_hz:g} Hz"
        else:
            pattern = f"{self.frequency_hz:g} Hz rTMS"
        train = "" if self.train_s is None else f", {self.train_s:g} s on/{self.iti_s:g} s off"
        sham = "sham " if self.sham else ""
        unit = "pairs" if self.kind == "pas" else "pulses"
        wave = ", monophasic" if self.waveform == "monophasic" else ""
        return f"{sham}{pattern}{train}, {self.pulses} {unit}, {self._intensity_text()}{wave}"


# ---- constructors ---------------------------------------------------------------------
def rtms(frequency_hz: float, pulses: int, intensity: float, train_s: float | None = None,
         iti_s: float | None = None, *, intensity_ref: str = "RMT", sham: bool = False,
         name: str = "", description: str = "", waveform: str = "biphasic") -> Protocol:
    """Regular (conventional) rTMS.

    Parameters
    ----------
    frequency_hz : float
        Pulse rate within a train, Hz.
    pulses : int
        Pulses per session.
    intensity : float
        Percent of ``intensity_ref`` (default resting motor threshold).
    train_s, iti_s : float, optional
        Train duration and the pause after each train, s. Both or neither: without them
        the stimulation is continuous (e.g. 1 Hz for 15 min).

    Examples
    --------
    >>> rtms(frequency_hz=10, pulses=3000, intensity=120, train_s=4, iti_s=26).n_trains
    75
    """
    if (train_s is None) != (iti_s is None):
        raise ValueError(
            f"give train_s and iti_s together (got train_s={train_s!r}, iti_s={iti_s!r}); "
            f"leave both out for continuous stimulation")
    return Protocol(kind="rtms", frequency_hz=frequency_hz, pulses=pulses, intensity=intensity,
                    intensity_ref=intensity_ref, train_s=train_s, iti_s=iti_s or 0.0, sham=sham,
                    name=name or _auto_name("rtms", frequency_hz, pulses), description=description,
                    waveform=waveform)


def theta_burst(pulses: int, intensity: float = 80.0, *, intensity_ref: str = "AMT",
                on_s: float | None = 2.0, off_s: float = 8.0, pulses_per_burst: int = 3,
                burst_frequency_hz: float = 50.0, burst_rate_hz: float = 5.0,
                sham: bool = False, name: str = "", description: str = "",
                waveform: str = "biphasic") -> Protocol:
    """Theta-burst stimulation (Huang et al. 2005, Neuron 45:201).

    ``pulses_per_burst`` pulses at ``burst_frequency_hz`` form a burst; bursts repeat at
    ``burst_rate_hz``; trains of ``on_s`` alternate with ``off_s`` pauses
    (``on_s=None``: continuous). Default intensity: 80 % AMT, as in Huang et al. 2005.
    """
    return Protocol(kind="theta_burst", frequency_hz=burst_rate_hz, pulses=pulses,
                    intensity=intensity, intensity_ref=intensity_ref,
                    pulses_per_burst=pulses_per_burst, burst_frequency_hz=burst_frequency_hz,
                    train_s=on_s, iti_s=off_s if on_s is not None else 0.0, sham=sham,
                    name=name or f"tbs_{pulses}", description=description, waveform=waveform)


def itbs(pulses: int = 600, intensity: float = 80.0, *, intensity_ref: str = "AMT", **kw) -> Protocol:
    """Intermittent TBS: 2 s of theta bursts every 10 s (Huang et al. 2005). 600 pulses: 191.84 s."""
    return theta_burst(pulses, intensity, intensity_ref=intensity_ref, on_s=2.0, off_s=8.0,
                       name=kw.pop("name", f"itbs_{pulses}"), **kw)


def ctbs(pulses: int = 600, intensity: float = 80.0, *, intensity_ref: str = "AMT", **kw) -> Protocol:
    """Continuous TBS: uninterrupted theta bursts (Huang et al. 2005). 600 pulses: 39.84 s."""
    return theta_burst(pulses, intensity, intensity_ref=intensity_ref, on_s=None,
                       name=kw.pop("name", f"ctbs_{pulses}"), **kw)


def imtbs(pulses: int = 600, intensity: float = 80.0, *, intensity_ref: str = "AMT", **kw) -> Protocol:
    """Intermediate TBS: 5 s of theta bursts every 15 s (Huang et al. 2005). 600 pulses: 109.84 s."""
    return theta_burst(pulses, intensity, intensity_ref=intensity_ref, on_s=5.0, off_s=10.0,
                       name=kw.pop("name", f"imtbs_{pulses}"), **kw)


def single_pulses(pulses: int, intensity: float, interval_s: float = 5.0, *,
                  intensity_ref: str = "RMT", sham: bool = False, name: str = "",
                  waveform: str = "biphasic") -> Protocol:
    """Single pulses every ``interval_s`` seconds (e.g. MEP probing at 0.2 Hz)."""
    interval_s = _checks.finite_number("interval_s", interval_s, low=0, low_open=True)
    return Protocol(kind="single", frequency_hz=1.0 / interval_s, pulses=pulses, intensity=intensity,
                    intensity_ref=intensity_ref, sham=sham, name=name or f"single_{pulses}",
                    waveform=waveform)


def pas(isi_ms: float = 25.0, pairs: int = 90, frequency_hz: float = 0.05, intensity: float = 130.0, *,
        intensity_ref: str = "RMT", sham: bool = False, name: str = "", description: str = "") -> Protocol:
    """Paired associative stimulation: a peripheral (median) nerve stimulus, then a TMS pulse.

    Parameters
    ----------
    isi_ms : float
        Nerve stimulus to TMS pulse, ms. 25 ms (the afferent volley reaches the cortex,
        N20 ~20 ms, just before the pulse) facilitates (Stefan et al. 2000, Brain
        123:572); 10 ms (the pulse comes first) depresses (Wolters et al. 2003,
        J Neurophysiol 89:2339).
    pairs : int
        Number of pairs (90 in both sources).
    frequency_hz : float
        Pair rate, Hz (0.05: one pair every 20 s, 30 min for 90 pairs).
    intensity : float
        TMS intensity in % of ``intensity_ref``. Both sources used the intensity giving
        ~1 mV MEPs; the default 130 % RMT is an ASSUMED equivalent.

    Examples
    --------
    >>> p = pas(isi_ms=25)
    >>> p.n_pulses, round(float(p.afferent_times_s()[1]), 3)
    (90, 19.975)
    """
    return Protocol(kind="pas", frequency_hz=frequency_hz, pulses=pairs, intensity=intensity,
                    intensity_ref=intensity_ref, sham=sham, pas_isi_ms=isi_ms,
                    name=name or f"pas{isi_ms:g}_{pairs}".replace(".", "p"), description=description)


def _auto_name(prefix: str, frequency_hz, pulses) -> str:
    try:
        return f"{prefix}_{float(frequency_hz):g}hz_{int(pulses)}".replace(".", "p")
    except (TypeError, ValueError, OverflowError):
        return prefix  # the Protocol constructor reports the bad value
