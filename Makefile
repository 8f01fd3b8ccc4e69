# Front door: `make synth` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make

# The CDK CLI and a Node 22 runtime come from node_modules (pinned in package-lock.json).
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
# Stacks live inside a Stage: a bare `cdk synth` would select none of them.
STACKS := '**'
# `make deploy` ships only the stand-alone Stage: with pipeline settings given, '**' would also select the
# pipeline's staging and production stacks and bypass its tests and approval.
STANDALONE_STACKS := 'PaymentFailover-*/*'
PIPELINE_STACK := payment-failover-pipeline
CDK := npx --no-install cdk

.PHONY: help setup lock audit synth diff test lint unit templates integration verify-aws bench budget cost diagram readme docs refresh-ami catalogue flags deploy deploy-pipeline clean

help:
	@echo "make setup            create .venv and node_modules from the locks (every other target does it first)"
	@echo "make lock             re-resolve requirements*.lock (with hashes) from the pins in requirements*.txt"
	@echo "make synth            set up, then synthesize every stack of the Stage (and the pipeline, if configured) into cdk.out/"
	@echo "make diff             compare the stand-alone Stage's stacks with what is deployed (AWS credentials needed)"
	@echo "make test             set up, then run the audit, lint, types and the whole test suite"
	@echo "make audit            check every release in requirements-dev.lock against PyPI's advisories (once a day)"
	@echo "make lint             ruff check, ruff format --check and mypy only"
	@echo "make unit             the pytest suite only (unit, snapshot, bad-config and the emulator rehearsal)"
	@echo "make templates        make synth, then cfn-lint over every template written"
	@echo "make integration      deploy the Stage into a local emulator and check it (part of make test)"
	@echo "make verify-aws       check a real deployment: make verify-aws SUFFIX=prod (AWS credentials needed)"
	@echo "make bench            synth against a trivial app, the floor, a refused setting, and the suite (figures, not tests)"
	@echo "make budget           failover timings and surviving capacity from the templates; fails on a missed target"
	@echo "make cost             monthly cost of the configuration from the synthesized templates (assumed, dated prices)"
	@echo "make diagram          redraw docs/architecture.svg from the synthesized templates"
	@echo "make refresh-ami      re-pin the AL2023 image ids from AWS (credentials needed; review and commit the diff)"
	@echo "make readme           regenerate the tables in docs/ that are computed from code"
	@echo "make docs             the same as make readme"
	@echo "make catalogue        regenerate the AWS catalogue (regions, checker regions, instance types) from the pinned botocore"
	@echo "make flags            regenerate cdk.json feature flags for the pinned aws-cdk-lib"
	@echo "make deploy           deploy the stand-alone Stage for real (refuses example values; see docs/deploy-and-teardown.md)"
	@echo "make deploy-pipeline  first deployment of the delivery pipeline (see docs/pipeline.md)"
	@echo "make clean            remove cdk.out, the setup stamps and tool caches"

# Python packages install from the locks only: every transitive package pinned and hash-checked, nothing resolved
# at install time (--no-deps). requirements*.txt hold the direct pins; `make lock` turns them into the locks.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps

# A first run is long and pip is quiet: each step says what it does and how long it usually takes (docs/dependencies.md,
# The first run), and only when it runs. Figures: a fresh clone, empty pip and npm caches, 2 idle cores.
$(STAMPS)/python-runtime: requirements.lock
	@mkdir -p $(STAMPS)
	@echo "setup: installing the runtime Python packages (requirements.lock) into .venv; a first run takes about 30 s"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.lock
	$(BIN)/python -m pip check --disable-pip-version-check >/dev/null
	@touch $@

$(STAMPS)/python-dev: $(STAMPS)/python-runtime requirements-dev.lock
	@echo "setup: installing the test, lint and type-check packages (requirements-dev.lock); a first run takes about 30 s"
	$(PIP_INSTALL) -r requirements-dev.lock
	$(BIN)/python -m pip check --disable-pip-version-check >/dev/null
	@touch $@

# The lock tool, pinned, kept out of .venv: it lives in .make/tools and `make clean` throws it away.
UV_VERSION := 0.13.9
UV := $(STAMPS)/tools/uv-$(UV_VERSION)/bin/uv
# The target every machine runs: CPython 3.11 on x86-64 Linux (CodeBuild, CI, the developers' machines).
# uv records the hash of every file of each pinned release, not only the wheels this platform installs.
LOCK_FLAGS := --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--custom-compile-command 'make lock'

$(UV):
	$(PYTHON) -m pip install --quiet --quiet --disable-pip-version-check --target $(STAMPS)/tools/uv-$(UV_VERSION) uv==$(UV_VERSION)

# Keeps every locked version that still satisfies the pins; LOCK_ARGS=--upgrade re-resolves the transitive ones too.
# The dev lock is resolved first and the runtime lock is held to it, so both install the same versions.
lock: $(UV)
	$(UV) pip compile $(LOCK_FLAGS) $(LOCK_ARGS) requirements-dev.txt -o requirements-dev.lock
	$(UV) pip compile $(LOCK_FLAGS) $(LOCK_ARGS) requirements.txt -c requirements-dev.lock -o requirements.lock

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	@echo "setup: installing the CDK CLI and Node (package-lock.json) into node_modules; a first run takes about 10 s"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMPS)/python-dev $(STAMPS)/node

synth: $(STAMPS)/python-runtime $(STAMPS)/node
	rm -rf cdk.out
	$(CDK) synth $(STACKS) --quiet $(CDK_ARGS)
	@echo "Templates written:" && find cdk.out -name '*.template.json' | sort

# A bare `cdk diff` selects no stack inside the Stage and reports 0 differences: name the Stage's stacks.
diff: $(STAMPS)/python-runtime $(STAMPS)/node
	$(CDK) diff $(STANDALONE_STACKS) $(CDK_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@test -d .mypy_cache || echo "lint: mypy's first run in this clone analyses aws_cdk into .mypy_cache: usually 2 to 2.5 min (later runs: a second)"
	$(BIN)/mypy

# The suite runs as three pytest processes at once on the two cores: the constructs (tests/unit/components,
# tests/unit/compliance); the rest of tests/unit (the Stage, configuration, pipeline, reports); and the emulator
# rehearsal (tests/integration, mostly waiting on the emulator and the CLI) with the setting-change analysis
# (tests/unit/tools/test_change_impact.py, 28 synths of its own), which fills the rehearsal's waits. Each writes its own coverage data;
# the combined figure must reach 90 %. `make test` runs lint (ruff, mypy) as a fourth job beside them.
SUITE_PARTS := pytest-constructs pytest-stage pytest-integration
PARALLEL := $(MAKE) --no-print-directory -j4 --output-sync=target
CONSTRUCT_TESTS := tests/unit/components tests/unit/compliance
CHANGE_ANALYSIS := tests/unit/tools/test_change_impact.py
PYTEST := $(BIN)/pytest --cov --cov-report= -p no:cacheprovider

unit: setup
	@rm -f .coverage .coverage.*
	@$(PARALLEL) $(SUITE_PARTS)
	@$(MAKE) --no-print-directory coverage

pytest-constructs: setup
	COVERAGE_FILE=.coverage.constructs $(PYTEST) $(CONSTRUCT_TESTS)

pytest-stage: setup
	COVERAGE_FILE=.coverage.stage $(PYTEST) tests/unit $(addprefix --ignore=,$(CONSTRUCT_TESTS) $(CHANGE_ANALYSIS))

pytest-integration: setup
	COVERAGE_FILE=.coverage.integration $(PYTEST) tests/integration $(CHANGE_ANALYSIS)

coverage:
	$(BIN)/coverage combine --quiet .coverage.constructs .coverage.stage .coverage.integration
	$(BIN)/coverage report --fail-under=90 | tail -n 4

# Lint every template the synth writes (rules and the one documented ignore: .cfnlintrc.yaml).
templates: synth setup
	$(BIN)/cfn-lint
	@echo "cfn-lint: no findings in $$(find cdk.out -name '*.template.json' | wc -l) templates"

# Every locked release against PyPI's advisories (scripts/audit_lock.py, standard library only: nothing enters
# .venv). It needs PyPI, as setup does. The day's verdict is kept per lock: later runs that day print it again
# without asking (a fresh clone, as in CI, always asks); `rm .make/audit-*` asks now.
AUDIT_VERDICT := $(STAMPS)/audit-$(shell date -u +%F)

$(AUDIT_VERDICT): requirements-dev.lock scripts/audit_lock.py
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/audit-*
	@$(PYTHON) scripts/audit_lock.py requirements-dev.lock > $@.partial
	@mv $@.partial $@

audit: $(AUDIT_VERDICT)
	@cat $<

# The templates `cdk synth` writes are linted by the suite itself (test_app_entrypoint.py), from one CLI synth.
test: setup audit
	@rm -f .coverage .coverage.*
	@echo "test: lint and the three parts of the suite run at once; their output appears as each finishes"
	@$(PARALLEL) lint $(SUITE_PARTS)
	@$(MAKE) --no-print-directory coverage

bench: setup
	$(BIN)/python scripts/bench.py --suite

# The deploy rehearsal alone (a local emulator); `make verify-aws SUFFIX=prod` checks a real deployment instead.
integration: setup
	$(BIN)/pytest tests/integration

verify-aws: setup
	PAYMENT_FAILOVER_IT_TARGET=aws PAYMENT_FAILOVER_IT_SUFFIX=$(SUFFIX) $(BIN)/pytest tests/integration

# Failover timings and surviving capacity from the synthesized templates; exits 1 when a target is missed.
budget: synth
	$(BIN)/python -m payment_failover.tools.budget cdk.out

# Monthly cost from the synthesized templates and the dated price table (docs/cost.md).
cost: synth
	$(BIN)/python -m payment_failover.tools.cost cdk.out

# Architecture picture drawn from the synthesized templates, embedded by the README.
# The second picture: the same Stage with a standby region (the configuration tests/conftest.py calls STANDBY_CONTEXT).
STANDBY_EXAMPLE := -c standbyRegion=eu-west-1 -c 'standbySettings={"instanceType": "t3.micro", "maxCapacity": "7"}'
diagram: synth
	$(BIN)/python -m payment_failover.tools.diagram cdk.out docs/architecture.svg
	rm -rf cdk.out.standby
	$(CDK) synth $(STACKS) --quiet --output cdk.out.standby $(STANDBY_EXAMPLE)
	$(BIN)/python -m payment_failover.tools.diagram cdk.out.standby docs/architecture-standby.svg
	rm -rf cdk.out.standby

# Regenerate the tables that are computed from code, each in the docs page that explains it (scripts/readme_tables.py
# maps them); tests fail when they drift. `make docs` is the same target.
readme: setup
	$(BIN)/python scripts/readme_tables.py

docs: readme

# The AWS catalogue settings are checked against, from the botocore pinned in requirements-dev.txt.
catalogue: setup
	$(BIN)/python scripts/refresh_catalogue.py

flags: setup
	$(CDK) flags --unstable=flags --set --all --recommended --yes
	# Deliberate: the default security group is emptied by the stack's one SDK-call function, not CDK's own (docs/egress.md).
	$(CDK) flags --unstable=flags --set @aws-cdk/aws-ec2:restrictDefaultSecurityGroup --value false --yes
	# Deliberate: a future cross-stack reference would be strong (none exists: docs/region-failover.md);
	# target-partitions is the commercial partition alone, the only one the settings accept (docs/decisions/0002-feature-flags.md).
	$(BIN)/python -c "import json; p = 'cdk.json'; d = json.load(open(p)); d['context']['@aws-cdk/core:defaultCrossStackReferences'] = 'strong'; d['context']['@aws-cdk/core:target-partitions'] = ['aws']; open(p, 'w').write(json.dumps(d, indent=2) + '\n')"

# The guard cannot be switched off from CDK_ARGS: a `deploy=` there is refused, and `-c deploy=true` comes last.
deploy: $(STAMPS)/python-runtime $(STAMPS)/node
	$(if $(findstring deploy=,$(CDK_ARGS)),$(error payment-failover: make deploy always deploys with deploy=true; remove 'deploy=' from CDK_ARGS))
	$(CDK) deploy $(STANDALONE_STACKS) --require-approval broadening $(CDK_ARGS) -c deploy=true

# Once per pipeline: afterwards it updates itself from the repository on every push. Its own synth sees only
# the committed cdk.json, so the pipeline settings must be there, not in -c or the environment.
PIPELINE_REQUIRED := pipelineAccount pipelineConnectionArn pipelineRepository stagingSettings productionSettings
deploy-pipeline: $(STAMPS)/python-runtime $(STAMPS)/node
	@$(BIN)/python -c "import json, sys; c = json.load(open('cdk.json'))['context']; m = [k for k in sys.argv[1:] if k not in c]; sys.exit('payment-failover: commit ' + ', '.join(m) + ' to cdk.json first: the pipeline synthesizes itself from the repository.' if m else None)" $(PIPELINE_REQUIRED)
	$(CDK) deploy $(PIPELINE_STACK) --require-approval broadening $(CDK_ARGS)

clean:
	rm -rf cdk.out $(STAMPS) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*

# Re-pin the fleet's Amazon Linux 2023 image per region and architecture from AWS's public SSM parameters
# (credentials needed). Synth never looks images up: the new ids arrive as a reviewed diff of one data file.
refresh-ami: setup
	$(BIN)/python scripts/refresh_ami.py $(REFRESH_AMI_ARGS)
