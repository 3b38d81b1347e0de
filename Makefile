# Handlingsplan – the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench bench-proxy prod-check lint format reset-db load-plan demo-users backup restore mutate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The app on SQLite (db.sqlite3) with the plan loaded and demo accounts; DEBUG is on.
run: export DEBUG = 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_plan --if-missing
	$(BIN)/python manage.py create_demo_users
	@echo "Handlingsplan körs på http://$(HOST):$(PORT)/ (avsluta med Ctrl+C)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite: migrations up to date, lint, format, tests. DATABASE_URL picks the database
# (SQLite by default; CI sets PostgreSQL).
test: export DEBUG = 0
test: export SECRET_KEY ?= insecure-test-only-key
test: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The benchmark (docs/performance.md): pages and exports at 1×, 10× and 100× the plan on
# PostgreSQL with gunicorn and wrk, on a reporting history as dense as a real plan's
# (bench/seed.py), and at 100× again while a writer files a report every 0.5 s; each page's
# slowest query; a 5,000-row import: about 25 minutes (24 on a busy machine, 2026-12-06). The
# seeded database is kept in bench-cache/ and restored next time (seconds, not minutes).
# 1000× (55,000 activities) is opt-in, as it adds about ten minutes and its exports run into
# the worker timeout: ARGS="--scales 1,10,100,1000" (seeding it the first time takes about 5
# minutes, restoring it 15 s). Only 1000× read-only and 100× mixed:
# ARGS="--scales 100,1000 --read-only 1000". Quick: ARGS="--scales 1 --seconds 1".
bench: install
	bench/run $(ARGS)

# The production check (deploy/prodcheck/): PostgreSQL, Redis, an SMTP server, two app
# instances and nginx with TLS (deploy/nginx/) on this machine, then the checks of issue 23
# through https and Chromium; stops all it started. Needs nginx, redis-server, PostgreSQL and
# chromium from Debian (.ci/run installs them). ARGS="--keep" leaves the stack running and
# prints its addresses; the instances are compose.yaml's (podman-compose) where podman is
# installed, ARGS="--instances podman" runs the image with podman run, "host" gunicorn.
prod-check: install
	$(BIN)/python -m deploy.prodcheck $(ARGS)

# The production set-up (two instances behind nginx with TLS and Redis, from make prod-check)
# beside one instance as `make bench` runs it, page by page in the same run (bench/proxy.py).
# As root, like prod-check. ARGS="--scales 1,10 --seconds 4 --instances compose|podman|host".
bench-proxy: install
	$(BIN)/python -m bench.proxy $(ARGS)

# Mutation testing of the rules that guard writes (docs/testing.md), on SQLite: mutmut (the
# optional extra .[mutation]) mutates the functions below and runs the tests that cover each
# mutant. About half an hour; not part of `make test`. Survivors: .venv/bin/mutmut show NAME.
MUTATE_SCOPE := \
	'activities.permissions.*' \
	'activities.reporting.rules.*' \
	'activities.reporting.write.*' \
	'activities.forms.x*StatusReportForm*clean*' \
	'activities.forms.x*StatusReportForm*_not_offered*' \
	'activities.forms.x*OutcomeAssessmentForm*clean*' \
	'activities.models.status.x*Status*overall__*' \
	'activities.models.status.x*Status*needing_comment__*' \
	'activities.models.status.x*Status*needs_explanation__*' \
	'activities.models.status.x*Assessment*overall__*' \
	'activities.models.current.x_set_overall_status__*' \
	'activities.excel.report_import.x_import_reports__*' \
	'activities.excel.report_import.x__check_identity__*' \
	'activities.excel.report_import.x__check_report__*' \
	'activities.excel.report_import.x__read_values__*'

$(VENV)/.mutation-stamp: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,mutation]"
	touch $@

mutate: export DEBUG = 0
mutate: export SECRET_KEY ?= insecure-test-only-key
mutate: export DATABASE_URL =
mutate: $(VENV)/.mutation-stamp
	rm -rf mutants && mkdir mutants
	$(BIN)/mutmut run --max-children 1 $(MUTATE_SCOPE) > mutants/run.log 2>&1 || (tail -50 mutants/run.log; exit 1)
	$(BIN)/python -m tests.mutation_score $(MUTATE_SCOPE)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

reset-db:
	rm -f db.sqlite3

load-plan: export DEBUG = 1
load-plan: install
	$(BIN)/python manage.py load_plan $(if $(FORCE),--force,)

demo-users: export DEBUG = 1
demo-users: install
	$(BIN)/python manage.py create_demo_users

# A backup of the whole database (SQLite or PostgreSQL, from DATABASE_URL) to backups/.
# Locally (like `make run`) DEBUG is on unless the environment says otherwise; in production the
# environment sets DEBUG=0, SECRET_KEY and DATABASE_URL as for the app.
backup: export DEBUG ?= 1
backup: install
	$(BIN)/python manage.py backup

# Into a new, empty database: make restore FILE=backups/handlingsplan-….json.gz
restore: export DEBUG ?= 1
restore: install
	@test -n "$(FILE)" || (echo "Ange filen: make restore FILE=backups/…json.gz" && exit 2)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py restore "$(FILE)"
