"""COMBINE archives: the exported model plus a SED-ML experiment, and running them.

Each archive (``sbml/<name>.omex``) holds

* the SBML the experiment runs: ``<name>.xml`` (as in ``sbml/``) or, for a course, the
  course-augmented variant ``<name>_<course>.xml`` whose session events and times are
  baked in (:func:`mechtms.export.export_sbml`);
* ``<name>.sedml`` (SED-ML L1V4, written by phrasedml): the model with the experiment's
  parameter changes, a uniform time course (CVODE, rtol 1e-10, atol 1e-12), a plot and a
  report of the header's outputs;
* ``metadata.rdf`` (creator, fixed created date) and the manifest (libcombine).

SED-ML parameter changes are applied by simulators after loading, so a change that an
initial assignment depends on would not propagate there as it does in mechtms; such
changes are baked into the SBML instead.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from ..models import model_info
from ._experiments import Experiment, default_experiment
from ._sbml import CREATOR, PROJECT_DATE, SBML_DIR, export_sbml

RTOL = 1e-10
ATOL = 1e-12


def _ia_dependencies(sbml: str) -> set[str]:
    """Symbols that initial assignments read (directly)."""
    import libsbml

    from ._sbml import _names_in

    doc = libsbml.readSBMLFromString(sbml)
    out: set[str] = set()
    for ia in doc.getModel().getListOfInitialAssignments():
        out |= _names_in(ia)
    return out


def _grid(name: str, exp: Experiment) -> tuple[float, int]:
    from ._crosscheck import _times

    return _times(name, exp.course, exp.t_end, exp.points)


def sedml_experiment(name: str, experiment: Experiment | None = None) -> dict:
    """SBML file name and text, phrasedml text and SED-ML text of a model's experiment.

    ``experiment`` defaults to :func:`mechtms.export.default_experiment` (full length,
    not fast mode): the 28-day 15 Hz SCI course for hour-based models, one iTBS 600
    session for the plasticity model.
    """
    import phrasedml

    exp = experiment or default_experiment(name, fast=False)
    info = model_info(name)
    outputs = list(info.outputs)
    if not outputs:
        raise ValueError(f"model {name!r} declares no outputs in its header; nothing to report")
    base = export_sbml(name, course=exp.course)
    baked = {k: v for k, v in exp.changes.items() if k in _ia_dependencies(base)}
    in_sedml = {k: v for k, v in exp.changes.items() if k not in baked}
    sbml = export_sbml(name, course=exp.course, changes=baked) if baked else base
    stem = name if exp.course is None else f"{name}_{getattr(exp.course, 'name', '') or 'course'}"
    if baked:
        stem += "_variant"
    sbml_file = f"{stem}.xml"
    t_end, points = _grid(name, exp)
    with_ = ", ".join(f"{k} = {float(v)!r}" for k, v in sorted(in_sedml.items()))
    tu = info.time_unit
    lines = [
        f'model1 = model "{sbml_file}"' + (f" with {with_}" if with_ else ""),
        f"sim1 = simulate uniform(0, {t_end!r}, {points - 1})",
        "sim1.algorithm = CVODE",
        f"sim1.algorithm.relative_tolerance = {RTOL!r}",
        f"sim1.algorithm.absolute_tolerance = {ATOL!r}",
        "task1 = run sim1 on model1",
        f'plot "{name}: {exp.description} (time in {tu}s)" task1.time vs '
        + ", ".join(f"task1.{o}" for o in outputs),
        "report " + ", ".join(["task1.time"] + [f"task1.{o}" for o in outputs]),
    ]
    text = "\n".join(lines) + "\n"
    phrasedml.clearReferencedSBML()
    phrasedml.setReferencedSBML(sbml_file, sbml)
    sedml = phrasedml.convertString(text)
    if sedml is None:
        raise ValueError(f"{name}: phrasedml could not convert the experiment: {phrasedml.getLastError()}")
    sedml = re.sub(r"<!-- Created by phraSED-ML.*?-->\n", "", sedml)  # library banner: not ours
    errors = sedml_errors(sedml)
    if errors:
        raise ValueError(f"{name}: the SED-ML does not validate: {errors[0]}")
    return {"sbml_file": sbml_file, "sbml": sbml, "phrasedml": text, "sedml": sedml,
            "experiment": exp, "t_end": t_end, "points": points, "outputs": outputs}


def sedml_errors(sedml: str) -> list[str]:
    """libsedml's errors (severity error or fatal) on reading a SED-ML document."""
    import libsedml

    doc = libsedml.readSedMLFromString(sedml)
    log = doc.getErrorLog()
    out = []
    for i in range(log.getNumErrors()):
        e = log.getError(i)
        if e.getSeverity() >= libsedml.LIBSEDML_SEV_ERROR:
            out.append(f"[{e.getErrorId()}] line {e.getLine()}: {' '.join(e.getMessage().split())}")
    if doc.getNumModels() == 0 or doc.getNumTasks() == 0:
        out.append("no model or no task")
    return out


def omex_path(name: str, out_dir: str | Path | None = None) -> Path:
    return Path(out_dir if out_dir is not None else SBML_DIR) / f"{name}.omex"


def write_omex(name: str, out_dir: str | Path | None = None, *,
               experiment: Experiment | None = None) -> Path:
    """Write ``<out_dir>/<name>.omex`` (default ``sbml/``) and check it on the way out.

    The archive is re-opened with libcombine; its SBML must validate (libsbml, no
    errors) and its SED-ML must read without libsedml errors.
    """
    import libcombine

    from ._sbml import validate

    parts = sedml_experiment(name, experiment)
    report = validate(sbml=parts["sbml"])
    if not report.ok:
        raise ValueError(f"{name}: {report.summary()}; first: {report.errors[0]}")
    path = omex_path(name, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    sedml_file = f"{name}.sedml"
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / parts["sbml_file"]).write_text(parts["sbml"])
        (Path(tmp) / sedml_file).write_text(parts["sedml"])
        archive = libcombine.CombineArchive()
        ok = archive.addFile(str(Path(tmp) / parts["sbml_file"]), f"./{parts['sbml_file']}",
                             libcombine.KnownFormats.lookupFormat("sbml"), False)
        ok &= archive.addFile(str(Path(tmp) / sedml_file), f"./{sedml_file}",
                              libcombine.KnownFormats.lookupFormat("sedml"), True)
        desc = libcombine.OmexDescription()
        desc.setAbout(".")
        desc.setDescription(f"mechtms model {name}: {model_info(name).title}. Experiment: "
                            f"{parts['experiment'].description}.")
        y, m, d = (int(x) for x in (model_info(name).header.get("created") or PROJECT_DATE).split("-"))
        desc.setCreated(libcombine.Date(y, m, d, 0, 0, 0))
        creator = libcombine.VCard()
        creator.setGivenName("mechtms")
        creator.setFamilyName("developers")
        creator.setOrganization(CREATOR)
        desc.addCreator(creator)
        archive.addMetadata(".", desc)
        tmp_out = path.with_suffix(".omex.tmp")
        ok &= archive.writeToFile(str(tmp_out))
        archive.cleanUp()
        if not ok:
            tmp_out.unlink(missing_ok=True)
            raise RuntimeError(f"{name}: libcombine could not write the archive")
    content = read_omex(tmp_out)
    errors = sedml_errors(content["sedml"])
    if errors or content["sbml"] != parts["sbml"]:
        tmp_out.unlink(missing_ok=True)
        raise ValueError(f"{name}: archive check failed: {errors or 'SBML differs after the round trip'}")
    tmp_out.replace(path)
    return path


def omex_is_current(name: str, out_dir: str | Path | None = None) -> bool:
    """True when ``<out_dir>/<name>.omex`` holds the SBML and SED-ML a fresh export gives
    (content, not bytes: zip entries carry write times)."""
    path = omex_path(name, out_dir)
    if not path.is_file():
        return False
    content = read_omex(path)
    parts = sedml_experiment(name)
    return content["sbml"] == parts["sbml"] and content["sedml"] == parts["sedml"]


def read_omex(path: str | Path) -> dict:
    """Open an archive with libcombine: master SED-ML text, the SBML it uses, entries."""
    import libcombine

    archive = libcombine.CombineArchive()
    if not archive.initializeFromArchive(str(path)):
        raise ValueError(f"{path}: libcombine cannot open this archive")
    try:
        entries = {}
        sedml = sbml = None
        for i in range(archive.getNumEntries()):
            entry = archive.getEntry(i)
            loc, fmt = entry.getLocation(), entry.getFormat()
            entries[loc] = fmt
            if "sed-ml" in fmt.lower() or loc.endswith(".sedml"):
                sedml = archive.extractEntryToString(loc)
            elif "sbml" in fmt.lower():
                sbml = archive.extractEntryToString(loc)
        if sedml is None or sbml is None:
            raise ValueError(f"{path}: archive lacks a SED-ML or an SBML entry (has {sorted(entries)})")
        return {"sedml": sedml, "sbml": sbml, "entries": entries}
    finally:
        archive.cleanUp()


def run_omex(path: str | Path):
    """Execute an archive with tellurium (``executeCombineArchive``).

    Returns
    -------
    xarray.Dataset
        The report's data sets by read-out name (``task1.X`` -> ``X``), dim ``time``.
    """
    import libsedml
    import xarray as xr
    from tellurium.sedml import tesedml

    content = read_omex(path)
    doc = libsedml.readSedMLFromString(content["sedml"])
    names = {}
    for i in range(doc.getNumDataGenerators()):
        dg = doc.getDataGenerator(i)
        names[dg.getId()] = dg.getName().split(".", 1)[-1]
    with tempfile.TemporaryDirectory() as work:
        result = tesedml.executeCombineArchive(str(path), workingDir=work, createOutputs=False,
                                               saveOutputs=False)
    if not result:
        raise RuntimeError(f"{path}: tellurium returned no results")
    data = next(iter(result.values()))["dataGenerators"]
    columns = {names.get(k, k): np.asarray(v, dtype=float).reshape(-1) for k, v in data.items()}
    time = columns.pop("time")
    return xr.Dataset({k: ("time", v) for k, v in columns.items()}, coords={"time": time},
                      attrs={"source": str(path), "executor": "tellurium.sedml.tesedml"})
