"""Clinical and behavioural proxies: documented maps from named upstream quantities to scales.

Every proxy is a pure function ``f(daily, course, params) -> xarray.DataArray`` over ``day``
of named variables of the chain's daily dataset, with its parameters as :class:`Param`
values (units, ``SOURCE``/``ASSUMED``/``CALIBRATED``/``DERIVED``, source) and a statement of
what it is and is not in its module docstring.

============================================  ==========================  =====================
proxy                                         reads                       condition
============================================  ==========================  =====================
:func:`depression.hamd17`                     ``w_late`` (DLPFC)          ``depression``
:func:`rat.proliferation` (SBML model)        ``pERK_cortex``, cort_rel   ``depression_rat``
:func:`rat.sucrose_preference`                ``pTrkB_cortex``            ``depression_rat``
:func:`pain.vas`, :func:`pain.ppr`            ``w_late`` (M1)             ``chronic_pain``
============================================  ==========================  =====================

Virtual trials at the proxy level (:func:`depression.virtual_trial`,
:func:`pain.virtual_trial`) turn upstream trajectories into response, remission and
responder rates with Wilson intervals; the calibration functions next to them reproduce
every CALIBRATED value from its stated target. Facts and sources: ``docs/depression.md``,
``docs/pain.md``.
"""

from . import depression, pain, rat
from ._base import Param, handmade_plasticity, lowpass, placebo_fraction, resolve, table

__all__ = ["Param", "depression", "handmade_plasticity", "lowpass", "pain", "placebo_fraction", "rat",
           "resolve", "table"]
