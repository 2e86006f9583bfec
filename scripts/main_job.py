"""The main job: build the demo, execute the three notebooks in place, regenerate the README tables.

    python scripts/main_job.py                    # what `make all` runs after installing
    python scripts/main_job.py --only 02_medium   # one notebook (still in place, default parameters)

Each notebook runs with papermill (kernel python3, working directory notebooks/) and its
log streams to the terminal. Progress bars are replaced by one summary line per loop
(``MUSIC_VAE_PROGRESS=summary``), so the saved notebooks hold no progress-bar fragments.
A full run records what produced the results in results/provenance.json (see
scripts/provenance.py), including whether it started from an empty cache. At the end the
wall time of every stage is printed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from tasks import TASKS  # noqa: E402  (task -> notebook file, the one list of notebooks)

NOTEBOOKS = [Path(name).stem for name in TASKS.values()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", choices=NOTEBOOKS, help="notebooks to run (default: all three)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")   # papermill streams cell output as log records
    os.environ["MUSIC_VAE_PROGRESS"] = "summary"   # inherited by the notebook kernels
    sys.path.insert(0, str(ROOT / "data"))
    sys.path.insert(0, str(ROOT))
    import make_demo
    import papermill as pm
    import provenance
    from data import caching

    cache = Path(caching.CACHE_DIR)
    cold = not cache.exists() or not any(cache.iterdir())
    print(f"Cache {cache}: {'empty (cold run: every model is trained)' if cold else 'in use (cached models are loaded)'}")
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
    if args.only:
        print("Only some notebooks ran: results/provenance.json is left as it was (a full run rewrites it).")
    else:   # the CPU and each stage's wall time are recorded with the results
        provenance.main(["--write", "--seconds", json.dumps(dict(timings))] + (["--cold-cache"] if cold else []))
    total = sum(t for _, t in timings)
    print("\nWall time per stage:")
    for stage, seconds in timings:
        print(f"  {stage:<28} {seconds:7.1f} s")
    print(f"  {'total':<28} {total:7.1f} s ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
