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
VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -n 1)
WHEEL   := dist/dkfi-$(VERSION)-py3-none-any.whl
BUNDLE_STAMP := dist/.stamp-bundle
# what the wheel is made of (a change rebuilds it); the build writes only vendor/vendor.json under src/
PKG_FILES := $(shell find src build_hooks -type f -not -path '*/__pycache__/*' -not -path '*.egg-info/*' \
                     -not -name '*.part' -not -name '.stamp-*' 2>/dev/null)

.PHONY: all install demo test lint serve chromium clean help wheel bundle image image-save
all: install

help:
	@echo "make demo   install into .venv; a Danish node (replaying the bundled AIS recording) on http://127.0.0.1:$(PORT) and a Finnish node on the next port, federated over mutual TLS"
	@echo "make test   install and run the whole test suite (needs PostgreSQL, Mosquitto, NATS, Chromium)"
	@echo "make lint   ruff (pyflakes, pycodestyle errors) on the code and tests, mypy on src/dkfi"
	@echo "make serve  serve the configured database without replay"
	@echo "make wheel  the sdist and the wheel in dist/ (with the browser vendor files: npm ci when needed)"
	@echo "make bundle dist/dkfi-bundle-$(VERSION)-<python>-<platform>.tar.gz: wheel, wheelhouse, install.sh (offline)"
	@echo "make image  podman build of Containerfile as localhost/dkfi:$(VERSION) (docs/operations.md, \"Run as a container\")"
	@echo "make image-save  that image as dist/dkfi-$(VERSION).tar, to carry into an enclave (podman load -i)"

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

# The sdist, then the wheel built from it (so the sdist is proved complete), by build_hooks/dkfi_build.py.
wheel: $(WHEEL)
$(WHEEL): $(STAMP) pyproject.toml MANIFEST.in package.json package-lock.json scripts/copy_vendor.py $(PKG_FILES)
	$(BIN)/python -m build --outdir dist .

# The offline bundle (packaging/README.md); reaches the package index, pip's cache makes a repeat fast.
bundle: $(BUNDLE_STAMP)
$(BUNDLE_STAMP): $(WHEEL) scripts/make_bundle.py packaging/install.sh packaging/dkfi.env.example packaging/README.md
	$(BIN)/python scripts/make_bundle.py --wheel $(WHEEL)
	touch $@

demo: install
	$(BIN)/dkfi demo --port $(PORT) --speed $(SPEED)

serve: install
	$(BIN)/dkfi serve --port $(PORT)

# Browser tests drive Debian's Chromium (Playwright never downloads a browser of its own).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# the delivery tests (tests/delivery) install the wheel and the bundle from dist/
test: install chromium bundle
	$(BIN)/pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

# Guard rails before the tests: settings in pyproject.toml ([tool.ruff], [tool.mypy]).
lint: install
	$(BIN)/ruff check src/dkfi tests bench scripts
	$(BIN)/mypy src/dkfi

clean:
	rm -rf $(VENV) node_modules src/dkfi/web/static/vendor var dist build .pytest_cache .ruff_cache .mypy_cache

# The container image (docs/operations.md, "Run as a container"); BASE=... picks another Debian bookworm base.
image:
	podman build --format docker $(if $(BASE),--build-arg BASE=$(BASE)) -t localhost/dkfi:$(VERSION) .

image-save: image
	mkdir -p dist
	podman save --format docker-archive -o dist/dkfi-$(VERSION).tar localhost/dkfi:$(VERSION)
	cd dist && sha256sum dkfi-$(VERSION).tar > dkfi-$(VERSION).tar.sha256
