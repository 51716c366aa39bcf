# syntax=docker/dockerfile:1
# The service's image: `tickets` as entrypoint (serve, worker, migrate, audit...), run as a
# non-root user, with the locked runtime dependencies only. Configuration comes from the
# environment (see .env.example); compose.yaml shows the whole deployment.
#
#   docker build -t salsanor-tickets .
#   docker run --env-file .env salsanor-tickets migrate
#   docker run --env-file .env -p 8000:8000 salsanor-tickets

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- door-assets: the door page's QR decoder (jsQR), as web/package-lock.json pins it ---------
FROM node:20-bookworm-slim AS door-assets

WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

# --- build: the virtual environment from uv.lock, without the dev group ---------------------
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# Compiled bytecode starts the service faster; copies, not links, so the venv can move stages;
# the base image's Python, never a downloaded one (the runtime stage has the same).
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/tickets

WORKDIR /src
# Dependencies first, in their own layer: a change of code does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache
COPY README.md ./
COPY src ./src
# Served by the service itself (no CDN); a wheel artifact (pyproject.toml), not in git.
COPY --from=door-assets /web/node_modules/jsqr/dist/jsQR.js ./src/entrypoints/http/static/vendor/
# The project itself as a regular (non-editable) install: the runtime stage needs no source tree.
RUN uv sync --frozen --no-dev --no-editable --no-cache

# --- runtime: the venv and a user, nothing else ---------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="salsanor-tickets" \
      org.opencontainers.image.description="Ticket fulfilment: Stripe payment to paid order to signed QR ticket, event-sourced."

RUN groupadd --system --gid 10001 tickets \
    && useradd --system --uid 10001 --gid tickets --home-dir /home/tickets --create-home \
       --shell /usr/sbin/nologin tickets

COPY --from=build /opt/tickets /opt/tickets

# ./var is where the file email backend writes (EMAIL_OUTBOX_DIR) and where SQLite would live:
# the only place the service writes to; mount a volume there when you use either.
WORKDIR /srv/tickets
RUN mkdir var && chown tickets:tickets var

ENV PATH=/opt/tickets/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001
EXPOSE 8000

# Docker, compose, Kubernetes and systemd stop with SIGTERM: the service finishes in-flight
# requests and the email at hand, then exits 0.
STOPSIGNAL SIGTERM

# Ready means the event store answers (503 otherwise, and urlopen raises: exit 1): a load
# balancer should send no traffic before. The worker and migrate containers have no HTTP: compose.yaml turns this off for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health/ready', timeout=4)"]

ENTRYPOINT ["tickets"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
