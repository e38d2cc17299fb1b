# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test lint install redis-server chromium bench eval clean i18n

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/closer serve

# The test suite talks to a real redis-server; install Debian's package when it is missing.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server; }

# The embeddable widget's tests drive Debian's headless Chromium through its chromedriver.
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }

test: install redis-server chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench

# The admin bot's catalogues: extract new texts, merge them into ru/uk, compile (the .mo files are committed).
i18n: install
	$(BIN)/pybabel extract -k _ -k N_ --no-location --omit-header -o admin_bot/locales/closer_admin.pot admin_bot
	$(BIN)/pybabel update -D closer_admin -i admin_bot/locales/closer_admin.pot -d admin_bot/locales --no-fuzzy-matching
	$(BIN)/pybabel compile -D closer_admin -d admin_bot/locales --statistics

clean:
	rm -rf $(VENV) data .pytest_cache
