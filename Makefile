# sanigrid: two commands. `make demo` sets up and serves the demo city; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Two stamps: `make demo` needs only the app's packages; `make test` adds the test extras on top,
# so a `make demo` after `make test` installs nothing again.
APP_STAMP  := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install install-app system-deps serve bench clean

$(APP_STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(APP_STAMP)

$(TEST_STAMP): $(APP_STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install-app: $(APP_STAMP)

# the venv with the test extras (what a developer works in)
install: $(TEST_STAMP)

# Debian packages the tests use as independent clients (GDAL's ogrinfo, QGIS). Installed only when missing.
system-deps:
	@command -v ogrinfo >/dev/null 2>&1 || { \
	  echo "installing Debian gdal-bin (ogrinfo) for the export tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin >/dev/null; }
	@test -f /usr/share/postgresql/15/extension/postgis.control || { \
	  echo "installing Debian postgresql-15-postgis-3 for the PostgreSQL pass"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null; }
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect 15 main start
	@# The browser tests drive Debian's chromium through Playwright (never a downloaded browser);
	@# fonts-noto-cjk so that Chinese renders in screenshots, the signboard PDF and the notice PDF (WeasyPrint,
	@# which lays text out with Pango: libpango-1.0-0 and libpangoft2-1.0-0).
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK" && \
	   ldconfig -p | grep -q libpangoft2-1.0.so.0; } || { \
	  echo "installing Debian chromium, fonts-noto-cjk and Pango for the browser tests and the notice PDF"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	    libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }
	@# tests/test_qgis_client.py drives Debian's QGIS 3.22 (system python, not the venv) as a client.
	@{ /usr/bin/python3 -c 'import qgis.core' >/dev/null 2>&1 && test -f /usr/lib/qgis/plugins/libprovider_wfs.so; } || { \
	  echo "installing Debian python3-qgis and qgis-providers for the QGIS client test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    python3-qgis qgis-providers >/dev/null; }

demo: install-app
	$(PY) -m gis_app init
	$(PY) -m gis_app demo --replace
	$(PY) -m gis_app serve --host 127.0.0.1 --port 8000

# pytest exits 5 when it collects nothing; that is a failure here, like any other non-zero code.
# Two passes: everything on SQLite, then every test that touches the database (marker db, set by
# tests/conftest.py) again on PostgreSQL/PostGIS, each test in a fresh database of its own.
test: install system-deps
	$(PY) -m pytest -q
	SANIGRID_TEST_BACKEND=postgresql $(PY) -m pytest -q -m "db or postgresql"

bench: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) bench/register.py
	$(PY) bench/assignment.py

clean:
	rm -rf $(VENV) instance build *.egg-info
