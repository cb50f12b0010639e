# Qarion Model Repository: everything a developer or CI runs, from a fresh clone.
#   make run    install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)/ as deployed
#               (gunicorn, DEBUG off; the embedded shape: SQLite, local files, in-process tasks)
#   make test   install and run the whole test suite (PYTEST_ARGS="-k upload -x" passes options)

PYTHON ?= python3
PORT ?= 8000
PYTEST_ARGS ?=
# How often `make run` runs the periodic work (expiring upload sessions, recovering
# assemblies, purging deleted files) that Celery beat runs in the other shapes, in seconds.
PERIODIC_INTERVAL ?= 60

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
MANAGE := $(PY) manage.py
HAS_PERIODIC := $(wildcard */management/commands/run_periodic.py)

.DEFAULT_GOAL := help
.PHONY: help install migrate demo run test worker beat lint clean clean-data

help:
	@echo "make run      serve the demo on http://127.0.0.1:$(PORT)/ (installs, migrates, loads demo data)"
	@echo "make test     run the whole test suite (PYTEST_ARGS=... passes options to pytest)"
	@echo "make install  create $(VENV) and install the project with its test dependencies"
	@echo "make migrate  apply database migrations"
	@echo "make demo     load the demo organization, users and records (safe to repeat)"
	@echo "make worker   run a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat     run Celery beat, the periodic task scheduler (needs CELERY_BROKER_URL)"
	@echo "make lint     Django system checks and a check for missing migrations"
	@echo "make clean    remove $(VENV), collected static files and caches (keeps your data)"
	@echo "make clean-data  remove the embedded data directory (database, files, secret key)"

install: $(STAMP)

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11).")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet -e '.[test]'
	@touch $@

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) load_demo

run: demo
	@echo ""
	@echo "  Qarion Model Repository: http://127.0.0.1:$(PORT)/"
	@echo ""
	@echo "  Demo logins (password: demo)"
	@echo "    admin   organization admin, also Django admin (http://127.0.0.1:$(PORT)/admin/)"
	@echo "    alice   editor in research, viewer in production"
	@echo "    bob     viewer in research"
	@echo "    carol   organization member, in no space"
	@echo ""
	@echo "  Stop with Ctrl-C."
	@echo ""
	@if [ -n "$(HAS_PERIODIC)" ]; then \
		$(MANAGE) run_periodic --every $(PERIODIC_INTERVAL) & \
		periodic=$$!; trap 'kill $$periodic 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(VENV)/bin/gunicorn qarion.wsgi --bind 127.0.0.1:$(PORT) --worker-class gthread --workers 2 --threads 4 \
		--timeout 120 --access-logfile -

test: install
	@$(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: counting that as a failure."; fi; \
	exit $$status

worker: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (for example redis://127.0.0.1:6379/0) first."; exit 2; }
	$(VENV)/bin/celery -A qarion worker --include qarion.tasks --loglevel=INFO

beat: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (for example redis://127.0.0.1:6379/0) first."; exit 2; }
	$(VENV)/bin/celery -A qarion beat --loglevel=INFO --schedule "$${QARION_DATA_DIR:-var}/celerybeat-schedule"

lint: install
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache *.egg-info test-results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data:
	rm -rf var
