# daoban: two commands on a fresh machine.
#   make serve  - set up .venv, build the knowledge base, serve on 127.0.0.1:8000 (SQLite)
#   make test   - set up .venv (and, in CI, the local services and chromium), run the whole suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test services browser lint kb clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

kb: $(STAMP)
	$(BIN)/daoban kb build

serve: kb
	$(BIN)/daoban serve

# Starts PostgreSQL and Redis when they are installed but not running (CI machines run
# them already; this only repairs a stopped one). Never fails: the tests decide.
services:
	@if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; fi
	@if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true; fi

# Debian's chromium and CJK fonts for the browser tests (Playwright drives /usr/bin/chromium;
# never `playwright install`). Never fails: without it the browser tests skip, or fail in CI.
browser:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	  $$SUDO apt-get install -y -q chromium fonts-noto-cjk >/dev/null || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }; \
	} || true

test: $(STAMP) services browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache
