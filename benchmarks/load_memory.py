"""Memory of loading a folder that holds a long file: peak extra memory of checking, loading
and featurising a 10-minute stereo 44.1 kHz WAV (target: under 100 MB; it used to decode the
whole file, about +400 MB).

    python benchmarks/load_memory.py [--minutes 10]

Runs the measurement in a fresh process: imports and a warm-up on a short clip first (so
library start-up is not counted), then the peak resident memory (ru_maxrss) before and after
utils.load_tracks, loading.load_audio and the MFCC and log-mel features of the long file.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np, soundfile as sf
import utils
from data import features, loading
folder = {folder!r}
warm = loading.load_audio(folder + "/audio/warm/short.wav")
features.mfcc_stats(warm); features.logmel_patches(warm)
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
base = peak_mb()
t = time.perf_counter()
tracks, skipped = utils.load_tracks("folder", folder, verbose=False)
after_check = peak_mb()
long_path = tracks.loc[tracks.track_id == "long", "path"].iloc[0]
y = loading.load_audio(long_path)
features.mfcc_stats(y); features.logmel_patches(y)
after_all = peak_mb()
print(f"tracks loaded: {{len(tracks)}}, skipped: {{len(skipped)}}; clip used: {{len(y) / utils.SR:.1f}} s")
print(f"peak memory after imports and warm-up: {{base:.0f}} MB")
print(f"extra peak memory, load_tracks (check every file): {{after_check - base:.1f}} MB")
print(f"extra peak memory, + load_audio and features of the long file: {{after_all - base:.1f}} MB")
print(f"time: {{time.perf_counter() - t:.1f}} s")
print("target under 100 MB extra:", "met" if after_all - base < 100 else "NOT met")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    import numpy as np
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "audio" / "long").mkdir(parents=True)
        (folder / "audio" / "warm").mkdir(parents=True)
        sr, rng = 44100, np.random.default_rng(0)
        with sf.SoundFile(folder / "audio" / "long" / "long.wav", "w", sr, 2, subtype="PCM_16") as f:
            for _ in range(int(args.minutes * 60)):            # written a second at a time
                f.write((0.1 * rng.standard_normal((sr, 2))).astype(np.float32))
        sf.write(folder / "audio" / "warm" / "short.wav", (0.1 * rng.standard_normal(sr * 5)).astype(np.float32), sr)
        size = (folder / "audio" / "long" / "long.wav").stat().st_size / 1e6
        print(f"{args.minutes:g}-minute stereo 44.1 kHz 16-bit WAV: {size:.0f} MB on disk")
        code = CHILD.format(root=str(ROOT), folder=str(folder))
        subprocess.run([sys.executable, "-c", code], check=True)


if __name__ == "__main__":
    main()
