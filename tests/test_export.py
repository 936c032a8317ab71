"""SBML export: valid, annotated, current, and reproduced by a second simulator (issue 7).

Every test runs on the closed-form fixture (``tests/data/models``) and on every model in
``models/`` (STYLE.md §3: a new model is covered without new test code).

Tolerances. Two simulators on one file: COPASI (LSODA) and libroadrunner (CVODE), both
at rtol 1e-10 / atol 1e-12, must agree within 1e-4 relative with a 1e-6 absolute floor
at every output time (issue 7; PySB's export check compares at a tolerance well above
the integrator's, STYLE.md §4). Measured (28-day 15 Hz SCI course; one iTBS 600 session):
largest relative difference 1.5e-8 (bdnf_trkb_erk), 1e-9 (cx43_autophagy_mtor), 2.9e-6
(calcium_plasticity, on Ca near its resting 0), 2.7e-6 (closed_forms, on X decayed to
~1e-5); elsewhere < 3e-8.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mechtms import export as ex
from mechtms import models, ode

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "models"
REPO_MODELS = sorted(p.stem for p in (ROOT / "models").glob("*.ant"))
CASES = [pytest.param((DATA, "closed_forms"), id="fixture-closed_forms")] + [
    pytest.param((ROOT / "models", m), id=m) for m in REPO_MODELS]
N_RANDOM = 2 if ex._experiments.fast_mode() else 5
TOL_REL, TOL_ABS = 1e-4, 1e-6


@pytest.fixture(params=CASES)
def model(request, monkeypatch):
    folder, name = request.param
    monkeypatch.setenv("MECHTMS_MODELS_DIR", str(folder))
    models.clear_cache()
    yield name
    models.clear_cache()


@pytest.fixture
def tmp_models(tmp_path, monkeypatch):
    """A models folder of our own, for models that must fail."""
    monkeypatch.setenv("MECHTMS_MODELS_DIR", str(tmp_path))
    models.clear_cache()
    yield tmp_path
    models.clear_cache()


def _doc(text):
    import libsbml

    return libsbml.readSBMLFromString(text)


# ---- validation and annotations -------------------------------------------------------
def test_validation_clean(model):
    report = ex.validate(model)
    assert report.ok, str(report)
    assert not report.unit_inconsistencies, "\n".join(map(str, report.unit_inconsistencies))


def test_units_miriam_and_sbo(model):
    import libsbml

    info = models.model_info(model)
    doc = _doc(ex.export_sbml(model))
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    m = doc.getModel()
    # model-level units, time from the header's time_unit
    for attr in ("TimeUnits", "SubstanceUnits", "ExtentUnits", "VolumeUnits"):
        assert getattr(m, f"isSet{attr}")(), attr
    seconds = {"second": 1, "millisecond": 1e-3, "minute": 60, "hour": 3600}[info.time_unit]
    tu = m.getTimeUnits()
    ud = m.getUnitDefinition(tu)
    if ud is None:
        assert tu == "second" and seconds == 1
    else:
        assert ud.getNumUnits() == 1 and libsbml.UnitKind_toString(ud.getUnit(0).getKind()) == "second"
        u = ud.getUnit(0)
        assert u.getMultiplier() * 10.0 ** u.getScale() == pytest.approx(seconds, rel=1e-12)
    # MIRIAM: creator, dates, isDescribedBy the header's DOIs/PubMed ids
    h = m.getModelHistory()
    assert h is not None and h.getNumCreators() == 1
    assert h.getCreator(0).getName() == "mechtms developers"
    assert h.getCreatedDate().getDateAsString().startswith(info.header.get("created", ex.PROJECT_DATE))
    described = [t.getResourceURI(j) for t in m.getCVTerms() for j in range(t.getNumResources())
                 if t.getQualifierType() == libsbml.MODEL_QUALIFIER
                 and t.getModelQualifierType() == libsbml.BQM_IS_DESCRIBED_BY]
    assert described == ex.references(info.reference)
    # SBO: every reaction is a biochemical reaction, every parameter has a term, events none
    assert all(r.getSBOTermID() == "SBO:0000176" for r in m.getListOfReactions())
    assert all(p.getSBOTermID() in {"SBO:0000002", "SBO:0000009", "SBO:0000190"}
               for p in m.getListOfParameters())
    assert all(not e.isSetSBOTerm() for e in m.getListOfEvents())
    # libroadrunner-compatible, every initial value set
    assert ex.unsupported_constructs(m) == [] and ex.missing_values(m) == []


def test_sbo_terms_follow_units_and_use(tmp_models):
    (tmp_models / "sbo.ant").write_text(HEADER + """model m
  unit per_hour = 1 / 3600 second;
  compartment c = 1; species S in c = 1; A = 1;
  beta = 2 per_hour; n_total = 3 dimensionless; nH = 2 dimensionless; K_half = 0.5;
  k_unused = 1;
  J: S -> ; beta*S^nH/(K_half^nH + S^nH);
  A' = -A*n_total;
end
""")
    doc = _doc(ex.export_sbml("sbo"))
    terms = {p.getId(): p.getSBOTermID() for p in doc.getModel().getListOfParameters()}
    assert terms["beta"] == "SBO:0000009"      # per time, used in a rate, name says nothing
    assert terms["nH"] == "SBO:0000190"        # dimensionless exponent
    assert terms["n_total"] == "SBO:0000002"   # a count, not an exponent
    assert terms["K_half"] == terms["k_unused"] == terms["A"] == "SBO:0000002"


def test_sbo_kinetic_constants_are_recognised(closed_form_models):
    doc = _doc(ex.export_sbml("closed_forms"))
    m = doc.getModel()
    terms = {p.getId(): p.getSBOTermID() for p in m.getListOfParameters()}
    # k, ka, kd multiply species in kinetic laws: kinetic constants; the rest generic
    assert terms["k"] == terms["ka"] == terms["kd"] == "SBO:0000009"
    assert terms["tau_signal"] == terms["X2"] == terms["Ktot"] == "SBO:0000002"


def test_references_parse_dois_and_pubmed():
    text = ("Zhang L et al. (2024) J Orthop Surg Res 19:387, doi 10.1186/s13018-024-04879-6; "
            "Ji Y (2010) Nat Neurosci, PMID: 20729843; again doi:10.1186/s13018-024-04879-6.")
    assert ex.references(text) == ["https://identifiers.org/doi:10.1186/s13018-024-04879-6",
                                   "https://identifiers.org/pubmed:20729843"]
    # well-known citations without an identifier in the text (checked on PMC pages)
    assert ex.references("Shouval HZ, Bear MF, Cooper LN (2002) PNAS 99:10831") == [
        "https://identifiers.org/doi:10.1073/pnas.152343099", "https://identifiers.org/pubmed:12136127"]
    assert ex.references("Smith J (1999) Some Journal 1:1") == []


# ---- determinism and staleness ---------------------------------------------------------
def test_export_is_deterministic(model):
    import datetime

    a, b = ex.export_sbml(model), ex.export_sbml(model)
    assert a == b
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    assert today not in a or today in models.antimony_source(model)  # no wall-clock dates


@pytest.mark.parametrize("name", REPO_MODELS)
def test_committed_sbml_is_current(name, monkeypatch):
    monkeypatch.delenv("MECHTMS_MODELS_DIR", raising=False)
    models.clear_cache()
    assert ex.is_current(name), f"sbml/{name}.xml is stale or missing: run 'mechtms export sbml {name}'"


@pytest.mark.parametrize("name", REPO_MODELS)
def test_committed_omex_is_current(name, monkeypatch):
    monkeypatch.delenv("MECHTMS_MODELS_DIR", raising=False)
    models.clear_cache()
    assert ex.omex_is_current(name), f"sbml/{name}.omex is stale or missing: run 'mechtms export omex {name}'"


def test_is_current_detects_a_stale_file(closed_form_models, tmp_path):
    path = ex.write_sbml("closed_forms", tmp_path)
    assert ex.is_current("closed_forms", tmp_path)
    path.write_text(path.read_text().replace('value="0.5"', 'value="0.6"'))
    assert not ex.is_current("closed_forms", tmp_path)
    assert not ex.is_current("closed_forms", tmp_path / "nowhere")


# ---- roadrunner on the export equals roadrunner on the Antimony source -----------------
def _source_run(model, exp, t_end, points, names, rtol=1e-8, atol=1e-10):
    """The Antimony source (plus the course's session events, as simulate_model adds
    them) compiled as is, the experiment's values written with ``init()`` by
    libroadrunner itself: independent of the exporter's value baking."""
    import roadrunner

    info = models.model_info(model)
    source = models.antimony_source(model)
    values = dict(exp.changes)
    if exp.course is not None:
        source = models._with_extra(source, ode.course_events(exp.course.n_sessions, info.session_input,
                                                              info.session_mode))
        values.update(ode.course_changes(exp.course, info))
    rr = roadrunner.RoadRunner(models.antimony_to_sbml(source))
    for key, value in values.items():
        rr.setValue(f"init({key})", value)
    rr.resetAll()
    rr.getIntegrator().setValue("relative_tolerance", rtol)
    rr.getIntegrator().setValue("absolute_tolerance", atol)
    rr.timeCourseSelections = ["time", *names]
    return np.asarray(rr.simulate(0.0, t_end, points))


def test_export_runs_like_the_source(model):
    exp = ex.default_experiment(model)
    t_end, points = ex.output_grid(model, exp.course, exp.t_end, exp.points)
    names = list(models.model_info(model).outputs)
    out = ex.run_roadrunner(ex.export_sbml(model, course=exp.course, changes=exp.changes), t_end, points,
                            names, rtol=1e-8, atol=1e-10)
    src = _source_run(model, exp, t_end, points, names)
    # same math, same solver, same tolerances: measured bit-identical on every model;
    # allowed: round-off far below the integrator tolerance
    np.testing.assert_allclose(out, src, rtol=1e-11, atol=1e-13)


def test_export_reproduces_simulate_model(model):
    """mechtms's own run against the exported file, error in units of the tolerance
    e = |a - b| / (atol + rtol |b|) (STYLE.md §5): same math, same solver settings;
    asserted e <= 5 everywhere.
    Asserted: |a - b| <= 5 (atol + rtol |b|)."""
    rtol, atol = 1e-8, 1e-10
    exp = ex.default_experiment(model)
    ds = ode.simulate_model(model, **exp.kwargs(), rtol=rtol, atol=atol)
    names = list(ds.data_vars)
    out = ex.run_roadrunner(ex.export_sbml(model, course=exp.course, changes=exp.changes),
                            float(ds.time[-1]), ds.sizes["time"], names, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(out[:, 0], ds.time.values)
    for i, n in enumerate(names, start=1):
        b = ds[n].values
        bound = 5 * (atol + rtol * np.abs(b))
        worst = np.max(np.abs(out[:, i] - b) - bound)
        assert worst <= 0, f"{n}: exceeds the bound by {worst:.3g}"


def test_course_is_baked_in(closed_form_models):
    """The course-augmented SBML carries one event per session at the course's times."""
    from mechtms import protocols

    course = protocols.preset_course("sci_15hz_mouse").replace(days=3)
    doc = _doc(ex.export_sbml("closed_forms", course=course))
    m = doc.getModel()
    assert m.getNumEvents() == course.n_sessions == 3
    times = [m.getParameter(f"sess_t_{k}").getValue() for k in range(3)]
    np.testing.assert_allclose(times, course.session_start_times_h())  # hour model
    assert [m.getParameter(f"sess_dose_{k}").getValue() for k in range(3)] == [1.0, 1.0, 1.0]
    sham = _doc(ex.export_sbml("closed_forms", course=course.replace(protocol=course.protocol.as_sham())))
    assert [sham.getModel().getParameter(f"sess_dose_{k}").getValue() for k in range(3)] == [0.0] * 3


def test_changes_are_baked_in_and_initial_assignments_follow(closed_form_models):
    import roadrunner

    rr = roadrunner.RoadRunner(ex.export_sbml("closed_forms", changes={"k": 2.0, "X": 3.0}))
    assert rr["X2"] == pytest.approx(4.0) and rr["X"] == pytest.approx(3.0)
    with pytest.raises(KeyError, match="unknown parameter or species of closed_forms 'kk'.*Did you mean 'k'"):
        ex.export_sbml("closed_forms", changes={"kk": 1.0})
    with pytest.raises(ValueError, match="cannot set 'Ktot' of closed_forms: it is defined by a rule"):
        ex.export_sbml("closed_forms", changes={"Ktot": 1.0})


# ---- COPASI cross-check ----------------------------------------------------------------
def _assert_agrees(table):
    bad = table[~table["ok"]]
    assert bad.empty, f"COPASI and roadrunner disagree:\n{bad}"
    assert (table["max_rel_diff"] <= TOL_REL).all()


def test_copasi_agrees_on_the_default_experiment(model):
    exp = ex.default_experiment(model)
    table = ex.crosscheck(model, **exp.kwargs(), tol_rel=TOL_REL, tol_abs=TOL_ABS)
    _assert_agrees(table)
    assert set(table.index) == set(models.model_info(model).outputs) or not models.model_info(model).outputs
    # the experiment does something: some read-out moves (else the check proves little)
    assert (table["max_value"] > 0).any()


def test_copasi_agrees_on_sham(model):
    exp = ex.default_experiment(model, sham=True)
    _assert_agrees(ex.crosscheck(model, **exp.kwargs()))


@pytest.mark.parametrize("k", range(N_RANDOM))
def test_copasi_agrees_on_random_parameters(model, k):
    """Inputs drawn log-uniformly in x0.5..x2 of their defaults (clipped to documented
    ranges), seed 7 + k, with the default experiment's events."""
    exp = ex.default_experiment(model)
    changes = ex.random_changes(model, 1, seed=7 + k, exclude=exp.changes)[0]
    assert changes, "the model declares no scalable inputs"
    kw = exp.kwargs()
    kw["changes"] = {**kw["changes"], **changes}
    _assert_agrees(ex.crosscheck(model, **kw))


def test_crosscheck_defaults_to_the_representative_experiment(closed_form_models):
    table = ex.crosscheck("closed_forms")
    exp = ex.default_experiment("closed_forms")
    assert table.attrs["course"] == exp.course.summary() and table.attrs["points"] == 24 * (exp.course.end_day + 1) + 1
    assert table["ok"].all() and table.loc["signal", "max_value"] > 0.5  # sessions delivered
    with pytest.raises(ValueError, match=r"give t_end \(in hours\) or a course"):
        ex.crosscheck("closed_forms", changes={"k": 1.0})


def test_crosscheck_catches_a_difference(closed_form_models):
    """The comparison can fail: two runs of different models are flagged."""
    a = ex.run_roadrunner(ex.export_sbml("closed_forms"), 2.0, 5, ["X"])
    b = ex.run_roadrunner(ex.export_sbml("closed_forms", changes={"k": 0.5 * (1 + 1e-3)}), 2.0, 5, ["X"])
    table = ex.compare(a, b, ["X"])
    assert not table.loc["X", "ok"] and 1e-4 < table.loc["X", "max_rel_diff"] < 2e-3


def test_documented_ranges_bound_random_sets(tmp_models):
    (tmp_models / "ranged.ant").write_text(
        "// title: t\n// time_unit: hour\n// inputs: inh, g, off, gain\n// outputs: A\n// ranges: g=0.5..0.6\n"
        "model m\n  A = 1;\n  inh = 0.8   // a block, 0..1\n  g = 0.55    // see header\n"
        "  off = 0     // no range: stays 0\n  gain = 2    // gain, 1.2..3\nend\n")
    assert ex.documented_ranges("ranged") == {"inh": (0.0, 1.0), "g": (0.5, 0.6), "gain": (1.2, 3.0)}
    for changes in ex.random_changes("ranged", 20, seed=1):
        assert 0.4 <= changes["inh"] <= 1.0          # x0.5..x2 of 0.8, clipped to 0..1
        assert 0.5 <= changes["g"] <= 0.6
        assert 1.2 <= changes["gain"] <= 3.0 and "off" not in changes


def test_random_changes_are_reproducible_and_in_range(closed_form_models):
    a = ex.random_changes("closed_forms", 4, seed=3)
    assert a == ex.random_changes("closed_forms", 4, seed=3) != ex.random_changes("closed_forms", 4, seed=4)
    defaults = {"k": 0.5, "ka": 2.0, "kd": 1.0, "tau_signal": 3.0}
    for changes in a:
        assert set(changes) == set(defaults)
        for key, value in changes.items():
            assert 0.5 * defaults[key] <= value <= 2.0 * defaults[key]


# ---- COMBINE archive with a SED-ML experiment -----------------------------------------
def test_omex_opens_validates_and_reproduces_mechtms(model, tmp_path):
    """Archive -> libcombine -> SED-ML (libsedml, 0 errors) -> tellurium's executor, against
    ``simulate_model`` on the same experiment at the same tolerances (1e-10/1e-12).
    Measured: largest difference 1.5e-6 x the read-out's range at mechtms's default
    tolerances, < 1e-8 at matched ones; asserted: 1e-6 x range + 1e-9. (Fast mode: the
    7-day course, since simulate_model's course set-up costs ~0.1 s per session parameter.)"""
    exp = ex.default_experiment(model)
    path = ex.write_omex(model, tmp_path, experiment=exp)
    content = ex.read_omex(path)
    formats = sorted(content["entries"].values())
    assert any("sbml" in f for f in formats) and any("sed-ml" in f for f in formats)
    assert ex.sedml_errors(content["sedml"]) == []
    assert ex.validate(sbml=content["sbml"]).ok
    ref = ode.simulate_model(model, **exp.kwargs(), rtol=1e-10, atol=1e-12)
    got = ex.run_omex(path)
    assert set(got.data_vars) == set(models.model_info(model).outputs)
    np.testing.assert_allclose(got.time.values, ref.time.values, rtol=1e-12)
    for name in got.data_vars:
        a, b = got[name].values, ref[name].values
        scale = np.max(np.abs(b))
        assert np.max(np.abs(a - b)) <= 1e-6 * scale + 1e-9, name


def test_sedml_errors_are_reported():
    assert ex.sedml_errors('<?xml version="1.0"?><sedML xmlns="http://sed-ml.org/sed-ml/level1/version4" '
                           'level="1" version="4"><listOfModels><model/></listOfModels></sedML>')


# ---- what must fail --------------------------------------------------------------------
HEADER = "// title: t\n// time_unit: hour\n// outputs: A\n"


def test_delay_and_algebraic_rules_are_rejected(tmp_models):
    import libsedml  # noqa: F401  (regression: once imported, libsbml AST walks found nothing)

    (tmp_models / "with_delay.ant").write_text(HEADER + "model m\n  A = 1; B = 0;\n  B' = delay(A, 1);\nend\n")
    (tmp_models / "with_alg.ant").write_text(HEADER + "model m\n  A = 1; B = 2;\n  0 = A + B - 3;\nend\n")
    for name, what in (("with_delay", r"delay\(\) in rule for B"), ("with_alg", "algebraic rule")):
        with pytest.raises(ValueError, match=f"{name}: libroadrunner cannot run this model: .*{what}"):
            ex.export_sbml(name)
        report = ex.validate(name)
        assert not report.ok and "libroadrunner" in str(report.errors[0])


def test_missing_initial_values_are_errors(tmp_models):
    # Antimony leaves S without a value: roadrunner would start it at 0, COPASI at 1.
    (tmp_models / "no_init.ant").write_text(HEADER + "model m\n  compartment c = 1;\n  species S in c;\n"
                                            "  A = 1;\n  J: S -> ; A*S;\nend\n")
    report = ex.validate("no_init")
    assert not report.ok
    assert any("species S has no initial value" in i.message for i in report.errors)
    with pytest.raises(ValueError, match="no_init: 1 errors.*species S has no initial value"):
        ex.write_sbml("no_init", tmp_models / "out")
    assert not (tmp_models / "out" / "no_init.xml").exists()


def test_header_dates_and_units_are_checked(tmp_models):
    (tmp_models / "dated.ant").write_text("// created: 2025-03-01\n// modified: 2025-04-02\n" + HEADER
                                          + "model m\n  A = 1;\nend\n")
    doc = _doc(ex.export_sbml("dated"))  # keep the document alive while reading its history
    h = doc.getModel().getModelHistory()
    assert h.getCreatedDate().getDateAsString() == "2025-03-01T00:00:00Z"
    assert h.getModifiedDate(0).getDateAsString() == "2025-04-02T00:00:00Z"
    (tmp_models / "baddate.ant").write_text("// created: 1 March\n" + HEADER + "model m\n  A = 1;\nend\n")
    with pytest.raises(ValueError, match="header 'created: 1 March' must be a date YYYY-MM-DD"):
        ex.export_sbml("baddate")
    (tmp_models / "clash.ant").write_text(HEADER + "model m\n  unit time_unit = second;\n  A = 1;\nend\n")
    with pytest.raises(ValueError, match="timeUnits 'second' contradict the header time_unit 'hour'"):
        ex.export_sbml("clash")


def test_validate_needs_exactly_one_source():
    with pytest.raises(ValueError, match="give a model name or sbml=..., not both"):
        ex.validate()


# ---- command line ----------------------------------------------------------------------
def _run(*args, env_dir=DATA):
    import os

    env = {**os.environ, "MECHTMS_MODELS_DIR": str(env_dir)}
    return subprocess.run([sys.executable, "-m", "mechtms", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_cli_export_sbml(tmp_path):
    r = _run("export", "sbml", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "closed_forms.xml  (0 errors" in r.stdout
    models.clear_cache()
    assert (tmp_path / "closed_forms.xml").read_text().startswith("<?xml")


def test_cli_export_omex(tmp_path):
    r = _run("export", "omex", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "closed_forms.omex").is_file()
    assert ex.read_omex(tmp_path / "closed_forms.omex")["sbml"].startswith("<?xml")


def test_cli_export_validate_reports_stale_files():
    # the fixture has no committed sbml/closed_forms.xml: reported, exit status 1
    r = _run("export", "validate")
    assert r.returncode == 1
    assert "closed_forms: 0 errors" in r.stdout and "sbml/closed_forms.xml STALE or missing" in r.stdout


def test_cli_unknown_model_is_one_line_exit_2(tmp_path):
    r = _run("export", "sbml", "--out", str(tmp_path), "closed_form")
    assert r.returncode == 2
    assert r.stderr.strip() == ("mechtms: error: unknown model 'closed_form'. Did you mean 'closed_forms'? "
                                "Known models: closed_forms.")
    assert not list(tmp_path.iterdir())
