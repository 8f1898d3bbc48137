# Two commands for a newcomer: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
DEPLOYMENT ?= configs/community
PORT ?= 8000

.PHONY: install run test check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml plugins/*/pyproject.toml
	@echo "Installing gridwork and its dependencies into $(VENV) (first run: a few minutes)..."
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install --progress-bar off -e '.[test]' -e plugins/gridwork-sms-http -e plugins/gridwork-nearest-dispatch
	touch $@

## Migrate and serve the demo deployment on SQLite, seeding demo users on first run.
run: install
	$(VENV)/bin/gridwork migrate $(DEPLOYMENT)
	$(VENV)/bin/gridwork serve $(DEPLOYMENT) --port $(PORT) --demo

## Install and run the whole test suite: two processes, each taking whole files (the tests
## of one file share fixtures and servers).
test: install
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

## Check every shipped deployment.
check: install
	for d in configs/*/; do $(VENV)/bin/gridwork check $$d || exit 1; done

## Run the benchmarks (apart from the tests).
bench: install
	$(VENV)/bin/gridwork bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
