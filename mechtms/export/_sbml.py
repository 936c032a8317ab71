"""Antimony -> annotated SBML L3V2: units, MIRIAM, SBO, checks, validation, files.

The exported document is a pure function of the ``.ant`` file (and of the course and
changes baked into it): no wall-clock time, no library banner, so a committed file can
be compared byte for byte with a fresh export (:func:`is_current`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import _checks
from ..models import ModelInfo, _with_extra, antimony_source, antimony_to_sbml, model_info

#: MIRIAM created date used when a model's header has no ``// created: YYYY-MM-DD`` line.
PROJECT_DATE = "2026-11-21"
CREATOR = "mechtms developers"
SBML_DIR = Path(__file__).resolve().parents[2] / "sbml"

# SBO terms (https://www.ebi.ac.uk/sbo): only where the meaning is unambiguous.
SBO_REACTION = 176            # biochemical reaction
SBO_PARAMETER = 2             # quantitative systems description parameter
SBO_KINETIC_CONSTANT = 9      # kinetic constant
SBO_HILL = 190                # Hill coefficient
SBO_COMPARTMENT = 290         # physical compartment
_RATE_NAME = re.compile(r"^k(_|[a-z0-9]|$)")  # k, kf, k_deg, kd_erk (lower-case k: a rate)

# time_unit header -> (unit id, SBML base kind, multiplier, scale)
_TIME_UNITS = {
    "second": ("second", "second", 1.0, 0),
    "millisecond": ("millisecond", "second", 1.0, -3),
    "minute": ("minute", "second", 60.0, 0),
    "hour": ("hour", "second", 3600.0, 0),
}
# concentration units written in headers -> decimal scale of mole per litre
_MOLAR = {"M": 0, "mM": -3, "uM": -6, "µM": -6, "nM": -9, "pM": -12}
_MOLE_PREFIX = {0: "mole", -3: "mmol", -6: "umol", -9: "nmol", -12: "pmol"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s,;()\[\]]+[^\s,;()\[\].])")
_PMID = re.compile(r"\bPMID:?\s*(\d{5,9})\b", re.IGNORECASE)
#: Citations recognised in the free-text ``reference:`` headers of models/, with their
#: identifiers checked against the papers' PubMed Central / publisher pages (2026-11-22).
#: A header may always give ``doi ...`` or ``PMID ...`` itself.
KNOWN_CITATIONS = (
    (re.compile(r"Shouval.{0,60}2002.{0,20}(PNAS|Proc Natl Acad Sci)"),
     ("doi:10.1073/pnas.152343099", "pubmed:12136127")),
    (re.compile(r"Bejarano.{0,60}2014.{0,20}Nat Cell Biol"), ("doi:10.1038/ncb2934", "pubmed:24705551")),
    (re.compile(r"Zhang L.{0,60}2024.{0,20}J Orthop Surg Res"), ("doi:10.1186/s13018-024-04879-6",)),
)


# ---------------------------------------------------------------------------------------
# export


def export_sbml(name: str, *, course=None, session_doses=None,
                changes: Mapping[str, float] | None = None) -> str:
    """Annotated SBML Level 3 Version 2 text of ``models/<name>.ant``.

    Parameters
    ----------
    name : str
        Model name (file stem in ``models/``).
    course : mechtms.protocols.Course, optional
        Bake a treatment course in: the session events :func:`mechtms.ode.simulate_model`
        adds (:func:`mechtms.ode.course_events`) with their times, doses and lengths
        (:func:`mechtms.ode.course_changes`) as parameter values, so the file alone
        reproduces ``simulate_model(name, course=course)``.
    session_doses : float or sequence, optional
        Per-session doses (see :func:`mechtms.ode.simulate_model`); needs ``course``.
    changes : mapping, optional
        Initial values and parameters to bake in (as ``simulate_model(changes=...)``):
        the element's value is replaced; initial assignments depending on it follow.

    Raises
    ------
    ValueError
        Antimony errors; constructs libroadrunner rejects (algebraic rules, ``delay``);
        a header ``time_unit`` contradicting the model's own ``timeUnits``.
    """
    import libsbml

    from .. import ode

    info = model_info(name)
    source = antimony_source(name)
    values: dict[str, float] = {}
    if course is not None:
        if info.session_input is None:
            raise ValueError(f"model {name!r} declares no session_input in its header, so a course "
                             f"cannot be baked into its SBML")
        source = _with_extra(source, ode.course_events(course.n_sessions, info.session_input,
                                                       info.session_mode))
        values.update(ode.course_changes(course, info, session_doses))
    elif session_doses is not None:
        raise ValueError("session_doses needs a course")
    text = antimony_to_sbml(source, where=str(info.path))
    doc = libsbml.readSBMLFromString(text)
    model = doc.getModel()
    problems = unsupported_constructs(model)
    if problems:
        raise ValueError(f"{name}: libroadrunner cannot run this model: {'; '.join(problems)}")
    values.update({k: v for k, v in dict(changes or {}).items()})
    _set_values(model, values, name)
    _set_model_units(model, info)
    _annotate(model, info)
    _add_sbo(model)
    return libsbml.writeSBMLToString(doc)


def _set_values(model, values: Mapping[str, float], name: str) -> None:
    for key, value in values.items():
        sid = key[5:-1] if key.startswith("init(") and key.endswith(")") else key
        value = _checks.finite_number(f"changes[{key!r}]", value)
        element = model.getParameter(sid) or model.getSpecies(sid) or model.getCompartment(sid)
        if element is None:
            known = [e.getId() for lst in (model.getListOfParameters(), model.getListOfSpecies(),
                                           model.getListOfCompartments()) for e in lst]
            raise _checks.unknown_name(f"parameter or species of {name}", sid, known)
        if model.getAssignmentRule(sid) is not None:
            raise ValueError(f"cannot set {sid!r} of {name}: it is defined by a rule, not a value")
        if model.getInitialAssignment(sid) is not None:
            model.removeInitialAssignment(sid)  # an explicit value wins, as init(x) does
        if element.getTypeCode() == _libsbml().SBML_SPECIES:
            if element.getHasOnlySubstanceUnits():
                element.setInitialAmount(value)
            else:
                element.unsetInitialAmount()
                element.setInitialConcentration(value)
        elif element.getTypeCode() == _libsbml().SBML_COMPARTMENT:
            element.setSize(value)
        else:
            element.setValue(value)


def _libsbml():
    import libsbml

    return libsbml


# ---------------------------------------------------------------------------------------
# units


def _unit_def(model, uid: str, kind: str, multiplier: float = 1.0, scale: int = 0) -> str:
    """Ensure unit definition ``uid`` = multiplier·10^scale·kind exists; ``uid`` back."""
    libsbml = _libsbml()
    if libsbml.UnitKind_forName(uid) != libsbml.UNIT_KIND_INVALID:
        return uid  # a base unit (second, mole, litre, ...) needs no definition
    wanted = libsbml.UnitDefinition(3, 2)
    u = wanted.createUnit()
    u.setKind(libsbml.UnitKind_forName(kind))
    u.setExponent(1)
    u.setScale(scale)
    u.setMultiplier(multiplier)
    existing = model.getUnitDefinition(uid)
    if existing is not None:
        if not libsbml.UnitDefinition.areEquivalent(existing, wanted):
            raise ValueError(f"unit {uid!r} is defined in the model as "
                             f"{libsbml.UnitDefinition.printUnits(existing, True)}, expected "
                             f"{libsbml.UnitDefinition.printUnits(wanted, True)}")
        return uid
    wanted.setId(uid)
    model.addUnitDefinition(wanted)
    return uid


def _molar_scale(model, unit: str) -> int | None:
    """Decimal scale of a mole-per-litre unit (``uM`` -> -6), else None."""
    libsbml = _libsbml()
    ud = model.getUnitDefinition(unit)
    if ud is None:
        return _MOLAR.get(unit)
    kinds = {}
    scale = 0.0
    import math

    for u in ud.getListOfUnits():
        kinds[libsbml.UnitKind_toString(u.getKind())] = u.getExponent()
        scale += u.getExponent() * (u.getScale() + math.log10(u.getMultiplier()))
    if kinds in ({"mole": 1, "litre": -1}, {"mole": 1, "liter": -1}) and abs(scale - round(scale)) < 1e-9:
        return int(round(scale))
    return None


def _set_model_units(model, info: ModelInfo) -> None:
    """Model-level time, substance, extent and volume units (only those not yet set).

    Time comes from the header's ``time_unit``. Substance: when the header declares the
    species in one molar unit (``X=uM``), substance is the matching mole multiple and
    volume is litre, so species concentrations carry that unit; otherwise mole.
    Extent equals substance.
    """
    uid, kind, mult, scale = _TIME_UNITS[info.time_unit]
    if model.isSetTimeUnits():
        declared = model.getTimeUnits()
        libsbml = _libsbml()
        have = model.getUnitDefinition(declared)
        want = libsbml.UnitDefinition(3, 2)
        w = want.createUnit()
        w.setKind(libsbml.UnitKind_forName(kind)), w.setExponent(1), w.setScale(scale), w.setMultiplier(mult)
        same = (declared == uid) or (have is not None and libsbml.UnitDefinition.areEquivalent(have, want))
        if not same:
            raise ValueError(f"{info.name}: the model's timeUnits {declared!r} contradict the header "
                             f"time_unit {info.time_unit!r}")
    else:
        model.setTimeUnits(_unit_def(model, uid, kind, mult, scale))
    if not model.isSetSubstanceUnits():
        species = [s.getId() for s in model.getListOfSpecies()]
        scales = {_molar_scale(model, info.units[s]) for s in species if s in info.units}
        substance = "mole"
        known = {sc for sc in scales if sc is not None}
        if len(scales) == 1 and known:
            sc = known.pop()
            substance = _unit_def(model, _MOLE_PREFIX.get(sc, f"mole_e{sc}"), "mole", 1.0, sc)
        model.setSubstanceUnits(substance)
    if not model.isSetExtentUnits():
        model.setExtentUnits(model.getSubstanceUnits())
    if not model.isSetVolumeUnits():
        model.setVolumeUnits("litre")


# ---------------------------------------------------------------------------------------
# annotations


def references(text: str) -> list[str]:
    """identifiers.org URIs of the papers a header ``reference:`` line cites.

    DOIs and PubMed ids written in the text, then the :data:`KNOWN_CITATIONS` it names,
    in that order, without duplicates.
    """
    uris = [f"https://identifiers.org/doi:{d}" for d in _DOI.findall(text)]
    uris += [f"https://identifiers.org/pubmed:{p}" for p in _PMID.findall(text)]
    for pattern, ids in KNOWN_CITATIONS:
        if pattern.search(text):
            uris += [f"https://identifiers.org/{i}" for i in ids]
    return list(dict.fromkeys(uris))


def _date(info: ModelInfo, key: str, default: str) -> str:
    value = info.header.get(key, "").strip() or default
    if not _DATE.match(value):
        raise ValueError(f"{info.path}: header '{key}: {value}' must be a date YYYY-MM-DD")
    return value


def _annotate(model, info: ModelInfo) -> None:
    libsbml = _libsbml()
    if not model.isSetMetaId():
        model.setMetaId(f"meta_{model.getId()}")
    created = _date(info, "created", PROJECT_DATE)
    modified = _date(info, "modified", created)
    history = libsbml.ModelHistory()
    creator = libsbml.ModelCreator()
    creator.setUseSingleName(True)
    creator.setName(CREATOR)
    creator.setOrganisation(CREATOR)
    history.addCreator(creator)
    history.setCreatedDate(libsbml.Date(f"{created}T00:00:00Z"))
    history.setModifiedDate(libsbml.Date(f"{modified}T00:00:00Z"))
    if model.setModelHistory(history) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"{info.name}: libsbml refused the model history")
    for uri in references(info.reference):
        term = libsbml.CVTerm(libsbml.MODEL_QUALIFIER)
        term.setModelQualifierType(libsbml.BQM_IS_DESCRIBED_BY)
        term.addResource(uri)
        model.addCVTerm(term)
    if info.title and not model.isSetName():
        model.setName(info.title)
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    notes = (
        '<body xmlns="http://www.w3.org/1999/xhtml">'
        f"<p>{esc(info.title or info.name)}</p>"
        f"<p>Reference: {esc(info.reference or 'none given')}</p>"
        f"<p>Time unit: {info.time_unit}. Generated by mechtms from models/{info.name}.ant; "
        "do not edit by hand (regenerate with 'mechtms export sbml').</p></body>"
    )
    model.setNotes(notes)


def _per_time(parameter) -> bool | None:
    """Whether a parameter's declared units are (something) per time; None if undeclared."""
    libsbml = _libsbml()
    if not parameter.isSetUnits():
        return None
    ud = parameter.getDerivedUnitDefinition()
    if ud is None:
        return None
    ud = libsbml.UnitDefinition.convertToSI(ud)
    return any(libsbml.UnitKind_toString(u.getKind()) == "second" and u.getExponent() == -1
               for u in ud.getListOfUnits())


def _add_sbo(model) -> None:
    """SBO terms: reactions 176, compartments 290, parameters 2 or, when it is clear, 9/190.

    A constant parameter used in a rate (kinetic law, rate or assignment rule) is a
    kinetic constant (9) when its declared units are per time or, with no units
    declared, when its name reads like one (``k``, ``k_deg``, ``kd_erk``). A
    dimensionless constant used as an exponent is a Hill coefficient (190). Names such
    as ``K_d`` or ``Km`` are not trusted: half-saturation points go by many names.
    """
    in_rates: set[str] = set()
    exponents: set[str] = set()
    for r in model.getListOfReactions():
        r.setSBOTerm(SBO_REACTION)
        if r.isSetKineticLaw():
            in_rates |= _names_in(r.getKineticLaw())
            exponents |= _exponents_in(r.getKineticLaw())
    for rule in model.getListOfRules():
        if rule.isRate() or rule.isAssignment():
            in_rates |= _names_in(rule)
            exponents |= _exponents_in(rule)
    for p in model.getListOfParameters():
        term = SBO_PARAMETER
        if p.getConstant() and p.getId() in in_rates:
            per_time = _per_time(p)
            if p.getId() in exponents and per_time is not True and _dimensionless(p) is not False:
                term = SBO_HILL
            elif per_time or (per_time is None and _RATE_NAME.match(p.getId())):
                term = SBO_KINETIC_CONSTANT
        p.setSBOTerm(term)
    for c in model.getListOfCompartments():
        c.setSBOTerm(SBO_COMPARTMENT)


def _dimensionless(parameter) -> bool | None:
    if not parameter.isSetUnits():
        return None
    return parameter.getUnits() == "dimensionless"


def _exponents_in(element) -> set[str]:
    """Identifiers used as the exponent of ``power`` in an element's MathML."""
    import xml.etree.ElementTree as ET

    out: set[str] = set()
    try:
        root = ET.fromstring(element.toSBML())
    except ET.ParseError:
        return out
    for apply in root.iter():
        if not apply.tag.endswith("apply"):
            continue
        children = list(apply)
        if len(children) == 3 and children[0].tag.endswith("power") and children[2].tag.endswith("ci"):
            out.add((children[2].text or "").strip())
    return out


_CI = re.compile(r"<ci>\s*([^<\s]+)\s*</ci>")


def _names_in(element) -> set[str]:
    """Identifiers in the math of an SBML element, read from its XML.

    The XML, not libsbml's AST objects: once libsedml is imported (tellurium imports it)
    SWIG hands out libsedml's ASTNode proxies for libsbml's, and their ``getType()``
    returns an opaque pointer, so an AST walk silently finds nothing.
    """
    return set(_CI.findall(element.toSBML()))


# ---------------------------------------------------------------------------------------
# checks


def _all_math(model):
    """(where, element) for every element of the model that carries math."""
    for r in model.getListOfReactions():
        if r.isSetKineticLaw():
            yield f"reaction {r.getId()}", r.getKineticLaw()
    for rule in model.getListOfRules():
        yield f"rule for {rule.getVariable() or '(algebraic)'}", rule
    for ia in model.getListOfInitialAssignments():
        yield f"initial assignment of {ia.getSymbol()}", ia
    for e in model.getListOfEvents():
        yield f"event {e.getId()}", e
    for fd in model.getListOfFunctionDefinitions():
        yield f"function {fd.getId()}", fd


_DELAY = "http://www.sbml.org/sbml/symbols/delay"


def unsupported_constructs(model) -> list[str]:
    """Constructs libroadrunner rejects: algebraic rules and ``delay()`` in math.

    Read from each element's XML (see :func:`_names_in` for why not the AST).
    """
    found = []
    for rule in model.getListOfRules():
        if rule.isAlgebraic():
            found.append("algebraic rule (libroadrunner rejects algebraic rules)")
    for where, element in _all_math(model):
        if _DELAY in element.toSBML():
            found.append(f"delay() in {where} (libroadrunner rejects delay())")
    return found


def missing_values(model) -> list[str]:
    """Species, parameters and compartments whose initial value nothing sets.

    roadrunner takes such a value as 0 and COPASI as 1 (``docs/roadrunner.md``),
    so each is an error.
    """
    ruled_assign = {r.getVariable() for r in model.getListOfRules() if r.isAssignment()}
    assigned = {ia.getSymbol() for ia in model.getListOfInitialAssignments()}
    missing = []
    for s in model.getListOfSpecies():
        if not (s.isSetInitialConcentration() or s.isSetInitialAmount()) \
                and s.getId() not in assigned | ruled_assign:
            missing.append(f"species {s.getId()} has no initial value")
    for p in model.getListOfParameters():
        if not p.isSetValue() and p.getId() not in assigned | ruled_assign:
            missing.append(f"parameter {p.getId()} has no value")
    for c in model.getListOfCompartments():
        if not c.isSetSize() and c.getId() not in assigned | ruled_assign:
            missing.append(f"compartment {c.getId()} has no size")
    return missing


@dataclass
class Issue:
    severity: str     # "error" or "warning"
    category: str     # libsbml's category, or "mechtms" for our own checks
    code: int         # libsbml error id (0 for ours)
    line: int
    message: str

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.severity} [{self.category} {self.code}]{where}: {self.message}"


@dataclass
class ValidationReport:
    """libsbml consistency check (units on) plus mechtms's own checks.

    ``errors``: libsbml errors/fatals, missing initial values, algebraic rules,
    ``delay()``. ``warnings``: everything else libsbml reports. ``unit_inconsistencies``:
    the unit warnings that say two units disagree (ids 10501-10599), as opposed to
    "cannot be fully checked" because a unit is undeclared.
    """

    model: str
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unit_inconsistencies(self) -> list[Issue]:
        return [w for w in self.warnings
                if w.category == "SBML unit consistency" and 10501 <= w.code <= 10599]

    def summary(self) -> str:
        return (f"{self.model}: {len(self.errors)} errors, {len(self.warnings)} warnings "
                f"({len(self.unit_inconsistencies)} unit inconsistencies)")

    def __str__(self) -> str:
        """The summary, every error, and the warnings grouped by libsbml code."""
        lines = [self.summary()]
        lines += [f"  {i}" for i in self.errors]
        groups: dict[tuple, list[Issue]] = {}
        for w in self.warnings:
            groups.setdefault((w.category, w.code), []).append(w)
        for (category, code), items in groups.items():
            lines.append(f"  {len(items)} x warning [{category} {code}], e.g.: {items[0].message[:160]}")
        return "\n".join(lines)

    def to_dataframe(self):
        import pandas as pd

        rows = [vars(i) for i in self.errors + self.warnings]
        return pd.DataFrame(rows, columns=["severity", "category", "code", "line", "message"])


def validate(name: str | None = None, *, sbml: str | None = None, **export_kw) -> ValidationReport:
    """Validate the export of model ``name`` (or an SBML string) with the units check on.

    Returns a :class:`ValidationReport` (``report.ok`` when there is no error).
    """
    libsbml = _libsbml()
    if (name is None) == (sbml is None):
        raise ValueError("give a model name or sbml=..., not both")
    label = name or "<sbml>"
    report = ValidationReport(model=label)
    if sbml is None:
        assert name is not None  # one of name / sbml, checked above
        try:
            sbml = export_sbml(name, **export_kw)
        except ValueError as exc:
            if "libroadrunner cannot run" not in str(exc):
                raise
            report.errors.append(Issue("error", "mechtms", 0, 0, str(exc)))
            return report
    doc = libsbml.readSBMLFromString(sbml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        sev = "error" if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR else "warning"
        issue = Issue(sev, e.getCategoryAsString(), e.getErrorId(), e.getLine(),
                      " ".join(e.getMessage().split()))
        (report.errors if sev == "error" else report.warnings).append(issue)
    model = doc.getModel()
    if model is not None:
        for msg in unsupported_constructs(model) + missing_values(model):
            report.errors.append(Issue("error", "mechtms", 0, 0, msg))
        if doc.getLevel() != 3 or doc.getVersion() != 2:
            report.errors.append(Issue("error", "mechtms", 0, 0,
                                       f"SBML level {doc.getLevel()} version {doc.getVersion()}, expected L3V2"))
    return report


# ---------------------------------------------------------------------------------------
# files


def sbml_path(name: str, out_dir: str | Path | None = None) -> Path:
    return Path(out_dir if out_dir is not None else SBML_DIR) / f"{name}.xml"


def write_sbml(name: str, out_dir: str | Path | None = None, *, check: bool = True) -> Path:
    """Write ``<out_dir>/<name>.xml`` (default ``sbml/``); ``ValueError`` if validation fails.

    With ``check=True`` nothing is written for a model with validation errors.
    """
    text = export_sbml(name)
    if check:
        report = validate(sbml=text)
        report.model = name
        if not report.ok:
            raise ValueError(f"{report.summary()}; first: {report.errors[0]}")
    path = sbml_path(name, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xml.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def is_current(name: str, out_dir: str | Path | None = None) -> bool:
    """True when ``<out_dir>/<name>.xml`` equals a fresh export byte for byte."""
    path = sbml_path(name, out_dir)
    return path.is_file() and path.read_text() == export_sbml(name)
