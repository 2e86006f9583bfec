"""The main job: build the demo, execute the three notebooks in place, regenerate the README tables.

    python scripts/main_job.py                    # what `make all` runs after installing
    python scripts/main_job.py --only 02_medium   # one notebook (still in place, default parameters)

Each notebook runs with papermill (kernel python3, working directory notebooks/) and its
log streams to the terminal. At the end the wall time of every stage is printed.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from update_readme import TASKS  # noqa: E402  (task -> notebook file, the one list of notebooks)

NOTEBOOKS = [Path(name).stem for name in TASKS.values()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", choices=NOTEBOOKS, help="notebooks to run (default: all three)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")   # papermill streams cell output as log records
    sys.path.insert(0, str(ROOT / "data"))
    import make_demo
    import papermill as pm

    timings = []
    start = time.perf_counter()
    make_demo.build("full", ROOT / "data" / "demo")
    timings.append(("demo dataset (full)", time.perf_counter() - start))
    for name in args.only or NOTEBOOKS:
        path = ROOT / "notebooks" / f"{name}.ipynb"
        print(f"\n=== {name}: executing {path.relative_to(ROOT)} in place", flush=True)
        start = time.perf_counter()
        pm.execute_notebook(str(path), str(path), kernel_name="python3", cwd=str(path.parent), log_output=True,
                            progress_bar=False)
        timings.append((f"notebook {name}", time.perf_counter() - start))
    start = time.perf_counter()
    import update_readme

    update_readme.main([])
    timings.append(("README tables", time.perf_counter() - start))
    total = sum(t for _, t in timings)
    print("\nWall time per stage:")
    for stage, seconds in timings:
        print(f"  {stage:<28} {seconds:7.1f} s")
    print(f"  {'total':<28} {total:7.1f} s ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
