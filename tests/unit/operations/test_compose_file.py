"""compose.yaml as an operator uses it as it is: secrets only where needed, an init, rotated
logs, liveness on /health, the proxy the APIs trust."""

from __future__ import annotations

import re
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
TICKETS = {name for name, service in SERVICES.items() if "build" in service}
APIS = {name for name in TICKETS if "serve" in SERVICES[name]["command"]}


def test_the_schema_owners_secrets_reach_only_the_database_and_the_migration() -> None:
    for secret in ("owner_database_url", "tickets_owner_password", "postgres_password"):
        holders = {name for name, s in SERVICES.items() if secret in s.get("secrets", [])}
        assert holders <= {"postgres", "migrate", "grants"}, secret
    assert "owner_database_url" in SERVICES["migrate"]["secrets"]
    for name in TICKETS - {"migrate"}:
        assert SERVICES[name]["environment"]["DATABASE_URL_FILE"].endswith("/app_database_url")


def test_no_secret_is_in_the_environment_only_files_are() -> None:
    for name, service in SERVICES.items():
        for variable, value in service.get("environment", {}).items():
            if re.search(r"SECRET|PASSWORD|DATABASE_URL", variable):
                assert variable.endswith("_FILE"), (name, variable)
                assert str(value).startswith("/run/secrets/"), (name, variable)
                assert str(value).removeprefix("/run/secrets/") in service["secrets"]
    for secret in COMPOSE["secrets"].values():
        assert secret["file"].startswith("./secrets/")  # scripts/make-secrets writes there
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()


def test_every_service_has_rotated_logs_and_the_tickets_ones_an_init() -> None:
    for name, service in SERVICES.items():
        assert service["logging"]["options"]["max-size"], name
        assert int(service["logging"]["options"]["max-file"]) >= 2, name
    for name in TICKETS:
        assert SERVICES[name]["init"] is True, name


def test_the_apis_use_the_images_liveness_check_on_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    (healthcheck,) = re.findall(r"^HEALTHCHECK .*$", dockerfile, re.MULTILINE)
    assert "/health'" in healthcheck and "/health/ready" not in healthcheck
    for name in APIS:
        assert "healthcheck" not in SERVICES[name], name
    caddyfile = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
    assert "health_uri /health/ready" in caddyfile  # the proxy sends traffic by readiness


def test_the_apis_trust_the_proxy_and_nothing_else() -> None:
    proxy = SERVICES["caddy"]["networks"]["default"]["ipv4_address"]
    (subnet,) = (c["subnet"] for c in COMPOSE["networks"]["default"]["ipam"]["config"])
    assert ip_address(proxy) in ip_network(subnet)
    for name in APIS:
        assert SERVICES[name]["environment"]["TRUSTED_PROXIES"] == proxy, name
    caddyfile = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
    assert all(f"{name}:8000" in caddyfile for name in APIS)
