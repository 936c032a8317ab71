"""What the stroke model is calibrated on, and how (the rest is validation: ``docs/stroke.md``).

Calibration subset:

1. the callosal strengths (:class:`mechtms.stroke.hemispheres.Callosum`): IHI at 10 ms
   (Ferbert et al. 1992), chosen by hand among three settings;
2. the postural weight of the BBS proxy (:data:`mechtms.stroke.proxies.POSTURAL_WEIGHT`):
   the cerebellar iTBS course (each session followed by the default rehabilitation) minus sham
   at the course end equals the BBS mean difference of the BMC Neurology 2024 meta-analysis
   (4.24 points), :func:`postural_weight` (3.615 in the default settings, seed 0).

Everything else is ASSUMED or DERIVED from sources and is not moved to fit an outcome.
"""

from __future__ import annotations

from .. import _checks
from . import course as SC
from . import proxies as X

#: BMC Neurology 2024;24:205: cerebellar TMS vs sham, BBS after the intervention, MD and 95 % CI.
CEREBELLAR_BBS_MD = (4.24, 2.19, 6.29)


def arm(preset: str, target: str, *, sham: bool = False, settings: SC.StrokeSettings | None = None,
        seed: int = 0):
    """One arm of a stroke trial: the preset's course (or its sham) over ``target``."""
    from ..protocols import preset_course

    c = preset_course(preset)
    if sham:
        c = c.replace(protocol=c.protocol.as_sham())
    return SC.simulate(c, seed=seed, target=target, settings=settings)


def postural_weight(settings: SC.StrokeSettings | None = None, seed: int = 0,
                    target_md: float = CEREBELLAR_BBS_MD[0]) -> float:
    """The postural weight that makes cerebellar iTBS minus sham equal ``target_md`` BBS points.

    The BBS proxy is linear in the weight ``w`` given the two arms' drives ``d`` and dentate
    outputs ``r`` (:func:`mechtms.stroke.proxies.impairment`), so it is solved in closed form:
    ``target (I0) = (56 - B0) (I_sham - I_cer)`` with ``I = (1 - d) + w (1 - r)``, at the
    course's last day.
    """
    settings = SC.StrokeSettings() if settings is None else settings
    target_md = _checks.finite_number("target_md", target_md, low=0.0, high=X.BBS_MAX)
    sham = arm("cerebellar_itbs_stroke", "cerebellum", sham=True, settings=settings, seed=seed)
    active = arm("cerebellar_itbs_stroke", "cerebellum", settings=settings, seed=seed)
    span = X.BBS_MAX - settings.bbs_start
    d0, r0 = float(sham.drive[0]), float(sham.dentate[0])
    ds_, rs = float(sham.drive[-1]), float(sham.dentate[-1])
    dc, rc = float(active.drive[-1]), float(active.dentate[-1])
    denom = span * (rc - rs) - target_md * (1.0 - r0)
    if denom <= 0:
        raise ValueError("the cerebellar arm does not raise the dentate output: no postural weight "
                         f"reproduces a BBS gain of {target_md:g} (rule={settings.purkinje_rule!r})")
    return (target_md * (1.0 - d0) - span * (dc - ds_)) / denom
