# pressroom: `make demo` runs the whole system locally on the example posts; `make test` runs
# every check. `make snapshot` runs the pipeline once and writes the site to _site/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two install steps, each done once (a stamp file) and again when one of its inputs changes:
# LOCAL_STAMP, the runtime lock + moto + both packages (enough for `make demo` and `snapshot`);
# STAMP, the whole dev toolchain over it (`make test`, `lint`, `typecheck`, `build`, ...).
LOCAL_STAMP := $(VENV)/.installed-local
STAMP := $(VENV)/.installed
# The exact packages the CoreLayer ships; `make lock` regenerates it for the Lambda runtime.
LOCK := layers/core/requirements.txt
LOCK_PYTHON := 3.11
LOCK_PLATFORM := x86_64-manylinux2014
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest that the constraints allow.
LOCK_FLAGS ?=
# checkov has a venv of its own: its dependencies conflict with requirements-dev.txt's pins.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: install install-local lock demo snapshot test lint typecheck unit integration e2e e2e-deps soak build bench bench-deps clean

$(LOCAL_STAMP): $(LOCK) requirements-local.txt pyproject.toml tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK) -r requirements-local.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . -e tools
	touch $@

# The lock is a constraint here: the dev tools cannot move what the layer ships.
$(STAMP): $(LOCAL_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c $(LOCK)
	touch $@

install-local: $(LOCAL_STAMP)

install: $(STAMP)

# uv keeps the versions already in $(LOCK) unless LOCK_FLAGS=--upgrade; requirements-dev.txt's
# pins constrain the runtime's direct dependencies.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --quiet $(LOCK_FLAGS) \
		--python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) \
		--constraint requirements-dev.txt --output-file $(LOCK)
	{ echo "# What the CoreLayer ships, every package pinned: SAM's BuildMethod python$(LOCK_PYTHON) pip-installs"; \
	  echo "# this file into the layer. Do not edit it: \`make lock\` regenerates it with uv from the root"; \
	  echo "# pyproject.toml's dependencies, held to requirements-dev.txt's pins, for the Lambda runtime"; \
	  echo "# (Python $(LOCK_PYTHON), $(LOCK_PLATFORM)), with the command below."; \
	  cat $(LOCK); } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

demo: $(LOCAL_STAMP)
	$(BIN)/pressroom serve --posts examples/posts

snapshot: $(LOCAL_STAMP)
	$(BIN)/pressroom demo --posts examples/posts --out _site --json _site.json --no-serve

# checkov fails on any finding; each suppression is in template.yaml with its reason.
lint: install $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --quiet --compact \
		--skip-download

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy functions/render_post/app.py
	$(BIN)/mypy functions/build_indexes/app.py
	$(BIN)/mypy functions/rebuild/app.py

unit: install
	$(BIN)/pytest tests/unit -q

integration: install
	$(BIN)/pytest tests/integration -q

# The linters, mypy and the browser's packages run side by side (each one's output printed whole
# when it ends), then pytest on every core: PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test:
	$(MAKE) --no-print-directory --jobs=3 --output-sync=target lint typecheck e2e-deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

# The browser tests drive Debian's Chromium (Playwright never downloads one) and need CJK fonts;
# tests/integration/test_viewer_request.py runs the template's CloudFront Function with node.
e2e-deps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && \
		command -v node >/dev/null; then \
		echo "e2e-deps: chromium, fonts-noto-cjk and nodejs are installed"; \
	else \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk \
			nodejs; \
	fi

e2e: install e2e-deps
	$(BIN)/pytest tests/e2e -q

# Not part of `make test`: 1,000 operations from 8 writers through `pressroom serve`, then the
# site must hold every post, have no broken link and equal `pressroom build` (several minutes).
soak: install
	PRESSROOM_SOAK=1 $(BIN)/pytest tests/soak -q -s

build: install
	$(BIN)/sam build --template template.yaml

# Hugo is the build's reference; without it (no apt-get) the bench says so on that row.
bench-deps:
	@if command -v hugo >/dev/null; then \
		echo "bench-deps: hugo is installed"; \
	elif command -v apt-get >/dev/null; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y hugo; \
	else \
		echo "bench-deps: no hugo and no apt-get: the build row will have no reference"; \
	fi

# Every figure beside its reference from one run (README, "Benchmarks"); the cold start is
# measured on the layer `sam build` makes. BENCH_POSTS=1000,10000 and the other BENCH_ settings.
bench: install bench-deps build
	$(BIN)/python -m pressroom_dev.bench

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam _site _site.json .pytest_cache .mypy_cache .ruff_cache
