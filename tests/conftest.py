"""Shared fixtures."""

from pathlib import Path

import pytest

#: Closed-form test models (not biological models): each .ant header states its closed forms.
TEST_MODELS = Path(__file__).parent / "data" / "models"


@pytest.fixture
def closed_form_models(monkeypatch):
    """Point mechtms.models at tests/data/models for the test, with a clean compile cache."""
    monkeypatch.setenv("MECHTMS_MODELS_DIR", str(TEST_MODELS))
    from mechtms import models

    models.clear_cache()
    yield TEST_MODELS
    models.clear_cache()
