"""How often Whisper's transcript of real audio passes as speech, by Whisper's own rules and with the project's gate.

    python benchmarks/whisper_gate.py [--data ../shared/data] [--out results/real/whisper_gate.csv]

On the GTZAN clips (per genre: classical and jazz hold no singing, so what passes there is a
false accept) and on the English/German songs (per language: all sung, so what is rejected
there is lost lyrics). Whisper's own rules: no-speech probability > 0.6 with mean log-
probability < -1, or compression ratio > 2.4. The gate (WHISPER_GATE) adds a mean
log-probability floor and a words-per-minute floor. Transcripts are cached (the notebooks'
runs on the same data reuse them). Prints the table and writes it as CSV; `make real` runs it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import write_table  # noqa: E402
import utils  # noqa: E402
from lyrics import WHISPER_GATE, gate_transcripts  # noqa: E402

SETS = {"GTZAN clips": ("gtzan", "gtzan/audio_10x10", "genre"), "songs en/de": ("folder", "songs_en_de", "language")}


def measure(data_root: Path) -> pd.DataFrame:
    """Return per data set and group: tracks, share passed by Whisper's rules, share passed by the gate."""
    whisper_only = dict(WHISPER_GATE, min_logprob=-float("inf"), min_words_per_minute=0.0)
    rows = []
    for name, (dataset, rel, group) in SETS.items():
        if not (data_root / rel).exists():
            print(f"{name}: skipped, {data_root / rel} not found")
            continue
        tracks, _ = utils.load_tracks(dataset, data_root / rel, verbose=False)
        tracks = tracks.sort_values("track_id").reset_index(drop=True)   # the medium notebook's order for its sample
        gated = utils.transcribe(tracks.assign(lyrics=None), "base")   # its 'language' is Whisper's detection
        gated["group"] = tracks[group].to_numpy()
        plain = gate_transcripts(gated, **whisper_only)
        for value, ids in gated.groupby("group").groups.items():
            rows.append(dict(data=name, group=value, tracks=len(ids),
                             passed_whisper_rules=float(plain.loc[ids, "status"].eq("speech").mean()),
                             passed_gate=float(gated.loc[ids, "status"].eq("speech").mean())))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "real" / "whisper_gate.csv")
    args = ap.parse_args(argv)
    table = measure(args.data)
    if table.empty:
        print("No real audio found: nothing measured.")
        return table
    print(table.round(2).to_string(index=False))
    write_table(table, args.out)
    return table


if __name__ == "__main__":
    main()
