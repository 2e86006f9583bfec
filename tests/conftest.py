"""Shared fixtures: the tiny demo (built once per session) and paths to ../shared data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))
SHARED_DATA = ROOT.parent / "shared" / "data" / "gtzan"
# Notebooks executed by the tests print one line per loop instead of progress bars (as in the main job).
os.environ.setdefault("MUSIC_VAE_PROGRESS", "summary")


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory) -> Path:
    """Build the tiny demo preset once into a temporary folder; return its folder."""
    import make_demo

    return make_demo.build("tiny", tmp_path_factory.mktemp("demo"), workers=2, quiet=True)


@pytest.fixture(scope="session")
def shared_gtzan() -> Path:
    """Return ../shared/data/gtzan, or skip with a message where it is absent (a user's clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real GTZAN sample data not found at {SHARED_DATA} (only present in the project's CI)")
    return SHARED_DATA
