"""CI's results check: after the main job ran in a clean clone, compare what it wrote with what is committed.

    python scripts/check_results.py --since EPOCH_SECONDS

Checks, each reported with what differs:
* every CSV under results/ in the last commit equals the re-run: same columns, rows and text,
  numbers within --tolerance (columns that time things, ``seconds*``, are skipped);
* every committed figure was written again by this run (modified after --since), and the run
  wrote no file under results/ that is not committed;
* the executed notebooks hold no error output, their code cells ran in order (1, 2, 3, ...),
  and each is under 1.5 MB;
* README.md, results/README.md and results/real/README.md (their generated tables) and
  results/provenance.json are unchanged.
Numbers are compared strictly only on the hardware that produced the committed results
(results/provenance.json records the CPU and torch's instruction set): on another CPU, float
sums run in another order, the last digits differ and a K-Means assignment can flip, so there
the numeric differences are printed as a note, and files, columns, rows and the code hash
(scripts/provenance.py) are what must match.
Real-data results (results/real/) are checked the same way where they are committed; they are
re-made by their own command, so without ../shared the check says so and skips them.
Exit status 1 on any difference.
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from check_reproducible import compare_frames  # noqa: E402
from provenance import hardware  # noqa: E402
from tasks import TASKS  # noqa: E402

MAX_NOTEBOOK_BYTES = 1_500_000


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def committed_files(folder: str) -> list[str]:
    return [line for line in git("ls-files", folder).splitlines() if line]


def check_tables(paths: list[str], tolerance: float) -> list[str]:
    """Return the differences between the committed CSVs and the re-run's."""
    problems = []
    for rel in paths:
        if not (ROOT / rel).exists():
            problems.append(f"{rel}: not written by the re-run")
            continue
        committed = pd.read_csv(io.StringIO(git("show", f"HEAD:{rel}")))
        problems += [f"{rel}: {p}" for p in compare_frames(committed, pd.read_csv(ROOT / rel), tolerance)]
    return problems


def check_notebook(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"{path.name}: code cells not executed in order 1..{len(counts)} (execution counts {counts})")
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{path.name}: cell {i} raised {out.get('ename')}: {out.get('evalue', '')[:200]}")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        problems.append(f"{path.name}: {size / 1e6:.2f} MB, over the {MAX_NOTEBOOK_BYTES / 1e6:.1f} MB limit")
    return problems


def _record_diff(committed: dict, rel: str) -> str:
    """Return how the re-run's provenance record differs from the committed one, stage times left out."""
    rerun = json.loads((ROOT / rel).read_text(encoding="utf-8"))
    changed = sorted(k for k in set(committed) | set(rerun) if k != "seconds" and committed.get(k) != rerun.get(k))
    return "" if not changed else f"fields {changed} differ"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--since", type=float, required=True, help="time (epoch seconds) the main job started")
    ap.add_argument("--tolerance", type=float, default=1e-9)
    args = ap.parse_args(argv)
    problems: list[str] = []
    try:
        committed_record = json.loads(git("show", "HEAD:results/provenance.json"))
    except subprocess.CalledProcessError:
        committed_record = {}
    produced_on, here = committed_record.get("hardware"), hardware()
    same_hardware = produced_on == here
    if not same_hardware:
        print(f"NOTE: the committed results were produced on {produced_on}; this machine is {here}. Numbers can "
              "differ in the last digits (and clusters then flip), so they are compared as a note only; files, "
              "columns, rows, figures, notebooks and the code hash must still match.")
    numeric: list[str] = []
    committed = committed_files("results")
    real = [p for p in committed if p.startswith("results/real/")]
    demo = [p for p in committed if not p.startswith("results/real/")]
    for problem in check_tables([p for p in demo if p.endswith(".csv")], args.tolerance):
        structural = "shape or columns differ" in problem or "not written" in problem
        (problems if same_hardware or structural else numeric).append(problem)
    for rel in (p for p in demo if p.endswith(".png")):
        path = ROOT / rel
        if not path.exists() or path.stat().st_mtime < args.since:
            problems.append(f"{rel}: committed figure not regenerated by the main job")
    written = {str(p.relative_to(ROOT)) for p in (ROOT / "results").rglob("*") if p.is_file()}
    problems += [f"{rel}: written by the main job but not committed" for rel in sorted(written - set(committed))]
    for notebook in TASKS.values():
        problems += check_notebook(ROOT / "notebooks" / notebook)
    for rel in ("README.md", "results/README.md", "results/real/README.md", "results/provenance.json"):
        diff = git("diff", "--", rel) if not rel.endswith(".json") else _record_diff(committed_record, rel)
        if diff:
            (problems if same_hardware else numeric).append(f"{rel} changed after the main job:\n{diff[:3000]}")
    rerun_record = json.loads((ROOT / "results" / "provenance.json").read_text(encoding="utf-8"))
    if rerun_record.get("code_hash") != committed_record.get("code_hash"):
        problems.append("results/provenance.json: the re-run's code hash differs from the committed one")
    if real:
        if (ROOT.parent / "shared" / "data").is_dir():
            problems += check_tables([p for p in real if p.endswith(".csv")], args.tolerance)
        else:
            print(f"results/real/: {len(real)} committed files not checked: ../shared/data is absent here.")
    else:
        print("results/real/: no real-data results committed; nothing to compare.")
    n_tables = len([p for p in demo if p.endswith(".csv")])
    if numeric:
        print(f"Numeric differences on this other hardware (not failures): {len(numeric)}\n  "
              + "\n  ".join(n[:300] for n in numeric[:20]))
    if problems:
        print("RESULTS DIFFER from the committed ones (the committed results no longer follow from the code):")
        print("  " + "\n  ".join(problems))
        return 1
    print(f"Results reproduced: {n_tables} tables " + (f"within {args.tolerance:g}, " if same_hardware else
          "in files, columns and rows (other hardware), ") +
          f"{len([p for p in demo if p.endswith('.png')])} figures regenerated, notebooks clean and in order, "
          "README and provenance unchanged.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
