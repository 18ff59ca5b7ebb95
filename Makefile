# daoban: two commands on a fresh machine.
#   make serve  - set up .venv, build the knowledge base, serve on 127.0.0.1:8000 (SQLite)
#   make test   - set up .venv (and, in CI, the local services and chromium), run the whole suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test services browser webchat lint kb clean

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

# The real rasa-webchat widget (npm 1.0.1) for the browser test of our Socket.IO channel: only its
# self-contained bundle (npm pack, no node_modules). Never fails: without it that test skips, or fails in CI.
WEBCHAT_DIR := var/rasa-webchat
webchat:
	@test -f $(WEBCHAT_DIR)/lib/index.js || { mkdir -p $(WEBCHAT_DIR) && cd $(WEBCHAT_DIR) && \
	  npm pack --silent rasa-webchat@1.0.1 >/dev/null && \
	  tar xzf rasa-webchat-1.0.1.tgz --strip-components=1 package/lib/index.js package/package.json && \
	  rm rasa-webchat-1.0.1.tgz; } || true

test: $(STAMP) services browser webchat
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache
