"""Real-data runs: the notebooks on real music, by parameters only, into results/real/<set>/<task>/.

    python scripts/run_real.py                          # every set found under ../shared/data
    python scripts/run_real.py --only gtzan_clips       # some sets
    python scripts/run_real.py --data /path/to/data     # another root holding the same layout
    python scripts/run_real.py --set mine folder /path/to/songs   # your own folder (or gtzan / features)
    python scripts/run_real.py --set mine folder /path/to/songs --param LYRICS_SOURCE whisper   # any parameter
    python scripts/run_real.py --quick --results /tmp/smoke     # smoke mode (default: data/real_runs/quick)

What `make real` runs. Each notebook is executed with papermill with DATASET, DATA_DIR and
RESULTS_DIR set (and the set's few other parameters, listed in REAL_SETS); its tables and
figures go to results/real/<set>/<task>/, the executed notebook to data/real_runs/<set>/
(not committed: it can show a song's words). A set whose data is absent is skipped with a
message, never a failure. At the end, results/real/<set>/run.json records the data, the
tracks, the time per notebook and the code hash (scripts/provenance.py), and
results/real/verdicts.csv collects every "VAE vs PCA + K-Means" verdict the notebooks
computed (paired per-seed differences), which the README shows. Then benchmarks on the same
data: Whisper's gate (benchmarks/whisper_gate.py), VAE pipelines with and without UMAP on the
feature table (benchmarks/real_vae_directions.py), the VAE trained on 3-s segments of the
audio sets (benchmarks/real_segment_vae.py), the conv VAE's size and training length on the
demo and the GTZAN clips (benchmarks/conv_size.py), and VAE minus PCA against the number of
training tracks (benchmarks/learning_curve.py).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from tasks import SMOKE_PARAMETERS, TASKS  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "results" / "real"
NOTEBOOKS_OUT = ROOT / "data" / "real_runs"
# set -> dataset kind, path under the data root, notebooks, extra parameters per task, and what it is
REAL_SETS = {
    "gtzan_features": dict(
        dataset="features", path="gtzan/features_30_sec.csv", tasks=["easy"], params={},
        about="GTZAN feature table (Kaggle `features_30_sec.csv`): 1,000 tracks x 57 features, 10 genres",
        source="https://www.kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification"),
    "gtzan_clips": dict(
        dataset="gtzan", path="gtzan/audio_10x10", tasks=["easy", "medium", "hard"], params={},
        about="100 real GTZAN clips, 10 genres x 10, the first 15-20 s of each, no lyrics (Whisper transcribes)",
        source="GTZAN (Tzanetakis & Cook 2002), e.g. the Kaggle copy (`genres_original/`, see data/README.md)"),
    "banglabeats_features": dict(
        dataset="features", path="banglabeats/banglabeats_features_30sec_dev.csv", tasks=["easy"], params={},
        about="BanglaBeats feature table (development part): 486 real Bangla songs x the same 57 features as "
              "GTZAN's table, 8 Bangla genres (Adhunik, Folk, Hiphop, Indie, Islamic, Metal, Pop, Rock)",
        source="BanglaBeats (30-s features of Bangla songs); any Kaggle-style feature table runs the same way"),
    "gtzan_banglabeats_features": dict(
        dataset="features", path="banglabeats/gtzan_banglabeats_features_30sec_dev.csv", tasks=["easy"], params={},
        about="GTZAN's 1,000 rows and BanglaBeats' 486 in one table with a `language` column (eng / bng): "
              "English and Bangla songs, 14 genre labels of which 4 (rock, metal, pop, hiphop) both collections use",
        source="the two feature tables above, joined; language = the collection"),
    "songs_en_de": dict(
        dataset="folder", path="songs_en_de", tasks=["easy", "medium", "hard"],
        params={"medium": {"WHISPER_EVAL_TRACKS": 100}},   # Whisper on every song, beside the known lyrics
        about="200 real songs, 100 English and 100 German, 30-s previews with their published lyrics, "
              "6 coarse genre tags (pop, rock, rap; a few country, rb, misc)",
        source="30-s previews and lyrics of commercial songs (not redistributable): any `folder` dataset "
               "with `metadata.csv` (filename, genre, language, lyrics) runs the same way"),
}
# the "VAE pipeline vs PCA + K-Means" comparison in each notebook's comparisons.csv
VERDICTS = {"easy": ("VAE + K-Means", "PCA + K-Means"), "medium": ("conv VAE (audio)", "PCA (MFCC)"),
            "hard": ("Beta-VAE beta=1", "PCA (MFCC)")}


def run_set(name: str, spec: dict, data_root: Path, quick: bool, results: Path,
            tasks: list[str] | None = None, extra: dict | None = None) -> dict | None:
    """Run one set's notebooks (``extra``: parameters for every notebook, over the set's own);
    return its record for run.json, or None when its data is absent."""
    import papermill as pm

    data_path = (data_root / spec["path"]).resolve()
    if not data_path.exists():
        print(f"{name}: skipped, {data_path} not found ({spec['about']}).")
        return None
    record = {"set": name, "dataset": spec["dataset"], "data": spec["path"], "about": spec["about"],
              "source": spec["source"], "quick": quick, "parameters": extra or {}, "seconds": {}}
    for task in [t for t in spec["tasks"] if not tasks or t in tasks]:
        notebook = TASKS[task]
        out_dir = results / name / task
        out_dir.mkdir(parents=True, exist_ok=True)
        executed = (NOTEBOOKS_OUT if not quick else results / "_notebooks") / name / notebook
        executed.parent.mkdir(parents=True, exist_ok=True)
        params = {"DATASET": spec["dataset"], "DATA_DIR": str(data_path), "RESULTS_DIR": str(out_dir),
                  **spec["params"].get(task, {}), **(extra or {}), **(SMOKE_PARAMETERS[notebook] if quick else {})}
        print(f"\n=== {name} / {task}: {notebook} with {params}", flush=True)
        start = time.perf_counter()
        pm.execute_notebook(str(ROOT / "notebooks" / notebook), str(executed), parameters=params,
                            kernel_name="python3", cwd=str(ROOT / "notebooks"), log_output=True, progress_bar=False)
        record["seconds"][task] = round(time.perf_counter() - start, 1)
        record["executed_notebooks"] = (str(executed.parent.relative_to(ROOT)) if executed.is_relative_to(ROOT)
                                        else str(executed.parent))
    return record


def parse_value(text: str):
    """Return a command-line parameter value as a Python literal (3, 0.5, [0, 1], None), else the text."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def collect_verdicts(results: Path) -> pd.DataFrame:
    """Return every committed 'VAE vs PCA + K-Means' row of the real sets' comparisons.csv files."""
    rows = []
    for path in sorted(results.glob("*/*/comparisons.csv")):
        task, name = path.parent.name, path.parent.parent.name
        target, other = VERDICTS[task]
        table = pd.read_csv(path)
        hit = table[(table.target == target) & (table.other == other)]
        rows.append(hit.assign(set=name, task=task))
    if not rows:
        return pd.DataFrame()
    columns = ["set", "task", "target", "other", "metric", "n_seeds", "target_mean", "other_mean", "mean_difference",
               "ci_low", "ci_high", "verdict"]
    return pd.concat(rows, ignore_index=True)[columns]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="root holding the sets' folders (../shared/data)")
    ap.add_argument("--only", nargs="*", choices=list(REAL_SETS), help="sets to run (default: all)")
    ap.add_argument("--set", nargs=3, metavar=("NAME", "DATASET", "PATH"),
                    help="run your own data instead: a name, gtzan|folder|features, and its folder or table")
    ap.add_argument("--tasks", nargs="*", choices=list(TASKS), help="notebooks to run (default: each set's own)")
    ap.add_argument("--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a notebook parameter for every notebook run (a Python literal, else a string)")
    ap.add_argument("--quick", action="store_true", help="smoke mode: few epochs, two seeds (tasks.SMOKE_PARAMETERS)")
    ap.add_argument("--results", type=Path, default=None,
                    help="where the results go (results/real; with --quick: data/real_runs/quick, so a smoke run "
                         "never overwrites the committed results)")
    args = ap.parse_args(argv)
    if args.results is None:
        args.results = NOTEBOOKS_OUT / "quick" if args.quick else RESULTS
    extra = {name: parse_value(value) for name, value in args.param}
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ["MUSIC_VAE_PROGRESS"] = "summary"
    sets = dict(REAL_SETS)
    if args.set:
        name, dataset, path = args.set
        tasks = ["easy"] if dataset == "features" else list(TASKS)
        sets = {name: dict(dataset=dataset, path=str(Path(path).resolve()), tasks=tasks, params={},
                           about=f"your {dataset} data at {path}", source=str(path))}
    elif args.only:
        sets = {name: REAL_SETS[name] for name in args.only}
    import provenance

    ran = 0
    for name, spec in sets.items():
        record = run_set(name, spec, args.data, args.quick, args.results, args.tasks, extra)
        if record is None:
            continue
        ran += 1
        assignments = pd.read_csv(args.results / name / next(iter(record["seconds"])) / "assignments.csv")
        record["tracks"] = int(assignments["track_id"].nunique())
        record["files"] = provenance.real_run_hashes()
        record["code_hash"] = provenance.combined_hash(record["files"])
        (args.results / name / "run.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: done in {sum(record['seconds'].values()) / 60:.1f} min "
              f"({', '.join(f'{t} {s:.0f} s' for t, s in record['seconds'].items())})")
    if not ran:
        print(f"No real data found under {args.data}: nothing ran. The sets and where to get them: README, "
              "'Results on real music'.")
        return 0
    verdicts = collect_verdicts(args.results)
    if not verdicts.empty:
        verdicts.to_csv(args.results / "verdicts.csv", index=False)
        print("\nVAE pipeline vs PCA + K-Means on real data (paired per-seed differences, 95% t interval):")
        print(verdicts[verdicts.metric == "nmi_genre"].round(3).to_string(index=False))
    if not args.set:   # how often Whisper's transcripts of real audio pass as speech, with and without the gate
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import whisper_gate

        whisper_gate.main(["--data", str(args.data), "--out", str(args.results / "whisper_gate.csv")])
        if (args.data / REAL_SETS["gtzan_features"]["path"]).exists() and not args.quick:
            import real_vae_directions   # VAE pipelines against PCA + K-Means, with and without UMAP

            real_vae_directions.main(["--table", str(args.data / REAL_SETS["gtzan_features"]["path"]),
                                      "--out", str(args.results / "vae_directions.csv")])
        if not args.quick:
            import real_lyrics_text   # real lyrics, text only: each offline text representation clustered

            real_lyrics_text.main(["--data", str(args.data), "--out", str(args.results / "lyrics_text.csv")])
            import real_segment_vae   # the VAE trained on 3-s segments of the audio sets, latents averaged

            real_segment_vae.main(["--data", str(args.data), "--out", str(args.results / "segment_directions.csv")])
            import conv_size   # how large the conv VAE needs to be and how long it trains, by the held-out ELBO

            conv_size.main(["--data", str(args.data), "--out", str(args.results / "conv_size.csv"),
                            "--length-out", str(args.results / "conv_training_length.csv")])
        if (args.data / REAL_SETS["gtzan_features"]["path"]).exists() and not args.quick:
            import learning_curve   # VAE minus PCA against the number of training tracks

            learning_curve.main(["--table", str(args.data / REAL_SETS["gtzan_features"]["path"]),
                                 "--out", str(args.results / "learning_curve.csv")])
    if args.results == RESULTS:
        import update_readme

        update_readme.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
