"""What the benchmark scripts share."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_table(table: pd.DataFrame, out: Path) -> None:
    """Write a benchmark's table to ``out`` as CSV (creating its folder) and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"wrote {out}")


def available_sets(names: list[str], sets: dict, data: Path) -> list[str]:
    """Return the names whose data is present (``sets``: name -> (dataset, path under ``data``;
    None for the demo)), saying which were skipped and why."""
    found = []
    for name in names:
        rel = sets[name][1]
        if rel is not None and not (data / rel).exists():
            print(f"{data / rel} not found: {name} skipped.")
        else:
            found.append(name)
    return found
