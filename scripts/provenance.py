"""What produced results/: a hash of the code and settings, and the package versions.

    python scripts/provenance.py --write   # after the main job (scripts/main_job.py calls it)
    python scripts/provenance.py --check   # CI's first step: exit 1, naming the files, if results/ is stale

The hash covers every file whose change can change a number in results/: utils.py, the
modules it imports (data/loading.py, data/caching.py, data/features.py, lyrics.py, offline_models.py), the demo
builder and its lyrics, the notebooks' code cells (parameters included; outputs and prose are
not code), the main job and the pinned requirements. It is
written to results/provenance.json with one hash per file, so a stale check names the files
that changed since the results were made. Standard library only: it runs before any install.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "results" / "provenance.json"
CODE_FILES = ["utils.py", "data/loading.py", "data/caching.py", "data/features.py", "lyrics.py", "offline_models.py",
              "data/make_demo.py", "data/demo_lyrics.csv",
              "notebooks/01_easy.ipynb", "notebooks/02_medium.ipynb", "notebooks/03_hard.ipynb",
              "scripts/main_job.py", "requirements.txt", "constraints.txt"]
PACKAGES = ["numpy", "scipy", "pandas", "scikit-learn", "torch", "librosa", "umap-learn", "matplotlib", "seaborn",
            "openai-whisper", "sentence-transformers", "papermill"]


def notebook_code(path: Path) -> bytes:
    """Return the code cells' sources of a notebook (papermill's injected parameters left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"
            and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    return "\n\x1e\n".join(code).encode()


def file_hashes(root: Path = ROOT) -> dict[str, str]:
    """Return {relative path: sha256} of every code file that results/ depends on."""
    out = {}
    for name in CODE_FILES:
        path = root / name
        data = notebook_code(path) if path.suffix == ".ipynb" else path.read_bytes().replace(b"\r\n", b"\n")
        out[name] = hashlib.sha256(data).hexdigest()
    return out


def combined_hash(hashes: dict[str, str]) -> str:
    """Return one hash of all the per-file hashes."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages that compute the results."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def hardware() -> dict:
    """Return what decides the last digits of the results: the CPU model and the instruction set
    torch's kernels use on it (float sums run in another order on another CPU, and a K-Means
    assignment can then flip), with the torch version."""
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        import torch

        capability, version = torch.backends.cpu.get_cpu_capability(), torch.__version__
    except Exception:   # stdlib-only use (the stale check) has no torch
        capability = version = "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_cpu_capability": capability, "torch": version}


def write(cold_cache: bool, seconds: dict[str, float] | None = None) -> dict:
    """Write results/provenance.json for the current code, with each stage's wall time in seconds
    (the main job's; they vary run to run, so CI's comparison leaves them out); return the record."""
    import platform

    hashes = file_hashes()
    record = {"code_hash": combined_hash(hashes), "files": hashes, "cold_cache": cold_cache,
              "python": platform.python_version(), "packages": package_versions(), "hardware": hardware(),
              "seconds": {stage: round(value, 1) for stage, value in (seconds or {}).items()}}
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return record


def stale_files() -> list[str]:
    """Return the code files whose hash differs from the one recorded with results/ (all of them if none is)."""
    if not RECORD.exists():
        return list(CODE_FILES)
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))["files"]
    current = file_hashes()
    return sorted(name for name in set(current) | set(recorded) if current.get(name) != recorded.get(name))




def real_run_hashes(root: Path = ROOT) -> dict[str, str]:
    """Return the per-file hashes of what a real-data run depends on (the demo's main job script aside)."""
    hashes = file_hashes(root)
    hashes.pop("scripts/main_job.py", None)
    hashes["scripts/run_real.py"] = hashlib.sha256((root / "scripts" / "run_real.py").read_bytes()).hexdigest()
    return hashes


def stale_real_sets(root: Path = ROOT) -> dict[str, list[str]]:
    """Return, per committed real-data set (results/real/<set>/run.json), the files changed since its run."""
    current, out = real_run_hashes(root), {}
    for record_path in sorted((root / "results" / "real").glob("*/run.json")):
        recorded = json.loads(record_path.read_text(encoding="utf-8")).get("files", {})
        changed = sorted(n for n in set(current) | set(recorded) if current.get(n) != recorded.get(n))
        if changed:
            out[record_path.parent.name] = changed
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true", help="exit 1 if results/ was made by other code")
    group.add_argument("--write", action="store_true", help="record the current code (the main job does this)")
    ap.add_argument("--cold-cache", action="store_true", help="with --write: the run started from an empty cache")
    ap.add_argument("--seconds", type=json.loads, default=None, help='with --write: {"stage": seconds, ...}')
    args = ap.parse_args(argv)
    if args.write:
        print(f"results/provenance.json: code hash {write(args.cold_cache, args.seconds)['code_hash'][:16]}")
        return 0
    stale, stale_real = stale_files(), stale_real_sets()
    if stale_real:
        print("STALE REAL-DATA RESULTS: results/real/ was produced by other code than this commit's:\n  "
              + "\n  ".join(f"{name}: {', '.join(files)}" for name, files in stale_real.items())
              + "\nRe-run them (`make real`, with the data under ../shared/data) and commit results/real/ and README.md.")
        return 1
    if stale:
        print("STALE RESULTS: results/ was produced by other code than this commit's. Changed since the last "
              "main job:\n  " + "\n  ".join(stale) +
              "\nRe-run the main job (`make clean-cache all`) and commit results/, the notebooks and README.md.")
        return 1
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    if not record.get("cold_cache"):
        print("results/ comes from a run that reused cached models: re-run `make clean-cache all` so the committed "
              "notebooks show the training as it happened.")
        return 1
    print(f"results/ matches the code (hash {record['code_hash'][:16]}, cold-cache run).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
