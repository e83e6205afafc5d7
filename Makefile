# pressroom: `make demo` runs the real pipeline on the example posts; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: install demo test lint typecheck unit integration build clean

$(STAMP): requirements-dev.txt layers/core/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/pressroom demo --posts examples/posts --out _site --json _site.json

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy functions/render_post/app.py
	$(BIN)/mypy functions/build_indexes/app.py

unit: install
	$(BIN)/pytest tests/unit -q

integration: install
	$(BIN)/pytest tests/integration -q

test: lint typecheck
	$(BIN)/pytest -q

build: install
	$(BIN)/sam build --template template.yaml

clean:
	rm -rf $(VENV) .aws-sam _site _site.json .pytest_cache .mypy_cache .ruff_cache
