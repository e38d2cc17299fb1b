# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test lint install lock redis-server chromium bench eval clean i18n

# Installed from the lock file, so every machine gets the same versions (`make lock` after changing pyproject.toml).
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[embedded,dev]'
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

# Re-resolve every dependency in a scratch venv and pin it: requirements-dev.lock (run/test) and requirements.lock
# (the service alone, for the Docker image, constrained to the same versions).
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[embedded,dev]'
	{ echo '# Every package of `make run` / `make test` (core + embedded + dev), pinned: `make lock` regenerates it.'; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > requirements-dev.lock
	$(LOCK_VENV)/bin/python -m pip install . --dry-run --ignore-installed --quiet --report $(LOCK_VENV)/core.json \
	  -c requirements-dev.lock
	$(LOCK_VENV)/bin/python -c "import json; r = json.load(open('$(LOCK_VENV)/core.json')); \
	  pins = sorted({(i['metadata']['name'].lower(), i['metadata']['version']) for i in r['install']} - {('closer', '0.1.0')}); \
	  print('# The service alone (the Docker image), pinned; \`make lock\` regenerates it.'); \
	  print(*(f'{n}=={v}' for n, v in pins), sep='\n')" > requirements.lock
	rm -rf $(LOCK_VENV)

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
