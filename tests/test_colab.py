"""The notebooks' Colab bootstrap cell, run with the Colab condition forced in a scratch folder,
and scripts/colab_setup.py on a simulated fresh Colab runtime (stale apt package lists).

The local repository stands in for GitHub (git clone from a path), so this needs no network.
"""
from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

import utils
from data import caching

NOTEBOOKS = sorted((caching.PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def bootstrap_source(path) -> str:
    cell = nbformat.read(path, 4).cells[1]
    assert cell.cell_type == "code" and cell.source.startswith("# Colab:"), path.name
    return cell.source


def run_cell(source: str, cwd, **env) -> subprocess.CompletedProcess:
    probe = source + "\nimport utils\nprint('UTILS', utils.__file__)\nprint('CWD', os.getcwd())\n"
    return subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env})


def test_every_notebook_has_the_same_bootstrap_and_a_colab_badge():
    sources = {bootstrap_source(p) for p in NOTEBOOKS}
    assert len(NOTEBOOKS) == 3 and len(sources) == 1
    for path in NOTEBOOKS:
        title = nbformat.read(path, 4).cells[0].source
        assert f"colab.research.google.com/github/" in title and f"/blob/main/notebooks/{path.name}" in title


def test_bootstrap_on_colab_clones_installs_and_moves_into_notebooks(tmp_path):
    if not (caching.PROJECT_ROOT / ".git").exists():
        pytest.skip("needs the project as a git repository to clone from")
    scratch, target = tmp_path / "content", tmp_path / "content" / "project"
    scratch.mkdir()
    result = run_cell(bootstrap_source(NOTEBOOKS[0]), scratch, MUSIC_VAE_FORCE_COLAB="1",
                      MUSIC_VAE_REPO=str(caching.PROJECT_ROOT), MUSIC_VAE_COLAB_ROOT=str(target))
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"UTILS {target / 'utils.py'}" in result.stdout          # the clone's utils.py, not this checkout's
    assert f"CWD {target / 'notebooks'}" in result.stdout
    assert (target / "requirements-colab.txt").exists() and (target / "notebooks" / "03_hard.ipynb").exists()
    # a second run (Colab re-executing the cell) reuses the clone
    again = run_cell(bootstrap_source(NOTEBOOKS[0]), scratch, MUSIC_VAE_FORCE_COLAB="1",
                     MUSIC_VAE_REPO=str(tmp_path / "nowhere"), MUSIC_VAE_COLAB_ROOT=str(target))
    assert again.returncode == 0, again.stderr[-2000:]


def test_bootstrap_outside_colab_only_finds_utils(tmp_path):
    target = tmp_path / "never"
    result = run_cell(bootstrap_source(NOTEBOOKS[0]), caching.PROJECT_ROOT / "notebooks",
                      MUSIC_VAE_COLAB_ROOT=str(target), MUSIC_VAE_FORCE_COLAB="0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"UTILS {caching.PROJECT_ROOT / 'utils.py'}" in result.stdout and not target.exists()
    lost = run_cell(bootstrap_source(NOTEBOOKS[0]), tmp_path, MUSIC_VAE_FORCE_COLAB="0")
    assert lost.returncode != 0 and "utils.py not found" in lost.stderr


def test_bootstrap_with_the_placeholder_url_says_what_to_run(tmp_path):
    result = run_cell(bootstrap_source(NOTEBOOKS[0]), tmp_path, MUSIC_VAE_FORCE_COLAB="1",
                      MUSIC_VAE_COLAB_ROOT=str(tmp_path / "clone"))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "scripts/set_repository.py" in last and "OWNER" in last     # one line that names the fix
    assert not (tmp_path / "clone").exists()


def test_colab_setup_refreshes_stale_package_lists_before_installing(tmp_path):
    """A fresh Colab runtime: `apt-get install` fails until `apt-get update` has run (as there)."""
    sys.path.insert(0, str(caching.PROJECT_ROOT / "scripts"))
    import colab_setup

    log, fake = tmp_path / "apt.log", tmp_path / "apt-get"
    fake.write_text(f"""#!/bin/sh
echo "$@" >> {log}
case "$1" in
  update) touch {tmp_path}/lists-fresh ;;
  install) [ -f {tmp_path}/lists-fresh ] || {{ echo "E: Unable to locate package $4" >&2; exit 100; }} ;;
esac
""")
    fake.chmod(0o755)
    colab_setup.install_system_packages(["espeak-ng", "libfluidsynth3"], apt_get=str(fake))
    calls = log.read_text().splitlines()
    assert calls[0].startswith("update") and calls[1] == "install -y -qq espeak-ng libfluidsynth3"
    log.unlink()
    colab_setup.install_system_packages([], apt_get=str(fake))        # nothing missing: apt is not called
    assert not log.exists()
    assert set(colab_setup.missing_system_packages()) <= set(colab_setup.SYSTEM_PACKAGES)
