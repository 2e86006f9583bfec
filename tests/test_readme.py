"""The README's numbers are the ones in results/: its tables are generated, and checked here."""
from __future__ import annotations

import sys

import pandas as pd
import pytest

import utils

sys.path.insert(0, str(utils.PROJECT_ROOT / "scripts"))
import update_readme  # noqa: E402


def test_readme_tables_match_results():
    readme = (utils.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert update_readme.render(readme, update_readme.results_markdown()) == readme, \
        "run `python scripts/update_readme.py`"


def test_tables_are_generated_from_metrics(tmp_path):
    (tmp_path / "easy").mkdir()
    pd.DataFrame({"method": ["A", "A", "B", "B"], "seed": [0, 1, 0, 1], "nmi_genre": [0.2, 0.4, 0.1, 0.1],
                  "nmi_language": [None] * 4}).to_csv(tmp_path / "easy" / "metrics.csv", index=False)
    block = update_readme.results_markdown(tmp_path)
    assert "| A | 0.300 ± 0.141 | 2 |" in block and "| B | 0.100 ± 0.000 | 2 |" in block
    assert "NMI language" not in block                      # all-missing metrics are left out
    with pytest.raises(ValueError, match="markers"):
        update_readme.render("no markers here", block)
