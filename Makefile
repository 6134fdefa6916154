# dkfi: two commands on a fresh machine — `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.stamp-install
NODE_STAMP := node_modules/.stamp-install
VENDOR  := src/dkfi/web/static/vendor/.stamp-copied
PORT    ?= 8000
SPEED   ?= 5
PYTEST_ARGS ?=

.PHONY: all install demo test lint serve chromium clean help
all: install

help:
	@echo "make demo   install into .venv and replay the bundled Danish AIS recording on http://127.0.0.1:$(PORT)"
	@echo "make test   install and run the whole test suite (needs PostgreSQL, Mosquitto, NATS, Chromium)"
	@echo "make lint   ruff (pyflakes, pycodestyle errors) on the code and tests, mypy on src/dkfi"
	@echo "make serve  serve the configured database without replay"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR): $(NODE_STAMP) $(STAMP) src/dkfi/web/vendor.txt scripts/copy_vendor.py
	$(BIN)/python scripts/copy_vendor.py
	touch $@

install: $(STAMP) $(VENDOR)

demo: install
	$(BIN)/dkfi demo --port $(PORT) --speed $(SPEED)

serve: install
	$(BIN)/dkfi serve --port $(PORT)

# Browser tests drive Debian's Chromium (Playwright never downloads a browser of its own).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install chromium
	$(BIN)/pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

# Guard rails before the tests: settings in pyproject.toml ([tool.ruff], [tool.mypy]).
lint: install
	$(BIN)/ruff check src/dkfi tests bench scripts
	$(BIN)/mypy src/dkfi

clean:
	rm -rf $(VENV) node_modules src/dkfi/web/static/vendor var .pytest_cache .ruff_cache .mypy_cache
