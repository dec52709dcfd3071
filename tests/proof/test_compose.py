"""The production-like container stack: docker-compose.yml, Dockerfile and .dockerignore.

No Docker engine runs in CI, so the files are checked structurally (pyyaml): the services and
their start order, pinned images, ports on 127.0.0.1 only, the worker's environment against
service.config.WORKER_ENV, and the search attributes against workflows.search_attributes.ALL.
`docker compose config` (a pure parser) runs too where the compose plugin is installed.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config import WORKER_ENV, WORKER_ENV_OPTIONAL
from workflows.search_attributes import ALL

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

SERVICES = ("postgresql", "temporal", "temporal-admin-tools", "temporal-ui", "ledger-migrate", "family-migrate", "worker",
            "api")
TEMPORAL_FRONTEND = "temporal:7233"
# Pre-allocated custom search attribute columns per type in Temporal's SQL (PostgreSQL) visibility.
SQL_VISIBILITY_SLOTS = {"bool": 3, "datetime": 3, "double": 3, "int": 3, "keyword": 10, "text": 3, "keywordlist": 3}

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE.is_file(), "docker-compose.yml is missing"
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), "no services: mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def resolve(value: Any) -> str:
    """What compose makes of a value when no variable is set: ${X:-d} -> d, ${X} -> '', $$ -> $."""
    text = str(value)
    text = _INTERPOLATION.sub(lambda m: m.group(3) if m.group(2) else "", text.replace("$$", "\0"))
    return text.replace("\0", "$")


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    """A service's environment, whether written as a mapping or as a list of NAME=value."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {str(k): (None if v is None else str(v)) for k, v in env.items()}
    out: dict[str, str | None] = {}
    for item in env:
        name, sep, value = str(item).partition("=")
        out[name] = value if sep else None
    return out


def script(value: Any) -> str:
    if value is None:
        return ""
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def depends_on(service: dict[str, Any]) -> dict[str, str | None]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short syntax: no condition at all
        return {str(d): None for d in deps}
    return {str(name): (spec or {}).get("condition") for name, spec in deps.items()}


def seconds(duration: Any) -> float:
    total, matched = 0.0, False
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)", str(duration)):
        matched = True
        total += float(amount) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}[unit]
    assert matched, f"unreadable duration {duration!r}"
    return total


def cli_type(key: Any) -> str:
    """SearchAttributeIndexedValueType.KEYWORD_LIST -> 'keywordlist' (CLI types are case-insensitive)."""
    return key.indexed_value_type.name.replace("_", "").lower()


def registrations(command: str, service_env: dict[str, str | None]) -> list[tuple[str, str, str | None]]:
    """(name, type, address) for every --name/--type pair of every `search-attribute create`."""
    found = []
    for line in command.splitlines():
        if "search-attribute create" not in line:
            continue
        tokens = shlex.split(line, comments=True)
        names, types, address = [], [], service_env.get("TEMPORAL_ADDRESS")
        for flag, value in zip(tokens, tokens[1:], strict=False):
            if flag == "--name":
                names.append(value)
            elif flag == "--type":
                types.append(value)
            elif flag == "--address":
                address = value
        assert len(names) == len(types), f"--name/--type not paired in: {line.strip()}"
        found += [(n, t.lower(), resolve(address) if address else None) for n, t in zip(names, types, strict=True)]
    return found


# --- docker-compose.yml ------------------------------------------------------------------------


def test_every_service_exists(services):
    missing = [name for name in SERVICES if name not in services]
    assert not missing, f"services missing from docker-compose.yml: {missing}"


def test_every_image_is_pinned(services):
    for name, service in services.items():
        if "image" not in service:
            assert "build" in service, f"{name}: neither image nor build"
            continue
        image = resolve(service["image"])
        if "@sha256:" in image:
            continue
        repo, sep, tag = image.rpartition(":")
        assert sep and "/" not in tag and tag, f"{name}: image {service['image']!r} has no tag"
        assert tag != "latest", f"{name}: image {image!r} is not pinned (latest)"


def test_images_are_the_expected_ones(services):
    expected = {
        "postgresql": "postgres",
        "temporal": "temporalio/auto-setup",
        "temporal-admin-tools": "temporalio/admin-tools",
        "temporal-ui": "temporalio/ui",
    }
    for name, repo in expected.items():
        assert resolve(services[name].get("image", "")).rpartition(":")[0] == repo, f"{name} should run {repo}"
    assert resolve(services["postgresql"]["image"]).rpartition(":")[2].startswith("16"), "PostgreSQL 16 expected"


def test_published_ports_listen_on_localhost_only(services):
    for name, service in services.items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):  # long syntax
                assert port.get("host_ip") == "127.0.0.1", f"{name}: port {port} is not bound to 127.0.0.1"
                continue
            parts = str(port).split(":")
            assert len(parts) == 3 and parts[0] == "127.0.0.1", f"{name}: port {port!r} is not bound to 127.0.0.1"


def test_ui_is_published_on_8080(services):
    published = [str(p.get("published") if isinstance(p, dict) else str(p).split(":")[-2]) for p in services["temporal-ui"].get("ports") or []]
    assert "8080" in published, "the Web UI should be published on 127.0.0.1:8080"
    assert resolve(environment(services["temporal-ui"]).get("TEMPORAL_ADDRESS")) == TEMPORAL_FRONTEND


def test_worker_is_built_from_the_dockerfile(services):
    build = services["worker"].get("build")
    assert build is not None, "the worker must be built from ./Dockerfile"
    context, dockerfile = (build, "Dockerfile") if isinstance(build, str) else (build.get("context", "."), build.get("dockerfile", "Dockerfile"))
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve(), f"worker builds {context}/{dockerfile}"
    assert (ROOT / context).resolve() == ROOT.resolve(), "the build context must be the project root (templates/ included)"


def test_worker_environment_provides_every_worker_env_name(services):
    env = environment(services["worker"])
    missing = [name for name in WORKER_ENV if name not in env]
    assert not missing, f"worker environment lacks {missing} (service.config.WORKER_ENV)"
    empty = [name for name in WORKER_ENV if name not in WORKER_ENV_OPTIONAL and not resolve(env[name] or "").strip()]
    assert not empty, f"worker environment leaves {empty} empty when no variable is set"


def test_worker_talks_to_the_temporal_service(services):
    address = environment(services["worker"]).get("TEMPORAL_ADDRESS") or ""
    assert "$" not in address, "TEMPORAL_ADDRESS is fixed: a host TEMPORAL_ADDRESS (localhost) must not leak in"
    host, _, port = address.rpartition(":")
    assert host == "temporal" and host in services and port == "7233", f"TEMPORAL_ADDRESS={address!r}"


def test_worker_outbox_is_on_a_named_volume(compose, services):
    worker = services["worker"]
    outbox = resolve(environment(worker).get("WAYPOINT_OUTBOX_DIR"))
    assert outbox == "/data/outbox"
    mounts = {}
    for volume in worker.get("volumes") or []:
        source, target = (volume.get("source"), volume.get("target")) if isinstance(volume, dict) else str(volume).split(":")[:2]
        mounts[target] = source
    assert "/data" in mounts, "no volume mounted at /data"
    assert mounts["/data"] in (compose.get("volumes") or {}), "/data must be a named volume declared under volumes:"
    pg_mounts = [str(v).split(":") for v in services["postgresql"].get("volumes") or [] if not isinstance(v, dict)]
    assert any(len(m) >= 2 and m[1] == "/var/lib/postgresql/data" and m[0] in (compose.get("volumes") or {}) for m in pg_mounts), (
        "PostgreSQL data must live in a named volume"
    )


def test_worker_restarts_and_stops_gracefully(services):
    worker = services["worker"]
    assert worker.get("restart") == "unless-stopped"
    # worker.py gives in-flight activities 20s (graceful_shutdown_timeout) after SIGTERM.
    assert seconds(worker.get("stop_grace_period", "10s")) >= 30, "stop_grace_period must be >= 30s"


def test_namespace_is_the_same_everywhere(services):
    worker_ns = environment(services["worker"]).get("TEMPORAL_NAMESPACE") or ""
    assert resolve(worker_ns) == "default"
    # auto-setup creates DEFAULT_NAMESPACE (default: "default"); same expression, same namespace.
    assert (environment(services["temporal"]).get("DEFAULT_NAMESPACE") or "default") == worker_ns, (
        "temporal's DEFAULT_NAMESPACE must follow the worker's TEMPORAL_NAMESPACE"
    )
    assert worker_ns in script(services["temporal-admin-tools"].get("command")), (
        "the admin tools must register the search attributes in the worker's namespace"
    )


def test_temporal_auto_setup_uses_postgresql(services):
    env = environment(services["temporal"])
    assert env.get("DB") == "postgres12"
    assert env.get("POSTGRES_SEEDS") == "postgresql" and "postgresql" in services
    assert resolve(env.get("DB_PORT")) == "5432"
    assert env.get("POSTGRES_USER") and env.get("POSTGRES_PWD")


def test_postgres_password_is_interpolated_and_shared(services):
    server_pwd = environment(services["postgresql"]).get("POSTGRES_PASSWORD") or ""
    temporal_pwd = environment(services["temporal"]).get("POSTGRES_PWD") or ""
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:-[^}]+\}", server_pwd), f"POSTGRES_PASSWORD should be ${{POSTGRES_PASSWORD:-...}}, not {server_pwd!r}"
    assert temporal_pwd == server_pwd, "temporal must use the same password variable as postgresql"


def test_every_dollar_is_an_interpolation_or_escaped():
    """A bare $VAR or $(cmd) in a command is eaten by compose; shell variables are written $$VAR."""
    text = COMPOSE.read_text().replace("$$", "")
    leftovers = _INTERPOLATION.sub("", text)
    bad = [line.strip() for line in leftovers.splitlines() if "$" in line]
    assert not bad, f"unescaped $ (write $$ for the shell): {bad}"


def test_admin_tools_register_every_search_attribute_with_its_type(services):
    admin = services["temporal-admin-tools"]
    command = script(admin.get("entrypoint")) + "\n" + script(admin.get("command"))
    found = registrations(command, environment(admin))
    registered = {name: kind for name, kind, _ in found}
    expected = {key.name: cli_type(key) for key in ALL}
    missing = sorted(set(expected) - set(registered))
    assert not missing, f"search attributes not registered: {missing}"
    wrong = {name: (registered[name], kind) for name, kind in expected.items() if registered[name] != kind}
    assert not wrong, f"registered with the wrong type (got, want): {wrong}"
    extra = sorted(set(registered) - set(expected))
    assert not extra, f"registered but not in workflows.search_attributes.ALL: {extra}"
    elsewhere = sorted({name for name, _, address in found if address != TEMPORAL_FRONTEND})
    assert not elsewhere, f"registered against another address than {TEMPORAL_FRONTEND}: {elsewhere}"


def test_admin_tools_run_once_and_tolerate_existing_attributes(services):
    admin = services["temporal-admin-tools"]
    # The image's own entrypoint is `sleep infinity`: the one-shot never completes unless replaced.
    assert admin.get("entrypoint"), "temporal-admin-tools must override the image entrypoint"
    command = script(admin.get("command"))
    assert "already exists" in command, "rerunning must tolerate attributes that already exist"
    assert "|| true" not in command, "failures must not be swallowed wholesale"
    assert str(admin.get("restart", "no")) == "no", "a one-shot service must not restart"


def test_search_attributes_fit_sql_visibility(services):
    counts: dict[str, int] = {}
    for key in ALL:
        counts[cli_type(key)] = counts.get(cli_type(key), 0) + 1
    over = {kind: n for kind, n in counts.items() if n > SQL_VISIBILITY_SLOTS.get(kind, 0)}
    assert not over, f"more custom search attributes than PostgreSQL visibility has slots: {over}"
    # auto-setup would otherwise add 7 Custom*Field attributes, one of them a Bool.
    assert str(environment(services["temporal"]).get("SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES")).lower() == "true"


def test_start_order_is_chained_by_health(services):
    assert depends_on(services["temporal"]).get("postgresql") == "service_healthy"
    assert depends_on(services["temporal-admin-tools"]).get("temporal") == "service_healthy"
    assert depends_on(services["temporal-ui"]).get("temporal") == "service_healthy"
    assert depends_on(services["worker"]).get("temporal-admin-tools") == "service_completed_successfully"


def test_healthchecks_back_the_conditions(services):
    pg = script((services["postgresql"].get("healthcheck") or {}).get("test"))
    assert "pg_isready" in pg, "postgresql needs a pg_isready healthcheck"
    temporal = script((services["temporal"].get("healthcheck") or {}).get("test"))
    assert "cluster health" in temporal or "tctl" in temporal, "temporal needs a cluster-health healthcheck"
    assert TEMPORAL_FRONTEND in temporal, "inside the container the server listens on its own IP, not localhost"


# --- Dockerfile and .dockerignore --------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    assert DOCKERFILE.is_file(), "Dockerfile is missing"
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_base_and_install():
    steps = dockerfile_instructions()
    assert [rest for kw, rest in steps if kw == "FROM"][0].startswith("python:3.11-slim")
    assert ("WORKDIR", "/app") in steps
    runs = " ".join(rest for kw, rest in steps if kw == "RUN")
    assert "pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock" in runs  # the lock, hashed
    copies = [rest.split() for kw, rest in steps if kw == "COPY"]
    assert any(src in ("templates", "templates/", ".", "./") for c in copies for src in c[:-1]), "templates/ must be copied"
    env = " ".join(rest for kw, rest in steps if kw == "ENV")
    assert re.search(r"WAYPOINT_OUTBOX_DIR[= ]/data/outbox\b", env), "WAYPOINT_OUTBOX_DIR=/data/outbox"


def test_dockerfile_runs_as_non_root():
    steps = dockerfile_instructions()
    users = [i for i, (kw, _) in enumerate(steps) if kw == "USER"]
    assert users, "no USER line: the worker would run as root"
    user = steps[users[-1]][1].split(":")[0]
    assert user not in ("root", "0"), f"USER {user} is root"
    cmd = max(i for i, (kw, _) in enumerate(steps) if kw == "CMD")
    assert users[-1] < cmd, "USER must come before CMD"


def test_dockerfile_starts_the_worker():
    cmds = [rest for kw, rest in dockerfile_instructions() if kw == "CMD"]
    assert cmds, "no CMD"
    cmd = json.loads(cmds[-1])  # exec form, so SIGTERM reaches python
    assert cmd == ["python", "worker.py"], f"CMD {cmd}"


def _ignored(patterns: list[str], path: str) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        for candidate in (path, *[path.rsplit("/", n)[0] for n in range(1, path.count("/") + 1)]):
            if fnmatch.fnmatch(candidate, pattern) or fnmatch.fnmatch(candidate, pattern.removeprefix("**/")):
                ignored = not negate
    return ignored


def test_dockerignore_keeps_the_build_context_small_but_complete():
    assert DOCKERIGNORE.is_file(), ".dockerignore is missing"
    patterns = [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for path in (".venv/bin/python", "var/outbox/x.json", ".git/HEAD", "messaging/__pycache__"):
        assert _ignored(patterns, path), f".dockerignore should exclude {path}"
    for path in ("templates/record_request.txt.j2", "locale/ru/LC_MESSAGES/messages.po", "translations/catalogs.py",
                 "messaging/render.py", "worker.py", "pyproject.toml", "service/config.py", "scripts/catalogs.sh"):
        assert not _ignored(patterns, path), f".dockerignore must not exclude {path}"


# --- docker compose config (parser only, no engine) --------------------------------------------


def _compose_cli() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_parses():
    cli = _compose_cli()
    if cli is None:
        pytest.skip("docker compose plugin not installed")
    result = subprocess.run([*cli, "-f", str(COMPOSE), "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# --- the API service (HTTP API, webhooks, dashboard) -----------------------------------------------


def test_api_service_runs_the_http_app_from_the_workers_image(services):
    api = services.get("api")
    assert api is not None, "the api service is missing"
    assert api.get("build") == services["worker"].get("build"), "the api is built like the worker"
    command = api.get("command")
    assert (command if isinstance(command, list) else shlex.split(str(command))) == ["python", "-m", "api.app"]
    assert depends_on(api).get("temporal-admin-tools") == "service_completed_successfully"
    assert api.get("restart") == "unless-stopped"


def test_api_service_environment_and_port(services):
    from service.config import API_ENV  # noqa: PLC0415

    env = environment(services["api"])
    missing = [name for name in API_ENV if name not in env]
    assert not missing, f"api environment lacks {missing} (service.config.API_ENV)"
    assert resolve(env["TEMPORAL_ADDRESS"]) == TEMPORAL_FRONTEND
    assert resolve(env["TEMPORAL_NAMESPACE"]) == resolve(environment(services["worker"])["TEMPORAL_NAMESPACE"])
    assert resolve(env["WAYPOINT_TASK_QUEUE"]) == resolve(environment(services["worker"])["WAYPOINT_TASK_QUEUE"])
    assert resolve(env["WAYPOINT_API_PORT"]) == "8000" and resolve(env["WAYPOINT_API_HOST"]) == "0.0.0.0"
    assert [str(p) for p in services["api"].get("ports") or []] == ["127.0.0.1:8000:8000"]
    for secret in ("WAYPOINT_API_KEYS", "WAYPOINT_COORDINATORS", "WAYPOINT_SESSION_SECRET", "TWILIO_AUTH_TOKEN",
                   "RESEND_WEBHOOK_SECRET", "WAYPOINT_DOCUMENT_KEYS"):
        assert resolve(env[secret]) == "", f"{secret} must come from the shell or .env, never the compose file"


def test_worker_and_api_share_every_delivery_setting():
    """The worker reads every provider/ledger variable and the payload keys; the API routes
    webhooks through the same ledger, so it gets the same settings."""
    from service.config import PROVIDER_ENV
    from service.codec import KEYS_ENV

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("worker", "api"):
        env = services[name]["environment"]
        missing = [v for v in (*PROVIDER_ENV, KEYS_ENV) if v not in env]
        assert not missing, f"{name} lacks {missing}"
    assert services["worker"]["environment"]["WAYPOINT_SMS_PROVIDER"].endswith(":-outbox}")


# --- the same topology as `make cluster` (scripts/cluster.py) --------------------------------


def ledger_url(services: dict[str, Any]) -> str:
    return resolve(environment(services["worker"])["WAYPOINT_LEDGER_URL"])


def test_several_workers_share_one_postgresql_ledger(services):
    replicas = resolve((services["worker"].get("deploy") or {}).get("replicas", 1))
    assert int(replicas) >= 2, "the worker runs as two or more replicas, like make cluster"
    url = ledger_url(services)
    assert url.startswith("postgresql+psycopg://") and "@postgresql:5432/" in url, url
    assert resolve(environment(services["api"])["WAYPOINT_LEDGER_URL"]) == url, "the API routes webhooks through the same ledger"
    database = url.rsplit("/", 1)[1]
    assert resolve(environment(services["postgresql"]).get("POSTGRES_DB")) == database, "the ledger's database is created"
    user_password = url.split("://", 1)[1].split("@", 1)[0]
    pg = environment(services["postgresql"])
    assert user_password == f"{resolve(pg['POSTGRES_USER'])}:{resolve(pg['POSTGRES_PASSWORD'])}"


def test_the_ledger_is_migrated_before_workers_and_api_start(services):
    migrate = services["ledger-migrate"]
    assert migrate.get("build") == services["worker"].get("build")
    assert migrate.get("command") == ["python", "-m", "messaging.ledger_schema", "upgrade"]
    assert resolve(environment(migrate)["WAYPOINT_LEDGER_URL"]) == ledger_url(services)
    assert depends_on(migrate).get("postgresql") == "service_healthy"
    assert str(migrate.get("restart")) == "no"
    for name in ("worker", "api"):
        assert depends_on(services[name]).get("ledger-migrate") == "service_completed_successfully", name


def test_the_family_tables_are_migrated_before_workers_and_api_start(services):
    migrate = services["family-migrate"]
    assert migrate.get("build") == services["worker"].get("build")
    assert migrate.get("command") == ["python", "-m", "documents.family_schema", "upgrade"]
    assert resolve(environment(migrate)["WAYPOINT_FAMILY_DB"]) == resolve(environment(services["worker"])["WAYPOINT_FAMILY_DB"])
    assert depends_on(migrate).get("postgresql") == "service_healthy"
    assert str(migrate.get("restart")) == "no"
    for name in ("worker", "api"):
        assert depends_on(services[name]).get("family-migrate") == "service_completed_successfully", name


def test_workers_and_api_are_healthy_only_when_ready(services):
    worker_env = environment(services["worker"])
    health_port = resolve(worker_env["WAYPOINT_HEALTH_ADDRESS"]).rsplit(":", 1)[1]
    assert resolve(worker_env["WAYPOINT_METRICS_ADDRESS"]).rsplit(":", 1)[1] != health_port
    worker_check = script(services["worker"]["healthcheck"]["test"])
    assert f"127.0.0.1:{health_port}/healthz/ready" in worker_check
    api_port = resolve(environment(services["api"])["WAYPOINT_API_PORT"])
    assert f"127.0.0.1:{api_port}/healthz/ready" in script(services["api"]["healthcheck"]["test"])
    for name in ("worker", "api"):
        assert str(environment(services[name]).get("WAYPOINT_LOG_DIR", "")).startswith("/data/"), f"{name} logs on the volume"


def test_compose_sets_every_variable_the_cluster_gives_a_worker_and_the_api(services, tmp_path):
    from scripts.cluster import Cluster

    cluster = Cluster(tmp_path)  # nothing started: only the variables it would pass
    for name, variables in (("worker", cluster.worker_variables(1)), ("api", cluster.api_variables())):
        missing = sorted(set(variables) - set(environment(services[name])))
        assert not missing, f"make cluster gives the {name} {missing}, docker-compose.yml does not"


def test_the_family_pages_database_is_shared_like_the_ledger(services):
    """Workers mint family links and the API serves them: with replicas, one shared database."""
    for name in ("worker", "api"):
        assert resolve(environment(services[name])["WAYPOINT_FAMILY_DB"]) == ledger_url(services), name
