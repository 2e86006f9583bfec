# Two commands for a newcomer:  `make all` (the main job) and `make test` (the tests).
# Both install what they need first (system packages via apt when run as root,
# a virtual environment in .venv, torch==2.13.0 first, then requirements.txt with torch held).
# torch comes from the default index (TORCH_INDEX_URL empty): on Linux x86-64 that is the CUDA
# build (several GB) unless the machine serves a CPU wheel; for the CPU wheel from PyTorch's
# own index:  make setup TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := espeak-ng libfluidsynth3 fluid-soundfont-gm libsndfile1
TORCH_INDEX_URL ?=

.PHONY: all setup system-deps demo demo-tiny features notebooks real check stale test smoke clean-cache

all: setup                           ## main job: demo dataset, the three notebooks executed in place, README tables
	$(PY) scripts/main_job.py
	@echo "Main job done: executed notebooks in notebooks/, figures and metrics in results/."

setup: system-deps $(VENV)/.installed   ## install system packages and the Python environment

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! $(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "Run:  sudo apt-get install -y$$missing   then run make again."; exit 1; \
	  fi; \
	fi

$(VENV)/.installed: requirements.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip check
	@touch $@

demo: setup                          ## the embedded demo dataset (full preset)
	$(PY) data/make_demo.py --preset full

demo-tiny: setup
	$(PY) data/make_demo.py --preset tiny

features: setup demo                 ## MFCC statistics and log-mel patches (cached) + a K-Means check
	$(PY) benchmarks/demo_baseline.py

notebooks: setup                     ## re-run some notebooks in place, e.g. make notebooks ONLY=02_medium
	$(PY) scripts/main_job.py $(if $(ONLY),--only $(ONLY))

real: setup                          ## the notebooks on real music under ../shared/data (or DATA=...), into results/real/
	$(PY) scripts/run_real.py $(if $(DATA),--data $(DATA)) $(if $(ONLY),--only $(ONLY))

check: setup                         ## reproducibility: re-run everything with a fresh cache, compare with results/
	$(PY) scripts/check_reproducible.py

stale:                               ## fail fast, naming the files, if results/ was made by other code than this
	$(PYTHON) scripts/export_notebook_code.py --check
	$(PYTHON) scripts/provenance.py --check

test: setup                          ## the whole suite: unit, bad input, notebook smoke runs, Colab bootstrap, README
	$(PY) -m pytest -q tests

smoke: setup                         ## only the notebook smoke runs (tiny demo, small parameters, temporary folders)
	$(PY) -m pytest -q tests/test_notebooks.py

clean-cache:
	rm -rf data/cache
