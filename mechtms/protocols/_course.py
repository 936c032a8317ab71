"""A treatment course: one session protocol repeated on a calendar.

Time origin: hour 0 is midnight at the start of day 0 (for SCI, the day of injury).
Day ``d`` runs from ``24*d`` to ``24*(d+1)`` hours. A course starting on day 1 with a
session at 09:00 has its first session at t = 33 h.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from ._protocol import Protocol

#: Stimulation targets a course may name. "" (default) is the condition's usual site (the
#: motor cortex of the chain); the others are read by the ``stroke`` condition, where the
#: same protocol over another structure is another treatment (mechtms.stroke); "left_DLPFC" and
#: "right_DLPFC" by the ``depression`` condition (mechtms.proxies.depression: the side of the link).
TARGETS = ("", "contralesional_M1", "ipsilesional_M1", "cerebellum", "left_DLPFC", "right_DLPFC")


@dataclass(frozen=True)
class Course:
    """Sessions of one protocol over days.

    Attributes
    ----------
    protocol : Protocol
        The session delivered each time.
    days : int
        Calendar days the course spans, counted from ``start_day`` (weekends included).
    sessions_per_day : int
    days_per_week : int
        Stimulation days in each 7-day block starting at ``start_day`` (5: Mon-Fri).
    start_day : int
        Day of the first session (day 0 is injury/baseline).
    clock_h : tuple of float
        Clock time (hours after midnight) of each session of a day, length
        ``sessions_per_day``.
    name : str
    target : str
        Where the sessions are delivered, one of :data:`TARGETS` ("" = the condition's usual
        site). Only the ``stroke`` condition reads it.
    """

    protocol: Protocol
    days: int
    sessions_per_day: int = 1
    days_per_week: int = 7
    start_day: int = 1
    clock_h: tuple[float, ...] = (9.0,)
    name: str = field(default="")
    target: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.protocol, Protocol):
            raise ValueError(f"protocol must be a mechtms Protocol, got {type(self.protocol).__name__}")
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        set_("days", _checks.whole_number("days", self.days, low=1, high=3650))
        set_("sessions_per_day", _checks.whole_number("sessions_per_day", self.sessions_per_day, low=1, high=24))
        set_("days_per_week", _checks.whole_number("days_per_week", self.days_per_week, low=1, high=7))
        set_("start_day", _checks.whole_number("start_day", self.start_day, low=0))
        clock = tuple(_checks.finite_number("clock_h", c, low=0, high=24, high_open=True) for c in self.clock_h)
        if len(clock) != self.sessions_per_day:
            raise ValueError(f"clock_h has {len(clock)} times but sessions_per_day={self.sessions_per_day}; "
                             f"give one clock time per session")
        if any(b <= a for a, b in zip(clock, clock[1:], strict=False)):
            raise ValueError(f"clock_h must be increasing, got {clock}")
        last_end_h = clock[-1] + self.protocol.duration_s / 3600.0
        if last_end_h > 24:
            raise ValueError(f"the last session of a day (at {clock[-1]:g} h, lasting "
                             f"{self.protocol.duration_s / 3600:.3g} h) runs past midnight; move clock_h earlier")
        gaps = np.diff(clock) * 3600.0
        if np.any(gaps < self.protocol.duration_s):
            raise ValueError(f"sessions overlap: {self.protocol.duration_s:g} s sessions at clock_h={clock}")
        set_("clock_h", clock)
        _checks.choice("target", self.target, TARGETS)
        if not self.name:
            set_("name", self.protocol.name)

    @property
    def session_days(self) -> np.ndarray:
        """Day of each session, shape (n_sessions,), int."""
        offsets = np.arange(self.days)
        stim = offsets[(offsets % 7) < self.days_per_week] + self.start_day
        return np.repeat(stim, self.sessions_per_day)

    def session_start_times_h(self) -> np.ndarray:
        """Start of each session (its first pulse), hours since day 0 00:00; shape (n_sessions,)."""
        days = self.session_days
        clock = np.tile(np.asarray(self.clock_h), len(days) // self.sessions_per_day)
        return days * 24.0 + clock

    def session_start_times_s(self) -> np.ndarray:
        """As :meth:`session_start_times_h`, in seconds."""
        return self.session_start_times_h() * 3600.0

    @property
    def n_sessions(self) -> int:
        return len(self.session_days)

    @property
    def end_day(self) -> int:
        """Last calendar day covered by the course (inclusive)."""
        return self.start_day + self.days - 1

    @property
    def total_pulses(self) -> int:
        return self.n_sessions * self.protocol.n_delivered

    def replace(self, **changes) -> Course:
        import dataclasses

        return dataclasses.replace(self, **changes)

    def summary(self) -> dict:
        return {"name": self.name, "protocol": self.protocol.name, "sessions": self.n_sessions,
                "sessions_per_day": self.sessions_per_day, "days_per_week": self.days_per_week,
                "days": self.days, "start_day": self.start_day,
                "clock_h": list(self.clock_h), "total_pulses": self.total_pulses,
                **({"target": self.target} if self.target else {})}


def course(protocol: Protocol, sessions_per_day: int = 1, days: int | None = None, *,
           days_per_week: int = 7, weeks: int | None = None, start_day: int = 1,
           clock_h: float | Sequence[float] = 9.0, session_gap_h: float = 1.0,
           name: str = "", target: str = "") -> Course:
    """Repeat a session protocol on a calendar.

    Parameters
    ----------
    protocol : Protocol
    sessions_per_day : int
    days : int, optional
        Calendar days from ``start_day`` (give ``days`` or ``weeks``; default 28 days).
    days_per_week : int
        Stimulation days per 7-day block (5 for weekday-only clinical courses).
    weeks : int, optional
        Course length in weeks (``days = 7 * weeks``).
    start_day : int
        Day of the first session; day 0 is the injury / baseline day.
    clock_h : float or sequence of float
        Clock time of the first session of each day (hours), or one time per session.
    session_gap_h : float
        Spacing of sessions within a day when ``clock_h`` is a single time.
    target : str
        Stimulation target (:data:`TARGETS`; "" = the condition's usual site).

    Examples
    --------
    >>> from mechtms import protocols
    >>> c = protocols.course(protocols.preset("itbs_600"), days=28)
    >>> c.n_sessions, c.session_start_times_h()[:2].tolist()
    (28, [33.0, 57.0])
    """
    if days is not None and weeks is not None:
        raise ValueError(f"give days or weeks, not both (got days={days!r}, weeks={weeks!r})")
    if weeks is not None:
        days = 7 * _checks.whole_number("weeks", weeks, low=1)
    if days is None:
        days = 28
    sessions_per_day = _checks.whole_number("sessions_per_day", sessions_per_day, low=1, high=24)
    if isinstance(clock_h, (int, float)):
        first = _checks.finite_number("clock_h", clock_h, low=0, high=24, high_open=True)
        gap = _checks.finite_number("session_gap_h", session_gap_h, low=0, low_open=True)
        clock = tuple(first + k * gap for k in range(sessions_per_day))
    else:
        clock = tuple(clock_h)
    return Course(protocol=protocol, days=days, sessions_per_day=sessions_per_day,
                  days_per_week=days_per_week, start_day=start_day, clock_h=clock, name=name, target=target)
