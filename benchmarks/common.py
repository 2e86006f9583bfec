"""What the benchmark scripts share."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_table(table: pd.DataFrame, out: Path) -> None:
    """Write a benchmark's table to ``out`` as CSV (creating its folder) and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"wrote {out}")
