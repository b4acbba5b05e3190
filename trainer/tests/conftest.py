"""Fixtures: one tiny model folder per session; deterministic torch threads."""

from __future__ import annotations

import pytest
import torch

from helpers import make_tiny_model

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("model"))
