# Every task of the project, run the same way on a laptop and in CI.
UV_VERSION := 0.13.9
# uv from PATH, else this pinned one in a venv of its own (.tools): Debian's and Ubuntu's
# Python refuse `pip install` into themselves (PEP 668), and often have no pip at all.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST := $(UV) run --frozen pytest

.PHONY: install run test unit integration check lint types layers deploy-lint bench reliability \
	clean contract docs fresh-machine-test image-test door-assets translations

install:  ## Python, the locked dependencies and the project, in .venv, compiled to bytecode
# Compiled here: where PYTHONDONTWRITEBYTECODE is set (CI, containers) every process would
# compile each module it imports again (importing the CLI: 2.15 s, 0.8-1.0 s compiled).
	@command -v uv >/dev/null 2>&1 || [ -x .tools/bin/uv ] || { python3 -m venv .tools \
		&& .tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	$(UV) sync --frozen --compile-bytecode
	@$(UV) run --frozen python -m compileall -q src

run: install  ## start the service on the embedded defaults (SQLite, dev secrets)
	$(UV) run --frozen tickets serve --dev

test: install  ## every test: unit, then integration on SQLite and PostgreSQL
	@scripts/ensure-services
	$(PYTEST) -q --durations=25

unit: install
	$(PYTEST) -q -m unit

integration: install
	@scripts/ensure-services
	$(PYTEST) -q -m integration

check: lint types layers deploy-lint  ## lint, strict types on src/, layer contract, Dockerfile and compose.yaml

lint: install
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen ruff format --check src tests bench

types: install
	$(UV) run --frozen mypy

layers: install
	$(UV) run --frozen lint-imports

deploy-lint: install  ## hadolint on the Dockerfile, compose.yaml against the Compose schema (no Docker needed)
	$(UV) run --frozen hadolint Dockerfile
	$(UV) run --frozen check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

docs: install  ## this documentation site into site/, every link checked (mkdocs --strict)
	NO_MKDOCS_2_WARNING=1 $(UV) run --frozen mkdocs build --strict --quiet

contract: install  ## contract/: the OpenAPI document and its TypeScript types, from this source
	$(UV) run --frozen tickets openapi --output contract/openapi.json
	@[ -x contract/node_modules/.bin/openapi-typescript ] \
		|| (cd contract && npm ci --no-audit --no-fund --loglevel=error)
	cd contract && node_modules/.bin/openapi-typescript openapi.json -o api.d.ts

translations: install  ## extract every string people see and update the catalogues (src/adapters/locales)
	$(UV) run --frozen pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k t:1 \
		--no-location --sort-output --project salsanor-tickets -o src/adapters/locales/messages.pot .
	$(UV) run --frozen pybabel update -i src/adapters/locales/messages.pot -d src/adapters/locales \
		--ignore-obsolete
# The door's and the admins' pages, their scripts and the alerts: the "pages" domain.
	$(UV) run --frozen pybabel extract -F babel-pages.cfg -k _ -k gettext -k t -k tn:1,2 \
		--no-location --sort-output --project salsanor-tickets -o src/adapters/locales/pages.pot .
	$(UV) run --frozen pybabel update -D pages -i src/adapters/locales/pages.pot \
		-d src/adapters/locales --ignore-obsolete

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache var

door-assets:  ## refresh the committed door QR decoder (jsQR) from web/package-lock.json; needs npm
	scripts/build-door-assets

fresh-machine-test:  ## minutes, root, not in CI: the two commands in a clean Debian 12 (mmdebstrap)
	scripts/fresh-machine-test

image-test: install  ## minutes, root, not in CI: build the image (buildah) and run compose's topology (podman)
	scripts/image-test

bench: install  ## the benchmark suite (<= 15 min): bench/RESULTS.md; ANCHOR=pretix measures pretix too
	@scripts/ensure-services
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(UV) run --frozen python -m bench $(if $(ANCHOR),--anchor $(ANCHOR),) $(BENCH_ARGS)

reliability: install  ## minutes, not in CI: load + SIGKILLs on PostgreSQL, Redis, 2 APIs, a worker
	@scripts/ensure-services
	$(UV) run --frozen python -m bench.reliability
