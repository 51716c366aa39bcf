# syntax=docker/dockerfile:1
# The service's image: `tickets` as entrypoint (serve, worker, migrate, audit, demo...), run as
# a non-root user, with the locked runtime dependencies only. Configuration comes from the
# environment, secrets from files (NAME_FILE); compose.yaml shows the whole deployment and
# docs/deployment.md explains it.
#
#   docker build -t salsanor-tickets .
#   docker run --init --env-file tickets.env salsanor-tickets migrate
#   docker run --init --env-file tickets.env -p 8000:8000 salsanor-tickets
#
# --init (compose: `init: true`) puts a small init as PID 1, which reaps orphans and forwards
# signals; the service handles SIGTERM itself too, so it also stops cleanly as PID 1.
#
# The base image is a build argument: the official one by default; `make image-test` builds
# one from Debian's packages (python3, python3-venv), where no registry is reachable. Both
# stages must use the same one: the venv links to the base image's Python.
ARG PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm

# --- build: the virtual environment from uv.lock, without the dev group ---------------------
FROM ${PYTHON_IMAGE} AS build

# uv, pinned (the Makefile's UV_VERSION), in a venv of its own: a Debian-packaged Python
# refuses `pip install` into itself (PEP 668), the official image's accepts either.
ARG UV_VERSION=0.13.9
RUN python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"

# Compiled bytecode starts the service faster; copies, not links, so the venv can move stages;
# the base image's Python, never a downloaded one (the runtime stage has the same).
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/tickets

WORKDIR /src
# Dependencies first, in their own layer: a change of code does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --no-cache
COPY README.md ./
# The door's QR decoder (jsQR) is committed under src/: no node stage.
COPY src ./src
# The project itself as a regular (non-editable) install: the runtime stage needs no source tree.
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-editable --no-cache

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

# Liveness: the process answers HTTP (GET /health, which asks nothing of the database), so a
# database blip does not mark every API container unhealthy and restart it. A load balancer
# sends traffic on GET /health/ready instead (503 while the event store does not answer).
# The worker and migrate containers have no HTTP port: compose.yaml sets theirs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["tickets"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
