# Two commands for a new user: `make demo` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup web browser demo test lint bench clean

setup: $(VENV)/.installed web

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,images]'
	touch $@

# The dashboard (web/, TypeScript) built into the Python package, which serves it at /.
# Needs Node.js 20+ and npm; rebuilt only when its sources change.
DASHBOARD := src/cairn/server/dashboard_dist/index.html
DEMO_PORT ?= 5000
WEB_SOURCES := web/package.json web/package-lock.json web/index.html web/vite.config.ts \
	web/tsconfig.json $(shell find web/src -type f 2>/dev/null)

web: $(DASHBOARD)

web/node_modules/.package-lock.json: web/package-lock.json
	@command -v npm >/dev/null || { echo "make web: npm not found; install Node.js 20+ (https://nodejs.org)" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund

$(DASHBOARD): web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

# Trains the sweep, then serves the dashboard on it until Ctrl-C (it blocks).
demo: setup
	$(BIN)/python examples/digits_sweep.py
	@echo "Serving the dashboard on the demo store: open http://127.0.0.1:$(DEMO_PORT)/projects/digits (Ctrl-C stops it)"
	$(BIN)/cairn ui --home .cairn --port $(DEMO_PORT)

# The dashboard's browser tests drive Debian's Chromium, never a browser a tool downloads;
# installed with apt-get (as root, or through sudo) when missing.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "make browser: installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y chromium; }

test: setup browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/run.py --write docs/benchmarks.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache web/node_modules src/cairn/server/dashboard_dist
