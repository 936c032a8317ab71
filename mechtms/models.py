"""The models in ``models/``: list them, read their headers, compile them once.

A model is one Antimony file, ``models/<name>.ant``, whose header is a block of
``// key: value`` comment lines::

    // title: Calcium-dependent LTP/LTD with a sliding LTP threshold
    // reference: Shouval HZ, Bear MF, Cooper LN (2002) PNAS 99:10831
    // time_unit: second
    // inputs: epsp_mV, bap_mV
    // outputs: W, Ca
    // session_input: stim add

``session_input`` (optional) names the variable a treatment course acts on and how:
``add`` adds each session's dose at the session start; ``set`` holds it at the dose
for the duration of the session (see :func:`mechtms.ode.simulate_model`).

Compilation (Antimony -> SBML -> libroadrunner) happens once per process and model;
``MECHTMS_MODELS_DIR`` points to another folder of models.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import _checks

HEADER_KEYS = ("title", "reference", "time_unit", "inputs", "outputs", "session_input", "units",
               "created", "modified", "ranges")
TIME_UNITS_H = {"hour": 1.0, "second": 1.0 / 3600.0, "millisecond": 1.0 / 3_600_000.0, "minute": 1.0 / 60.0}


def models_dir() -> Path:
    """Folder holding the ``.ant`` models (``MECHTMS_MODELS_DIR`` overrides ``<repo>/models``)."""
    env = os.environ.get("MECHTMS_MODELS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "models"


@dataclass(frozen=True)
class ModelInfo:
    """What a model's header declares, plus where it lives.

    Attributes
    ----------
    name : str
        File stem in ``models/``.
    time_unit : {"hour", "minute", "second", "millisecond"}
    inputs, outputs : tuple of str
        Parameters meant to be set from outside; read-outs returned by default.
    session_input : str or None
        Variable that a course acts on; ``session_mode`` is ``"add"`` or ``"set"``.
    units : dict
        Units of outputs and inputs as declared in the header (``units: W=1, Ca=uM``),
        completed from the SBML unit declarations when a model is loaded.
    header : dict
        Every recognised header line, raw (``created: 2026-11-21``, ``modified: ...``,
        ``ranges: k=0.1..2`` are read by :mod:`mechtms.export`).
    """

    name: str
    path: Path
    title: str = ""
    reference: str = ""
    time_unit: str = "second"
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    session_input: str | None = None
    session_mode: str = "add"
    units: dict = field(default_factory=dict, compare=False)
    header: dict = field(default_factory=dict, compare=False)

    @property
    def hours_per_time_unit(self) -> float:
        return TIME_UNITS_H[self.time_unit]


def list_models() -> list[str]:
    """Names (file stems) of the models in ``models/``, sorted."""
    folder = models_dir()
    return sorted(p.stem for p in folder.glob("*.ant")) if folder.is_dir() else []


def _path(name: str) -> Path:
    if not isinstance(name, str) or not (models_dir() / f"{name}.ant").is_file():
        raise _checks.unknown_name("model", name, list_models())
    return models_dir() / f"{name}.ant"


def model_info(name: str) -> ModelInfo:
    """Header metadata of model ``name`` (``KeyError`` with close matches if unknown)."""
    path = _path(name)
    return _parse_header(name, path, path.read_text())


def _parse_header(name: str, path: Path, text: str) -> ModelInfo:
    meta: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("//"):
            if line:
                break  # the header ends at the first non-comment line
            continue
        m = re.match(r"//\s*([a-z_]+)\s*:\s*(.*)$", line)
        if m and m.group(1) in HEADER_KEYS:
            key, value = m.group(1), m.group(2).strip()
            meta[key] = f"{meta[key]} {value}" if key in meta else value
    split = lambda s: tuple(x.strip() for x in s.split(",") if x.strip())  # noqa: E731
    time_unit = meta.get("time_unit", "second")
    if time_unit not in TIME_UNITS_H:
        raise ValueError(f"{path}: time_unit {time_unit!r} is not one of {sorted(TIME_UNITS_H)}")
    session_input, session_mode = None, "add"
    if meta.get("session_input"):
        parts = meta["session_input"].split()
        session_input = parts[0]
        session_mode = parts[1] if len(parts) > 1 else "add"
        if session_mode not in ("add", "set"):
            raise ValueError(f"{path}: session_input mode {session_mode!r} must be 'add' or 'set'")
    units = {}
    for item in split(meta.get("units", "")):
        key, _, unit = item.partition("=")
        units[key.strip()] = unit.strip()
    return ModelInfo(name=name, path=path, title=meta.get("title", ""), reference=meta.get("reference", ""),
                     time_unit=time_unit, inputs=split(meta.get("inputs", "")),
                     outputs=split(meta.get("outputs", "")), session_input=session_input,
                     session_mode=session_mode, units=units, header=dict(meta))


def antimony_source(name: str) -> str:
    """The Antimony text of model ``name``."""
    return _path(name).read_text()


def antimony_to_sbml(source: str, *, where: str = "<string>") -> str:
    """Translate Antimony to SBML (the main module); ``ValueError`` with Antimony's message."""
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(source) < 0:
        raise ValueError(f"{where}: Antimony error: {antimony.getLastError().strip()}")
    return antimony.getSBMLString(antimony.getMainModuleName())


@functools.cache
def _sbml_cached(name: str, mtime_ns: int) -> str:
    return antimony_to_sbml(antimony_source(name), where=str(_path(name)))


def sbml(name: str) -> str:
    """SBML text compiled from ``models/<name>.ant`` (cached until the file changes)."""
    return _sbml_cached(name, _path(name).stat().st_mtime_ns)


def sbml_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_RUNNERS: dict[tuple, object] = {}


def load_model(name: str, *, extra_antimony: str = ""):
    """A compiled ``roadrunner.RoadRunner`` for model ``name``, built once per process.

    The same instance is returned on every call (compiling costs tens of ms, simulating
    a few ms); :func:`mechtms.ode.simulate_model` resets it fully before every run, so a
    caller never sees another caller's changes. ``extra_antimony`` appends statements
    (e.g. a course's session events) to the model and caches that variant separately.
    """
    import roadrunner

    path = _path(name)
    key = (name, path.stat().st_mtime_ns, extra_antimony)
    runner = _RUNNERS.get(key)
    if runner is None:
        if extra_antimony:
            text = _with_extra(antimony_source(name), extra_antimony)
            source = antimony_to_sbml(text, where=str(path))
        else:
            source = sbml(name)
        runner = roadrunner.RoadRunner(source)
        runner.mechtms_sbml_sha256 = sbml_sha256(source)  # provenance
        if len(_RUNNERS) > 64:  # bounded: scans over many schedules must not grow memory
            _RUNNERS.pop(next(iter(_RUNNERS)))
        _RUNNERS[key] = runner
    return runner


def _with_extra(source: str, extra: str) -> str:
    """Insert statements before the final ``end`` of the main model."""
    idx = source.rstrip().rfind("end")
    if idx < 0:
        raise ValueError("model source has no closing 'end'")
    return source[:idx] + extra.rstrip() + "\n" + source[idx:]


def clear_cache() -> None:
    """Forget compiled models (e.g. after editing a model file in a notebook)."""
    _RUNNERS.clear()
    _sbml_cached.cache_clear()
    _units_cached.cache_clear()


def units_of(name: str) -> dict[str, str]:
    """Units of every species, parameter and compartment of model ``name``.

    Header ``units:`` entries win; otherwise the SBML declaration is used (a unit
    definition's id where one matches, libsbml's formula otherwise). Unknown: ``""``.
    Cached until the model file changes (a copy is returned).
    """
    return dict(_units_cached(name, _path(name).stat().st_mtime_ns))


@functools.cache
def _units_cached(name: str, mtime_ns: int) -> dict[str, str]:
    import libsbml

    info = model_info(name)
    doc = libsbml.readSBMLFromString(sbml(name))
    model = doc.getModel()
    defs = [model.getUnitDefinition(i) for i in range(model.getNumUnitDefinitions())]

    def readable(element) -> str:
        unit_id = element.getUnits() if element.isSetUnits() else ""
        if unit_id:
            return unit_id
        derived = element.getDerivedUnitDefinition()
        if derived is None or derived.getNumUnits() == 0:
            return ""
        for d in defs:
            if libsbml.UnitDefinition.areEquivalent(d, derived):
                return d.getId()
        return libsbml.UnitDefinition.printUnits(derived, True)

    units: dict[str, str] = {}
    for collection in (model.getListOfSpecies(), model.getListOfParameters(), model.getListOfCompartments()):
        for element in collection:
            units[element.getId()] = readable(element)
    units.update(info.units)
    return units
