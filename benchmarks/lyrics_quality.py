"""Print how well offline Whisper transcribes the demo, per language, against the known lyrics.

    python benchmarks/lyrics_quality.py                    # Whisper base on the full demo (cached)
    python benchmarks/lyrics_quality.py --model tiny.en --preset tiny

Per true language (en, bn, instrumental): word error rate, language-detection accuracy
(instrumental: transcript left empty), accuracy of language_signal computed from the
audio alone, share of empty transcripts, and seconds per track (batched decoding; the
per-language line below times single clips).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import utils  # noqa: E402
from lyrics import language_signal  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="full")
    ap.add_argument("--model", default="base")
    ap.add_argument("--time-single", type=int, default=3, help="clips per language timed one by one (0: skip)")
    args = ap.parse_args()
    tracks, _ = utils.load_tracks("demo", preset=args.preset, verbose=False)
    start = time.perf_counter()
    transcripts = utils.transcribe(tracks, args.model)
    print(f"transcribed {len(tracks)} tracks in {time.perf_counter() - start:.1f} s (0 if cached)")
    table = utils.evaluate_transcripts(tracks, transcripts)
    if args.time_single:
        single = {}
        for lang, group in tracks.groupby("language"):
            sub = group.head(args.time_single)
            t = time.perf_counter()
            utils.transcribe(sub, args.model, batch_size=1, cache_dir=None, verbose=False)
            single[lang] = (time.perf_counter() - t) / len(sub)
        table["seconds_single_clip"] = table["language"].map(single)
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))
    print("\nstatus counts:\n" + pd.crosstab(tracks["language"].to_numpy(), transcripts["status"].to_numpy()).to_string())


if __name__ == "__main__":
    main()
