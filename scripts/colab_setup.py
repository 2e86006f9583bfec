"""Colab setup, run by each notebook's first cell on Colab only (it does nothing useful elsewhere).

1. System packages the demo dataset needs (espeak-ng voices, FluidSynth and its General MIDI
   sound font), installed with apt only where missing, after `apt-get update`: a fresh Colab
   runtime's package lists are stale, and `apt-get install` fails on them.
2. The Python packages Colab lacks (requirements-colab.txt, same pins as requirements.txt);
   Colab's own torch, numpy, pandas, scikit-learn, librosa, matplotlib and seaborn are kept.

    python scripts/colab_setup.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from ctypes.util import find_library
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PACKAGES = {
    "espeak-ng": lambda: shutil.which("espeak-ng") is not None,
    "libfluidsynth3": lambda: find_library("fluidsynth") is not None,
    "fluid-soundfont-gm": lambda: Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists(),
}


def missing_system_packages() -> list[str]:
    """Return the system packages of SYSTEM_PACKAGES that are not installed."""
    return [name for name, present in SYSTEM_PACKAGES.items() if not present()]


def install_system_packages(packages: list[str], apt_get: str = "apt-get") -> None:
    """Refresh apt's package lists, then install ``packages`` (nothing to do when empty)."""
    if not packages:
        return
    print(f"Installing system packages: {' '.join(packages)}", flush=True)
    subprocess.run([apt_get, "update", "-qq"], check=True)
    subprocess.run([apt_get, "install", "-y", "-qq", *packages], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def main() -> None:
    install_system_packages(missing_system_packages(), os.environ.get("MUSIC_VAE_APT_GET", "apt-get"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements-colab.txt")],
                   check=True)
    print("Colab setup done.")


if __name__ == "__main__":
    main()
