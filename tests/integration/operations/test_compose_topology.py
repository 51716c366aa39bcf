"""compose.yaml's deployment, run on this machine without a container runtime.

The same commands (the Dockerfile's ENTRYPOINT plus each service's `command`), in the order
its `depends_on` gives, with the same environment (.env.example as the env file, then each
service's `environment`), on PostgreSQL and Redis of this machine. Only what a container
network changes is translated, in one table (``Machine``): host names, published ports, the
names of the database and roles (fresh ones per run), the mounted folder.

Then the getting-started walk-through across both API instances, the service role's limits, and the
backup and restore of docs/operations.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from adapters.identity import mint_dev_token
from tests.integration.operations.test_rate_limits_redis import redis_or_skip
from tests.support.service import PG_ADMIN, ROOT, free_port, postgres_or_skip
from tests.support.stripe_events import checkout_completed, signed

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DEPLOY_SQL = ROOT / "deploy" / "postgres"
# Provided by this machine (scripts/ensure-services), not started by the test.
MACHINE_SERVICES = {"postgres", "redis"}
# The TLS proxy needs its image (make image-test runs the rest in containers); its address is
# checked against the APIs' TRUSTED_PROXIES below.
NOT_RUN_HERE = {"caddy"}
SECRETS_MOUNT = "/run/secrets/"


# --- reading the Dockerfile, the env file and compose.yaml as Docker would ----------------


def dockerfile_instruction(name: str) -> str:
    """The last ``name`` instruction's arguments, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.+)$", joined, re.MULTILINE)
    assert found, f"the Dockerfile has no {name}"
    return str(found[-1]).strip()


def image_env() -> dict[str, str]:
    """The runtime stage's ENV (a PATH of the image's venv is replaced by this one's)."""
    runtime = DOCKERFILE.split("AS runtime", 1)[1].replace("\\\n", " ")
    values: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.+)$", runtime, re.MULTILINE):
        for assignment in shlex.split(line):
            name, value = assignment.split("=", 1)
            values[name] = value
    values["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return values


def env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines; blank and ``#`` lines skipped, as compose's env_file reads them."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            values[name.strip()] = value
    return values


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` from the .env file."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        current = variables.get(name, "")
        if operator == ":?" and not current:
            raise AssertionError(f"compose.yaml needs {name}: {argument}")
        if operator == ":-" and not current:
            return argument or ""
        return current

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:\?|:-)([^}]*))?\}", substitute, value)


def start_order() -> list[str]:
    """Services in an order their depends_on allows (compose starts them so)."""
    services: dict[str, Any] = COMPOSE["services"]
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for dependency in services[name].get("depends_on", {}):
            visit(dependency)
        ordered.append(name)

    for name in services:
        visit(name)
    return ordered


# --- what a container network changes, translated to this machine --------------------------


@dataclass
class Machine:
    """Host names, ports, database and role names, and mounts, as they are on this machine."""

    workdir: Path
    database: str = field(default_factory=lambda: f"compose_{uuid.uuid4().hex[:10]}")
    owner: str = field(default_factory=lambda: f"owner_{uuid.uuid4().hex[:10]}")
    app: str = field(default_factory=lambda: f"app_{uuid.uuid4().hex[:10]}")
    ports: dict[str, tuple[str, int]] = field(default_factory=dict)  # container's, this one

    @property
    def secrets(self) -> Path:
        """compose's secret files, as scripts/make-secrets makes them, translated."""
        return self.workdir / "secrets"

    def translate(self, value: str, service: str) -> str:
        replacements = [
            (r"@postgres:5432/tickets\?", f"@127.0.0.1:5432/{self.database}?"),
            (r"^--host=postgres$", "--host=127.0.0.1"),
            (r"^--dbname=tickets$", f"--dbname={self.database}"),
            (r"redis://redis:6379/0", "redis://127.0.0.1:6379/0"),
            (r"\btickets_owner\b", self.owner),
            (r"\btickets_app\b", self.app),
            (r"(^|=)/deploy/postgres", rf"\g<1>{DEPLOY_SQL}"),  # the bind mount
            (r"^0\.0\.0\.0$", "127.0.0.1"),
        ]
        if service in self.ports:
            inside, here = self.ports[service]
            replacements += [(rf"^{inside}$", str(here)), (rf":{inside}/", f":{here}/")]
        for pattern, replacement in replacements:
            value = re.sub(pattern, replacement, value)
        return value


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Deployment:
    machine: Machine
    env: dict[str, str]  # the .env file
    processes: dict[str, Process]
    apis: dict[str, str]  # service -> base URL
    database_url: dict[str, str]  # service -> its DATABASE_URL, translated
    worker_metrics: str = ""

    def owner_url(self) -> str:
        return self.database_url["migrate"]

    def app_url(self) -> str:
        return self.database_url["worker"]


def run_command(service: str, definition: dict[str, Any], machine: Machine) -> list[str]:
    if "build" in definition:
        entrypoint = json.loads(dockerfile_instruction("ENTRYPOINT"))
        assert entrypoint == ["tickets"]
        head = [str(Path(sys.executable).parent / "tickets")]
    else:  # compose's "$$" is a "$" for the container
        head = [part.replace("$$", "$") for part in definition.get("entrypoint", [])]
    return [machine.translate(str(part), service) for part in head + definition["command"]]


def service_env(
    service: str, definition: dict[str, Any], dotenv: dict[str, str], machine: Machine
) -> dict[str, str]:
    env = {"HOME": str(machine.workdir)}
    if "build" in definition:
        env |= image_env()
        assert definition["env_file"] == ".env"
        env |= dotenv
    else:
        env["PATH"] = os.environ["PATH"]
    for name, value in definition.get("environment", {}).items():
        env[name] = machine.translate(interpolate(str(value), dotenv), service)
        if env[name].startswith(SECRETS_MOUNT):
            secret = env[name].removeprefix(SECRETS_MOUNT)
            # compose mounts only the secrets a service lists.
            assert secret in definition.get("secrets", []), f"{service} lacks {secret}"
            env[name] = str(machine.secrets / secret)
    return env


def health_command(service: str, definition: dict[str, Any], machine: Machine) -> list[str]:
    """compose's healthcheck of the service, else the Dockerfile's HEALTHCHECK (CMD forms)."""
    if "healthcheck" in definition:
        kind, *healthcheck = definition["healthcheck"]["test"]
        assert kind == "CMD"
    else:
        healthcheck = json.loads(dockerfile_instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    command = [sys.executable if healthcheck[0] in ("python", "python3") else healthcheck[0]]
    return command + [machine.translate(part, service) for part in healthcheck[1:]]


def wait_healthy(service: str, command: list[str], process: Process) -> None:
    """The service's health check, run until it passes."""
    deadline = time.monotonic() + 120  # generous: a loaded machine starts Python slowly
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{service} exited: {process.logs()}")
        try:
            if (
                subprocess.run(command, capture_output=True, check=False, timeout=30).returncode
                == 0
            ):
                return
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{service} never became healthy: {process.logs()}")


def psql(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-X", "-q", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def make_secrets(machine: Machine) -> dict[str, str]:
    """scripts/make-secrets, the Stripe secret written in as the operator would, the files
    translated to this machine; the service's secrets by their variables' names."""
    made = machine.workdir / "secrets-made"
    done = subprocess.run(
        [str(ROOT / "scripts" / "make-secrets"), str(made)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "stripe_webhook_secret" in done.stdout  # it says to write it
    machine.secrets.mkdir()
    for path in made.iterdir():
        value = path.read_text().strip()
        if path.name == "stripe_webhook_secret":
            assert "change-me" in value  # refused until the operator writes Stripe's in
            value = f"whsec_{secrets.token_hex(24)}"
        (machine.secrets / path.name).write_text(machine.translate(value, "") + "\n")
    return {
        name: (machine.secrets / name.lower()).read_text().strip()
        for name in ("TICKET_JWT_SECRET", "AUTH_JWT_SECRET", "STRIPE_WEBHOOK_SECRET")
    }


def create_roles(machine: Machine) -> None:
    """What compose's postgres service does on its first start (deploy/postgres/init.sh)."""
    done = psql(
        PG_ADMIN,
        "-v",
        f"database={machine.database}",
        "-v",
        "schema=tickets",
        "-v",
        f"owner_role={machine.owner}",
        "-v",
        f"owner_password={(machine.secrets / 'tickets_owner_password').read_text().strip()}",
        "-v",
        f"app_role={machine.app}",
        "-v",
        f"app_password={(machine.secrets / 'tickets_app_password').read_text().strip()}",
        "-f",
        str(DEPLOY_SQL / "roles.sql"),
    )
    assert done.returncode == 0, done.stderr
    init = (DEPLOY_SQL / "init.sh").read_text()
    assert "-f /deploy/postgres/roles.sql" in init  # the file compose runs is the one tested


def drop_all(machine: Machine) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for database in (machine.database, f"{machine.database}_restored"):
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for role in (machine.owner, machine.app):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    postgres_or_skip()
    redis_or_skip().close()
    workdir = tmp_path_factory.mktemp("compose")  # the shared `var` volume is ./var here
    machine = Machine(workdir)
    # docs/deployment.md: scripts/make-secrets, `cp .env.example .env`.
    dotenv = env_file(ROOT / ".env.example")
    service_secrets = make_secrets(machine)
    services: dict[str, Any] = COMPOSE["services"]
    processes: dict[str, Process] = {}
    deployment = Deployment(machine, dotenv | service_secrets, processes, {}, {})
    try:
        create_roles(machine)
        for name in start_order():
            if name in MACHINE_SERVICES | NOT_RUN_HERE:
                continue
            definition = services[name]
            if "serve" in definition.get("command", []):
                machine.ports[name] = ("8000", free_port())
            metrics_port = definition.get("environment", {}).get("WORKER_METRICS_PORT")
            if metrics_port:
                machine.ports[name] = (metrics_port, free_port())
            env = service_env(name, definition, dotenv, machine)
            if "DATABASE_URL_FILE" in env:
                url = Path(env["DATABASE_URL_FILE"]).read_text().strip()
                deployment.database_url[name] = url
            log = workdir / f"{name}.log"
            popen = subprocess.Popen(
                run_command(name, definition, machine),
                env=env,
                cwd=workdir,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            process = Process(name, popen, log)
            if definition.get("restart") == "no":  # a one-shot: its dependents wait for it
                assert popen.wait(timeout=120) == 0, f"{name} failed: {process.logs()}"
                continue
            processes[name] = process
        # Nothing depends on the long-running services: compose starts them together.
        for name, (_, port) in machine.ports.items():
            wait_healthy(name, health_command(name, services[name], machine), processes[name])
            if "serve" in services[name]["command"]:
                deployment.apis[name] = f"http://127.0.0.1:{port}"
            else:
                deployment.worker_metrics = f"http://127.0.0.1:{port}/metrics"
        yield deployment
    finally:
        for process in processes.values():
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in processes.values():
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.popen.kill()
        drop_all(machine)


# --- the walk-through ----------------------------------------------------------------------


@dataclass
class Walk:
    order_id: str
    ticket: dict[str, Any]
    emails: list[Path]


@pytest.fixture(scope="module")
def walk(deployment: Deployment) -> Walk:
    """The getting-started flow, each step on the other API instance than the one before."""
    env = deployment.env
    one, two = (httpx.Client(base_url=url, timeout=15) for url in deployment.apis.values())

    def bearer(user: str, *roles: str, email: str | None = None) -> dict[str, str]:
        token = mint_dev_token(env["AUTH_JWT_SECRET"], user, roles=roles, email=email)
        return {"Authorization": f"Bearer {token}"}

    admin, dancer = bearer("admin-1", "admin"), bearer("dancer-1", email="dancer@example.no")
    period = {
        "code": "2026-fall",
        "name": "Fall 2026",
        "startDate": "2026-09-01",
        "endDate": "2027-06-15",
        "timezone": "Europe/Oslo",
        "location": "Oslo",
        "currency": "NOK",
        "tracks": [{"code": "salsa1", "name": "Salsa 1", "priceCents": 150000}],
    }
    created = one.post("/api/admin/periods", json=period, headers=admin)
    assert created.status_code == 201, created.text
    profile = {"name": "Åse Øvergård", "email": "ase@example.no"}
    assert two.put("/api/me/profile", json=profile, headers=dancer).status_code == 200
    ordered = one.post(
        "/api/orders",
        json={
            "periodCode": "2026-fall",
            "registrations": [{"trackCode": "salsa1", "role": "leader"}],
        },
        headers=dancer,
    )
    assert ordered.status_code == 201, ordered.text
    order = ordered.json()

    body, signature = signed(
        checkout_completed(order["orderId"], order["totalCents"]), env["STRIPE_WEBHOOK_SECRET"]
    )
    webhook_headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    paid = two.post("/api/webhooks/stripe", content=body, headers=webhook_headers)
    assert paid.status_code == 200, paid.text
    # Stripe delivers again, to the other instance: nothing changes.
    again = one.post("/api/webhooks/stripe", content=body, headers=webhook_headers)
    assert again.status_code == 200, again.text

    status = one.get(f"/api/orders/{order['orderId']}", headers=dancer).json()["status"]
    assert status == "PAID"
    ticket = two.get("/api/tickets/2026-fall", headers=dancer)
    assert ticket.status_code == 200, ticket.text

    outbox = deployment.machine.workdir / "var" / "outbox"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(outbox.glob("*.eml")):
        time.sleep(0.2)
    return Walk(order["orderId"], ticket.json(), sorted(outbox.glob("*.eml")))


def test_the_readme_flow_works_across_both_api_instances_and_the_worker_emails(
    deployment: Deployment, walk: Walk
) -> None:
    assert set(deployment.apis) == {"api-1", "api-2"}
    assert walk.ticket["status"] == "ACTIVE" and walk.ticket["qrToken"]
    assert len(walk.emails) == 1, "one payment delivered twice, one email"
    email = walk.emails[0].read_text(errors="replace")
    assert "ase@example.no" in email

    worker = deployment.processes["worker"].logs()
    assert "worker running" in worker
    for api in deployment.apis:
        logs = deployment.processes[api].logs()
        assert "worker running" not in logs  # --no-worker: only the worker process sends


def test_each_instance_counts_its_requests_under_the_metric_names_the_docs_give(
    deployment: Deployment, walk: Walk
) -> None:
    # The names an operator reads in docs/operations.md.
    operations = (ROOT / "docs" / "operations.md").read_text()
    for url in deployment.apis.values():
        scraped = httpx.get(f"{url}/metrics", timeout=10)
        assert scraped.status_code == 200
        families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
        for name in ("tickets_requests", "tickets_request_duration_seconds"):
            assert name in families and name in operations, name
        webhooks = [
            sample
            for sample in families["tickets_requests"].samples
            if sample.labels.get("path") == "/api/webhooks/stripe"
        ]
        assert webhooks and all(s.labels["status_code"] == "200" for s in webhooks)

    # The worker's own port: the ticket email it sent, under the name the operations page gives.
    scraped = httpx.get(deployment.worker_metrics, timeout=10)
    sent = [
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "tickets_emails_sent_total" and sample.labels.get("kind") == "issued"
    ]
    assert sent == [1.0] and "tickets_emails_sent_total" in operations


def test_the_service_role_appends_events_but_cannot_change_or_delete_them(
    deployment: Deployment, walk: Walk
) -> None:
    app_url = deployment.app_url()
    for service in ("api-1", "api-2", "worker"):  # they ran as this role, migrate did not
        assert f"//{deployment.machine.app}:" in deployment.database_url[service]
    assert f"//{deployment.machine.owner}:" in deployment.database_url["migrate"]
    with psycopg.connect(app_url.split("?")[0], autocommit=True) as conn:
        conn.execute("SET search_path TO tickets")
        (events,) = conn.execute("SELECT count(*) FROM tickets_events").fetchone() or (0,)
        assert events > 0  # written by the API instances as the service role
        for statement in (
            "UPDATE tickets_events SET topic = topic",
            "DELETE FROM tickets_events",
            "TRUNCATE tickets_events",
            "ALTER TABLE tickets_events DISABLE TRIGGER append_only",
            "DROP TABLE tickets_events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        (after,) = conn.execute("SELECT count(*) FROM tickets_events").fetchone() or (0,)
        assert after == events


def tickets_cli(*args: str, database_url: str, env: Mapping[str, str]) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "tickets"), *args],
        env={**image_env(), **env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"tickets {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def test_a_backup_restored_into_a_fresh_database_replays_and_verifies_its_digest(
    deployment: Deployment, walk: Walk, tmp_path: Path
) -> None:
    env = deployment.env
    owner_url = deployment.owner_url()
    digest = tickets_cli("audit", "digest", database_url=owner_url, env=env)
    head = re.search(r"digest\s+([0-9a-f]{64})", digest)
    upto = re.search(r"upto\s+(\d+)", digest)
    assert head and upto, digest

    # docs/operations.md, "Backups and restore": the commands as given there.
    dump = tmp_path / "tickets.dump"
    plain_owner_url = owner_url.split("?")[0]
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--schema=tickets", f"--file={dump}", plain_owner_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    restored = f"{deployment.machine.database}_restored"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{restored}" OWNER "{deployment.machine.owner}"')
    restored_owner_url = plain_owner_url.rsplit("/", 1)[0] + f"/{restored}"
    done = subprocess.run(
        ["pg_restore", "--exit-on-error", f"--dbname={restored_owner_url}", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    restored_app_url = deployment.app_url().replace(
        f"/{deployment.machine.database}?", f"/{restored}?"
    )
    replay = tickets_cli("audit", "replay", database_url=restored_app_url, env=env)
    assert "TAMPERED" not in replay
    verified = tickets_cli(
        "audit",
        "verify",
        "--digest",
        head.group(1),
        "--upto",
        upto.group(1),
        database_url=restored_app_url,
        env=env,
    )
    assert verified.startswith("OK"), verified
