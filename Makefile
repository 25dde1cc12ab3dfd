# One command to try Signals, one to test it. Both set everything up from nothing.
#   make demo   - create .venv, install, run the bot on bundled demo feeds (console output)
#   make test   - create .venv, install, lint and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo run test test-browser-deps lint bench train clean

$(STAMP): pyproject.toml setup.py classifiers/_core.c bot/stories/_core.c  # (an editable install builds the C cores once: rebuild on change)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,scale]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/signals demo $(ARGS)

run: $(STAMP)
	$(BIN)/signals run $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) test-browser-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# Browser tests (tests/e2e) drive Debian's chromium with Playwright; never a downloaded browser.
test-browser-deps: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }; } \
	  || echo "warning: chromium not installed; browser tests will be skipped"
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet playwright

train: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[train]"
	$(BIN)/signals train --data ../shared/data

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache
