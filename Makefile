# Shortcuts for tasks.py, which needs nothing but Python 3.11+ (everything goes into .venv).
PYTHON ?= python3

.PHONY: setup run test quick lint lab clean

setup:
	$(PYTHON) tasks.py setup

run:
	$(PYTHON) tasks.py run

test:
	$(PYTHON) tasks.py test

quick:
	$(PYTHON) tasks.py quick

lint:
	$(PYTHON) tasks.py lint

lab:
	$(PYTHON) tasks.py lab

clean:
	rm -rf .venv output
