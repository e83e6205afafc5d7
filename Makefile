# pressroom: `make demo` runs the whole system locally on the example posts; `make test` runs
# every check. `make snapshot` runs the pipeline once and writes the site to _site/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov has a venv of its own: its dependencies conflict with requirements-dev.txt's pins.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: install demo snapshot test lint typecheck unit integration e2e e2e-deps soak build clean

$(STAMP): requirements-dev.txt layers/core/requirements.txt pyproject.toml tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip install --quiet --no-deps -e tools
	touch $@

install: $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

demo: install
	$(BIN)/pressroom serve --posts examples/posts

snapshot: install
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

test: lint typecheck e2e-deps
	$(BIN)/pytest -q

# The browser tests drive Debian's Chromium (Playwright never downloads one) and need CJK fonts.
e2e-deps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "e2e-deps: chromium and fonts-noto-cjk are installed"; \
	else \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; \
	fi

e2e: install e2e-deps
	$(BIN)/pytest tests/e2e -q

# Not part of `make test`: 1,000 operations from 8 writers through `pressroom serve`, then the
# site must hold every post, have no broken link and equal `pressroom build` (several minutes).
soak: install
	PRESSROOM_SOAK=1 $(BIN)/pytest tests/soak -q -s

build: install
	$(BIN)/sam build --template template.yaml

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam _site _site.json .pytest_cache .mypy_cache .ruff_cache
