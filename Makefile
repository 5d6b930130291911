# Openbill: `make run` starts the demo, `make test` runs the checks. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := openbill.settings
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Debian packages: libvirt headers to build libvirt-python; Chromium, pebble, knot and Redis for tests.
BUILD_DEBS := libvirt-dev pkg-config gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_DEBS := chromium pebble knot redis-server

.PHONY: run test lint types pytest sysdeps test-sysdeps clean demo worker api-fuzz

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

sysdeps:
	$(call apt_install,$(BUILD_DEBS))

test-sysdeps: sysdeps
	$(call apt_install,$(TEST_DEBS))

$(STAMP): requirements.lock pyproject.toml | sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/openbill migrate --noinput
	$(BIN)/openbill demo
	OPENBILL_CARD_TEST_MODE=1 $(BIN)/openbill run   # the demo pays with the test card gateway

demo: $(STAMP)
	$(BIN)/openbill migrate --noinput
	$(BIN)/openbill demo

worker: $(STAMP)
	$(BIN)/openbill worker

lint: $(STAMP)
	$(BIN)/ruff check openbill tests conftest.py
	$(BIN)/openbill makemigrations --check --dry-run >/dev/null

types: $(STAMP)
	$(BIN)/mypy openbill

# Serial tests (browser, subprocesses) first, alone; then the rest on two cores.
# PYTEST_ARGS narrows a run; CI's .ci/run calls the pieces itself.
pytest: $(STAMP) test-sysdeps
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -n 2 -m "not serial" $(PYTEST_ARGS)

test: lint types pytest

# schemathesis against a real running server (its own throw-away database): no 5xx, no answer
# outside the schema. EXAMPLES=N for a deeper run.
api-fuzz: $(STAMP)
	$(BIN)/python tests/api_fuzz.py --examples $${EXAMPLES:-25}

clean:
	rm -rf $(VENV) var/static
