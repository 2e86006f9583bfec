"""The reproducibility check's comparison finds differences and ignores wall-time columns."""
from __future__ import annotations

import sys

import pandas as pd

import utils

sys.path.insert(0, str(utils.PROJECT_ROOT / "scripts"))
from check_reproducible import compare_tables  # noqa: E402


def test_compare_tables(tmp_path):
    a = pd.DataFrame({"method": ["x", "y"], "nmi": [0.5, float("nan")], "seconds_per_track": [1.0, 2.0]})
    a.to_csv(tmp_path / "a.csv", index=False)
    a.assign(seconds_per_track=[9.0, 9.0]).to_csv(tmp_path / "same.csv", index=False)
    assert compare_tables(tmp_path / "a.csv", tmp_path / "same.csv", 1e-9) == []
    a.assign(nmi=[0.5 + 1e-6, float("nan")]).to_csv(tmp_path / "num.csv", index=False)
    assert "nmi" in compare_tables(tmp_path / "a.csv", tmp_path / "num.csv", 1e-9)[0]
    assert compare_tables(tmp_path / "a.csv", tmp_path / "num.csv", 1e-3) == []
    a.assign(nmi=[0.5, 0.1]).to_csv(tmp_path / "nan.csv", index=False)
    assert "NaNs differ" in compare_tables(tmp_path / "a.csv", tmp_path / "nan.csv", 1.0)[0]
    a.assign(method=["x", "z"]).to_csv(tmp_path / "text.csv", index=False)
    assert "text differs" in compare_tables(tmp_path / "a.csv", tmp_path / "text.csv", 1e-9)[0]
    assert "not written" in compare_tables(tmp_path / "a.csv", tmp_path / "missing.csv", 1e-9)[0]
