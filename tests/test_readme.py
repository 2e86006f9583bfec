"""The README's numbers are the ones in results/: its tables are generated, and checked here."""
from __future__ import annotations

import sys

import pandas as pd
import pytest

import utils
from data import caching

sys.path.insert(0, str(caching.PROJECT_ROOT / "scripts"))
import update_readme  # noqa: E402


def test_generated_tables_match_results():
    for path, start, end, make_block in update_readme.BLOCKS:
        text = path.read_text(encoding="utf-8")
        assert update_readme.render(text, make_block(), start, end) == text, f"{path.name}: run scripts/update_readme.py"


def test_readme_is_one_screen_and_its_finding_is_generated():
    readme = update_readme.README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150 and "make all" in readme.split("## The finding")[0]
    finding = update_readme.finding_markdown()
    assert finding in readme and "On the demo" in finding and "On real music" in finding


def test_finding_is_computed_from_the_comparisons(tmp_path):
    (tmp_path / "hard").mkdir()
    (tmp_path / "real").mkdir()
    row = dict(metric="nmi_genre", n_seeds=5, mean_difference=0.1, ci_low=0.05, ci_high=0.15)
    pd.DataFrame([{**row, "target": "Beta-VAE beta=1", "other": "PCA (MFCC)", "target_mean": 0.5, "other_mean": 0.4,
                   "verdict": "higher"}]).to_csv(tmp_path / "hard" / "comparisons.csv", index=False)
    pd.DataFrame([{**row, "set": s, "verdict": v} for s, v in (("a", "level"), ("a", "lower"), ("b", "level"))]).to_csv(
        tmp_path / "real" / "verdicts.csv", index=False)
    text = update_readme.finding_markdown(tmp_path)
    assert "0.500 against 0.400" in text and "**higher**" in text
    assert "2 sets, 3 VAE pipelines" in text and "higher 0 times, level 2 times, lower 1 times" in text


def test_tables_are_generated_from_metrics(tmp_path):
    (tmp_path / "easy").mkdir()
    pd.DataFrame({"method": ["A", "A", "B", "B"], "seed": [0, 1, 0, 1], "nmi_genre": [0.2, 0.4, 0.1, 0.1],
                  "nmi_language": [None] * 4}).to_csv(tmp_path / "easy" / "metrics.csv", index=False)
    block = update_readme.results_markdown(tmp_path)
    assert "| A | 0.300 ± 0.141 | 2 |" in block and "| B | 0.100 ± 0.000 | 2 |" in block
    assert "NMI language" not in block                      # all-missing metrics are left out
    with pytest.raises(ValueError, match="markers"):
        update_readme.render("no markers here", block)
