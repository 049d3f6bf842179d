# sp-reports: every target creates what it needs on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
BUILD := .build
TF_DIRS := terraform

# Air-gapped Terraform: set SP_REPORTS_TF_PROVIDER_MIRROR to a provider filesystem mirror
# (e.g. /opt/tf-plugins) and every Terraform command here installs providers from it only.
# Unset, it defaults to /opt/tf-plugins when that mirror exists (machines prepared for offline work).
DEFAULT_TF_PROVIDER_MIRROR := /opt/tf-plugins
ifeq ($(strip $(SP_REPORTS_TF_PROVIDER_MIRROR)),)
ifneq ($(wildcard $(DEFAULT_TF_PROVIDER_MIRROR)/.),)
export SP_REPORTS_TF_PROVIDER_MIRROR := $(DEFAULT_TF_PROVIDER_MIRROR)
endif
endif
ifneq ($(strip $(SP_REPORTS_TF_PROVIDER_MIRROR)),)
export TF_CLI_CONFIG_FILE := $(abspath $(BUILD))/terraform.rc
endif

# The harness (local AWS, deployment, acceptance, the demo, the SP-API emulator) and the scripts it imports
# run from the checkout: they are on the path of every command here, as pytest's pythonpath puts them.
export PYTHONPATH := $(CURDIR)/src:$(CURDIR)/harness:$(CURDIR)/scripts$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help venv demo acceptance test test-python check lint tf-check tf-fmt tf-validate tf-test checkov package release lock bench models clean

help:
	@echo "make demo    - run the whole pipeline offline (local AWS + SP-API emulator)"
	@echo "make acceptance - deploy, prove end to end and destroy the stack (local AWS; real account: see README)"
	@echo "make test    - lint, unit/contract/integration tests, Terraform checks and checkov"
	@echo "make check   - the quick loop: lint and the tests that need no Terraform (under 3 minutes)"
	@echo "make bench   - benchmarks (prints figures, writes docs/benchmarks.md)"
	@echo "make package - build the Lambda zips into $(BUILD)/lambda"
	@echo "make release VERSION=x.y.z - build a release's zips, manifest and SBOM into dist/<version>/ (docs/releases.md)"
	@echo "make lock    - re-resolve the functions' and the emulator's dependencies into their hash-pinned locks"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

$(BUILD)/terraform.rc:
	@mkdir -p $(BUILD)
	@printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n' "$(SP_REPORTS_TF_PROVIDER_MIRROR)" > $@

tf-config: $(if $(strip $(SP_REPORTS_TF_PROVIDER_MIRROR)),$(BUILD)/terraform.rc)

demo: venv tf-config package models
	$(PY) -m sp_reports_harness.demo

# Local AWS unless SP_REPORTS_ACCEPTANCE_TARGET=aws; ACCEPTANCE_ARGS=--plan-only plans without applying.
# A real account (SP_REPORTS_ACCEPTANCE_TARGET=aws, or local-account: local AWS standing in for one) deploys
# the SP-API emulator too: its zip is built beside the functions' (the local target runs it in-process).
acceptance: venv tf-config package models
	$(if $(filter aws local-account,$(SP_REPORTS_ACCEPTANCE_TARGET)),$(PY) scripts/package_lambdas.py --out $(BUILD)/lambda --emulator)
	$(PY) -m sp_reports_harness.acceptance.runner $(ACCEPTANCE_ARGS)

# The Python suites, the Terraform checks and checkov are independent and spend much of their time waiting
# (the aws provider's waiters, Lambda processes starting), so they run side by side; each one's output is printed
# whole when it ends, and make test fails when any of them fails.
test: lint
	$(MAKE) --no-print-directory -j3 --output-sync=target test-python tf-check checkov

lint: venv
	$(VENV)/bin/ruff check src harness tests scripts benchmarks
	$(VENV)/bin/ruff format --check src harness tests scripts benchmarks

# Test files run in parallel, one worker per core (pytest-xdist; tests/conftest.py keeps each file and the
# reliability suite in one worker each); the slowest tests are listed at the end. The deployed-stack suite
# (tests/integration/deployed_stack) runs inside the local acceptance run (tests/integration/test_acceptance.py
# runs `make acceptance`, which applies the stack and runs that suite against it), so it is not collected a
# second time with a stack of its own; `pytest tests/integration/deployed_stack` runs it alone.
PYTEST_WORKERS ?= auto
test-python: venv tf-config package models
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=20 --ignore=tests/integration/deployed_stack

# The quick loop while changing code: lint, and the client library, application layer, handlers, CLI and
# emulator suites (unit and contract tests, the peer clients), which need neither Terraform nor a stack.
CHECK_SUITES := tests/spapi tests/pipeline tests/handlers tests/client tests/harness/spapi_emulator tests/peers
check: lint models
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q $(CHECK_SUITES)

package: venv
	$(PY) scripts/package_lambdas.py --out $(BUILD)/lambda

# The functions' dependencies, pinned with hashes, for the runtime's Python on every accepted architecture
# (scripts/lock.py says why uv). Run after changing pyproject.toml's dependencies or the runtime; commit the
# result: package and release install from it with --require-hashes and refuse a stale one.
lock: venv
	$(PY) scripts/lock.py

# The Lambda code of a release (zips, manifest, CycloneDX SBOM), built once into dist/<version>/ for deployments to take from S3
# (docs/releases.md). scripts/release.py refuses a non-semver VERSION, a release version without its
# CHANGELOG.md entry, and a machine without the functions' runtime Python (the bytes would differ).
release: venv
	$(if $(strip $(VERSION)),,$(error VERSION is required: make release VERSION=x.y.z))
	$(PY) scripts/release.py '$(VERSION)'

# fmt, init + validate (root, modules, examples), terraform test (mocked aws provider), README tables current.
tf-check: venv tf-config
	$(PY) scripts/terraform_checks.py

# checkov is pinned: a new release can add checks, and a green build should not turn red by itself.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q 'checkov==3.3.30'
	touch $@

checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact -d terraform --framework terraform

bench: venv tf-config package models
	$(PY) -m benchmarks

# The SP-API models: SPAPI_MODELS_DIR when set (checked against the pinned sha256, never written), else the copy
# in $(BUILD)/spapi-models, fetched at the pinned commit where missing or different (scripts/fetch_models.py;
# the choice itself is spapi_emulator.contract.models_source).
models: venv
	$(PY) scripts/fetch_models.py

clean:
	rm -rf $(BUILD) $(VENV) $(CHECKOV_VENV)
