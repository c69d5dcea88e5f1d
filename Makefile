# Two commands do all the set-up: `make repro` and `make test`. Both create .venv from
# the pinned requirements when it is missing or older than requirements.txt, and write
# the offline page template for `dvc plots show`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
PLOTS_TEMPLATE := .dvc/plots-template.html
LOCAL_CONFIG := .dvc/config.local
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 3
export TF_ENABLE_ONEDNN_OPTS ?= 0

# A variable as one shell word, whatever it holds (quotes, $, backquotes): the tools check it.
quoted = '$(subst ','\'',$(value $(1)))'

.PHONY: help setup repro test test-cpus mutate lint format gate history bench repro-check sweep \
	pull share experiment predict runs gather tune promote registry registry-check serve

## Lines starting with two hashes are `make help`'s text: the target below each, and what it does.
## help: this list of targets
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); split($$0, part, ": "); \
		printf "  make %-12s %s\n", part[1], substr($$0, length(part[1]) + 3) }' $(MAKEFILE_LIST)

## setup: create .venv from requirements.txt (if needed) and the offline `dvc plots` page
setup: $(STAMP) $(PLOTS_TEMPLATE) $(LOCAL_CONFIG)

## repro: run the pipeline (`dvc repro`): only the stages whose inputs changed
repro: setup
	dvc repro

## experiment: add a table: NAME= DATA=<file.csv|.parquet> TARGET=<column> [TASK= DROP= MISSING=]
NAME ?=
DATA ?=
TARGET ?=
TASK ?=
DROP ?=
MISSING ?= error
experiment: setup
	python -m tools.experiment --name "$(NAME)" --data "$(DATA)" --target "$(TARGET)" \
		--task "$(TASK)" --drop "$(DROP)" --missing "$(MISSING)"

## predict: predict new rows: NAME=<experiment> IN=<rows.csv|.parquet> OUT=<predictions.csv>
IN ?=
OUT ?=
predict: setup
	python -m stages predict --weights "models/$(NAME)/weights.json" --rows "$(IN)" --out "$(OUT)"

# The model registry (docs/registry.md): GTO's git tags on the models dvc.yaml's `artifacts`
# name. Promotion judges HEAD's model against the version in STAGE by gate.yaml's rules, and
# tags it only if it is significantly better; VERSION= puts a version that was in STAGE back.
STAGE ?=
VERSION ?=
## promote: judge HEAD's model, then tag it: NAME=<experiment> [STAGE=prod] [VERSION=<v> to roll back]
promote: setup
	python -m tools.registry promote --name $(call quoted,NAME) --stage $(call quoted,STAGE) \
		--version $(call quoted,VERSION)

## registry: each experiment's model versions, and the stages they are in
registry: setup
	python -m tools.registry show

# What CI runs on the tags: every version put in a stage passed the gate against the one before.
## registry-check: fail if a tag put a version in a stage that the gate would have refused
registry-check: setup
	python -m tools.registry check

# A model version over HTTP (serve/app.py), NumPy only: POST /predict, GET /health, /metadata,
# /docs. Listens on 127.0.0.1 unless HOST says otherwise; Ctrl-C or SIGTERM stops it.
# MAX_BODY: the largest request body in bytes (16 MiB by default), 413 past it.
REV ?=
HOST ?= 127.0.0.1
PORT ?= 8000
MAX_BODY ?= 16777216
## serve: serve a model over HTTP: NAME=<experiment> [STAGE=prod | REV=<git rev>] [HOST= PORT=8000]
serve: setup
	exec python -m serve --name $(call quoted,NAME) --stage $(call quoted,STAGE) \
		--rev $(call quoted,REV) --host $(call quoted,HOST) --port $(call quoted,PORT) \
		--max-body $(call quoted,MAX_BODY)

## test: the test suite, unit and end-to-end (not the QEMU runs: those are test-cpus)
test: setup
	python -m pytest -m "not emulated"

## test-cpus: every stage under QEMU as an AMD EPYC, an Intel Haswell and a Sandy Bridge
test-cpus: setup
	python -m pytest -m emulated

# Mutation testing (mutmut, a few minutes on 2 cores): each module in pyproject's
# [tool.mutmut] only_mutate against its mirrored unit test file; scores and survivors in
# docs/mutation.md (equivalents explained in tests/mutation_equivalents.yaml). Fails under 90%.
## mutate: mutation testing of the modules that guard results (a few minutes)
mutate: setup
	python -m tools.mutate

# Style as a check (CI runs it) and as a fix: ruff's formatter and linter, rules in pyproject.toml.
## lint: style check (ruff), as CI runs it
lint: setup
	ruff format --check .
	ruff check .

## format: fix style (ruff)
format: setup
	ruff format .
	ruff check --fix .

# The metric gate: the workspace's metrics against BASE's (a git revision or DVC experiment),
# by the rules in gate.yaml; a Markdown report in GATE_REPORT, PNG plots if GATE_PLOTS is set.
# python -m gate exits 1 for a regression, 2 for a bad base or rules; make turns either into 2.
BASE ?= HEAD
GATE_REPORT ?= reports/gate.md
GATE_PLOTS ?=
## gate: compare the workspace's metrics with BASE (default HEAD) by gate.yaml's rules
gate: setup
	python -m gate --base "$(BASE)" --rules gate.yaml --report "$(GATE_REPORT)"$(if $(GATE_PLOTS), --plots-dir "$(GATE_PLOTS)")

# Each gated metric over the last HISTORY commits of this branch (and the workspace): tables
# and Mermaid charts, in reports/history.md. The gate's report has the same section.
HISTORY ?= 20
## history: each gated metric over the last HISTORY commits, in reports/history.md
history: setup
	python -m gate.history --commits $(HISTORY) --base "$(BASE)" --rules gate.yaml --report reports/history.md

# `dvc pull`, after checking that the default remote can hold the data (one line if not).
## pull: `dvc pull`, with one line if the default remote cannot be reached
pull: setup
	python -m tools.pull

# Every run made here, to the DVC remote: `dvc push --run-cache` plus the outputs its run
# records name, so `dvc repro --pull` in another clone restores experiments and queued runs too.
## share: push every run made here (experiments and queued runs too) to the DVC remote
share: setup
	python -m tools.share

## runs: every run's changed params and metrics, in a table as wide as the terminal
runs: setup
	python -m tools.runs

# A sweep that leaves no DVC process behind when it returns (DVC's queue worker may outlive
# `dvc exp run --run-all`): make sweep SET=experiments.blobs4.train.learning_rate=0.003,0.01,0.03
# With SHARD=k/n, the k-th of n equal shares instead, one run at a time, each pushed as it
# finishes (its experiment to the git remote REMOTE, its outputs to the DVC remote). With
# WORKERS=w or SCHEDULER=tcp://host:8786, on Dask as `make tune`'s trials (docs/tune.md).
SET ?=
JOBS ?= 2
SHARD ?=
REMOTE ?= origin
## sweep: queue and run a sweep: SET=experiments.blobs4.train.learning_rate=0.003,0.01,0.03 [SHARD=k/n]
sweep: setup
	python -m tools.sweep --set "$(SET)" --jobs $(JOBS)$(if $(SHARD), --shard "$(SHARD)" --remote "$(REMOTE)")$(if \
		$(WORKERS), --workers "$(WORKERS)")$(if $(SCHEDULER), --scheduler "$(SCHEDULER)" --remote "$(REMOTE)")

# Every run of a sweep made by SHARDS machines: pulled, the missing ones named with the shard
# that owes them, one table best first (by BY=EXP.METRIC, else gate.yaml's first rule of the
# swept experiment) with the gate's verdict, in reports/sweep.md; APPLY=1 applies the best.
SHARDS ?= 1
BY ?=
APPLY ?=
## gather: a sharded sweep's runs in one table, best first: SET=... SHARDS=n [BY= APPLY=1]
gather: setup
	python -m tools.gather --set "$(SET)" --shards "$(SHARDS)" --remote "$(REMOTE)" \
		--by "$(BY)"$(if $(APPLY), --apply)

# A Bayesian search (Optuna's TPE, seeded), every trial a DVC experiment, run on Dask: WORKERS
# local processes, or the cluster at SCHEDULER (docs/tune.md). The same SPACE, TRIALS, BATCH and
# SEED give the same study on any machine and any number of workers; rerun to resume.
SPACE ?=
TRIALS ?= 12
BATCH ?= 4
SEED ?= 0
WORKERS ?=
SCHEDULER ?=
## tune: Bayesian search: SPACE='KEY=tag(log,interval(1e-4,1e-1))' [TRIALS= BATCH= WORKERS= BY= APPLY=1]
tune: setup
	python -m tools.tune --space '$(subst ','\'',$(value SPACE))' --trials "$(TRIALS)" --batch "$(BATCH)" --seed "$(SEED)" \
		--workers "$(or $(WORKERS),1)" --scheduler "$(SCHEDULER)" --remote "$(REMOTE)" --by "$(BY)"$(if $(APPLY), --apply)

# After `make repro`: on an x86-64-v3 CPU, fail unless every output has its committed hash
# (naming the outputs that differ and the first stage that made them).
## repro-check: after make repro, fail unless every output has its committed hash
repro-check: setup
	python -m tools.repro_check --base HEAD

# The benchmark against the notebook and a 1M-row table (about 30 minutes; BENCH_ARGS=--quick).
## bench: the benchmark: the notebook and a 1M-row table (about 30 minutes; BENCH_ARGS=--quick)
bench: setup
	python -m bench.run $(BENCH_ARGS)

$(STAMP): requirements.txt
	@echo "Installing requirements.txt's pinned packages into $(VENV) (TensorFlow among them," \
		"about 2.5 GB): several minutes the first time, then never again until it changes."
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The offline page template, named in the untracked .dvc/config.local: before `make`,
# `dvc plots show` works with DVC's own page (charts from a CDN), after it with no network.
$(PLOTS_TEMPLATE): $(STAMP) tools/plots_template.py
	python -m tools.plots_template --out $@

$(LOCAL_CONFIG): $(PLOTS_TEMPLATE)
	dvc config --local plots.html_template plots-template.html

# The zoo: thirteen public tables that ship inside installed packages (scikit-learn, statsmodels,
# palmerpenguins), each through `make experiment` and `dvc repro` in a temporary copy, against
# scikit-learn's linear models on the same split (bench/zoo.md; exits 1 naming any table that
# misses). About 5 minutes on 2 cores; ZOO_ARGS=--tables iris,randhie for a subset.
.PHONY: zoo bench-tune bench-serve
## zoo: public tables from installed packages against scikit-learn's linear models (bench/zoo.md)
zoo: setup
	python -m bench.zoo $(ZOO_ARGS)

# make tune measured (bench/tune.md): a 27-point grid against a search over the same space on
# blobs4 and the cancer table, and 8 trials with 1 and 2 workers. About 30 minutes on 2 cores.
## bench-tune: make tune against a 27-point grid, and 8 trials on 1 and 2 workers (bench/tune.md)
bench-tune: setup
	python -m bench.tune

# make serve measured (bench/serve.md): start-up, requests per second and latency at 1, 8 and 32
# clients, 10,000 rows in one request, memory under malformed requests; Keras' predict behind the
# same server as the anchor. A few minutes on 2 cores, after `make repro`.
## bench-serve: make serve's start-up, throughput, latency and memory, against Keras (bench/serve.md)
bench-serve: setup
	python -m bench.serve
