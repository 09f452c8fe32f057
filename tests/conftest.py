"""Shared test fixtures: locate ../shared/data, keep torch single-threaded per xdist worker."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LANGTRANSFER_SHARED_DATA", REPO.parent / "shared" / "data"))


_OWN_CACHE: list[str] = []  # the tokenised-data cache folder this process made (removed at exit)


def pytest_configure(config):
    # Two xdist workers on two cores: one torch thread each avoids oversubscription.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Stages cache tokenised data (langtransfer.data.cache); keep tests out of ~/.cache. The
    # xdist workers inherit the controller's folder and share it (entries are written atomically).
    if "LANGTRANSFER_CACHE" not in os.environ:
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="langtransfer-test-cache-"))
        os.environ["LANGTRANSFER_CACHE"] = _OWN_CACHE[0]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_unconfigure(config):
    for folder in _OWN_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real datasets for tests); skip with a reason where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set LANGTRANSFER_SHARED_DATA)")
    return SHARED_DATA
