# The two commands of the README: `make demo` (the main job, end to end) and `make test`.
# Both set up a fresh Debian 12 machine with Python 3.11: system packages, then a venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := redis-server redis-tools chromium tor gcc libc6-dev python3-dev libb2-dev

.PHONY: setup system venv bytecode test demo bench clean

setup: system venv bytecode

system:
	@./scripts/install-system-packages $(SYSTEM_PACKAGES)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py world/pyproject.toml matchers/fingerprint/_tokenize.c matchers/fingerprint/_blake2b_lanes.h matchers/fingerprint/_sketch.c matchers/match/_find.c \
		matchers/extract/readers/_text.c matchers/extract/readers/_spans.c matchers/extract/readers/_offsets.h \
		matchers/_uint64_buffer.h
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 'setuptools>=77' wheel  # the wheel test builds without isolation
	$(BIN)/pip install -q -e '.[test]'
	# The synthetic world (tests, benchmarks, `leakwatch demo`): a distribution of its own, not in the wheel.
	$(BIN)/pip install -q --no-deps -e ./world
	touch $@

# pip byte-compiles what it installs, but not the project itself (an editable install): with
# PYTHONDONTWRITEBYTECODE set, every command would compile its sources again (0.2-0.3 s).
# Only files changed since the last run are compiled.
bytecode: venv
	$(BIN)/python -m compileall -q leakwatch matchers crawler bench world >/dev/null

test: setup
	$(BIN)/pytest -q

demo: setup
	$(BIN)/leakwatch demo

bench: setup
	$(BIN)/python -m bench.accuracy
	$(BIN)/python -m bench.speed

clean:
	rm -rf $(VENV) bench/out
