"""SBML export, validation, cross-simulator checks and COMBINE archives.

``sbml/<name>.xml`` is generated from ``models/<name>.ant`` (``mechtms export sbml``):
SBML Level 3 Version 2 with model units from the header's ``time_unit``, MIRIAM
annotations (creator, dates, ``bqmodel:isDescribedBy`` the header's DOIs/PubMed ids),
SBO terms on reactions, parameters and compartments. The export is deterministic, so
:func:`is_current` compares the committed file with a fresh export byte for byte.

>>> import mechtms as mt
>>> mt.export.validate("bdnf_trkb_erk").ok                      # doctest: +SKIP
>>> mt.export.crosscheck("bdnf_trkb_erk")     # the 15 Hz SCI course  # doctest: +SKIP

:func:`crosscheck` runs the exported file in libroadrunner and in COPASI (basico);
:func:`write_omex` packs the model with a SED-ML experiment into a COMBINE archive and
:func:`run_omex` executes that archive.
"""

from ._crosscheck import compare, crosscheck, output_grid, run_copasi, run_roadrunner
from ._experiments import Experiment, default_experiment, documented_ranges, random_changes
from ._omex import (
    omex_is_current,
    omex_path,
    read_omex,
    run_omex,
    sedml_errors,
    sedml_experiment,
    write_omex,
)
from ._sbml import (
    PROJECT_DATE,
    SBML_DIR,
    Issue,
    ValidationReport,
    export_sbml,
    is_current,
    missing_values,
    references,
    sbml_path,
    unsupported_constructs,
    validate,
    write_sbml,
)

__all__ = [
    "omex_is_current", "omex_path", "read_omex", "run_omex", "sedml_errors", "sedml_experiment", "write_omex",
    "Experiment", "default_experiment", "documented_ranges", "random_changes", "compare", "crosscheck", "output_grid", "run_copasi", "run_roadrunner",
    "PROJECT_DATE", "SBML_DIR", "Issue", "ValidationReport", "export_sbml", "is_current",
    "missing_values", "references", "sbml_path", "unsupported_constructs", "validate",
    "write_sbml",
]
