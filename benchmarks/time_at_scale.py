"""Measured wall time of the three notebooks on 1,000 tracks of real 30-s songs, Whisper on every track.

    python benchmarks/time_at_scale.py [--copies 5] [--out results/real/time_at_scale.csv]

There is no 1,000-track set of real audio here, so the 200 songs of ../shared/data/songs_en_de
are each listed ``--copies`` times (links under a temporary folder, never copies of the audio)
and the notebooks run on those tracks as a user's `folder` data set would, through
scripts/run_real.py, with LYRICS_SOURCE="whisper" (every track transcribed) and an empty cache
(MUSIC_VAE_CACHE in the temporary folder): decoding, features, Whisper, every model fit,
clustering, maps and figures, from nothing. Only the times are kept: the scores of copied
tracks mean nothing, and the held-out rule sees copies of training songs among its held-out
tracks, so models may train longer than on distinct songs (the time is then an upper bound).
Prints and writes the seconds per notebook (results/real/time_at_scale.csv; the README shows it).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import write_table  # noqa: E402
SONGS = ROOT.parent / "shared" / "data" / "songs_en_de"


def link_copies(source: Path, target: Path, copies: int) -> int:
    """Fill ``target`` with a folder data set listing each song of ``source`` ``copies`` times
    (symbolic links, renamed per copy); return the number of tracks."""
    meta = pd.read_csv(source / "metadata.csv")
    rows = []
    for copy in range(copies):
        for r in meta.itertuples():
            name = f"{Path(r.filename).stem}_{copy}{Path(r.filename).suffix}"
            link = target / "audio" / r.genre / name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to((source / "audio" / r.genre / r.filename).resolve())
            rows.append({**r._asdict(), "filename": name})
    pd.DataFrame(rows).drop(columns="Index").to_csv(target / "metadata.csv", index=False)
    return len(rows)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "time_at_scale.csv")
    args = ap.parse_args(argv)
    if not SONGS.exists():
        print(f"{SONGS} not found: nothing measured.")
        return pd.DataFrame()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = link_copies(SONGS, tmp / "songs", args.copies)
        print(f"{n} tracks ({args.copies} x {n // args.copies} real songs), empty cache, Whisper on every track")
        env = {**os.environ, "MUSIC_VAE_CACHE": str(tmp / "cache")}
        subprocess.run([sys.executable, str(ROOT / "scripts" / "run_real.py"), "--set", "scale", "folder",
                        str(tmp / "songs"), "--param", "LYRICS_SOURCE", "whisper", "--results", str(tmp / "results")],
                       env=env, check=True)
        record = json.loads((tmp / "results" / "scale" / "run.json").read_text(encoding="utf-8"))
    table = pd.DataFrame([{"notebook": task, "tracks": record["tracks"], "seconds": seconds}
                          for task, seconds in record["seconds"].items()])
    table = pd.concat([table, pd.DataFrame([{"notebook": "total", "tracks": record["tracks"],
                                             "seconds": table["seconds"].sum()}])], ignore_index=True)
    table["minutes"] = table["seconds"] / 60
    table["songs"], table["copies"] = n // args.copies, args.copies
    print(table.round(1).to_string(index=False))
    write_table(table, args.out)
    return table


if __name__ == "__main__":
    main()
