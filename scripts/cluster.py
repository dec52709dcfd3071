"""The cluster: the real Temporal server on PostgreSQL, its web UI, several workers and the API,
every part a process on this machine (what docker-compose.yml deploys as containers).

    bash scripts/cluster.sh                 # `make cluster`: bring it up, print where it is, Ctrl-C stops it
    bash scripts/cluster.sh --workers 3

Used by the cluster proof test and `scripts/chaos.py --cluster` too, which kill and restart its
parts one at a time (``Cluster.kill_worker``, ``kill_temporal``, ``restart_postgres``).

Layout (all under the data directory, ``var/cluster`` by default):
    secrets.env          generated once: the database password, the contact hash key, the document key (0600)
    postgres/            the PostgreSQL cluster (owned by the ``postgres`` user when run as root)
    temporal/            the server's generated configuration
    ui/                  the web UI's generated configuration
    logs/                every process's log (JSON lines for ours), appended to across restarts
    outbox/              messages of channels that have no provider configured

Ports (PostgreSQL, Temporal's four services and their membership ports, the UI, the API, and
each worker's metrics and health) are consecutive from ``--base-port`` (``Ports``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from google.protobuf.duration_pb2 import Duration  # noqa: E402
from temporalio.api.enums.v1 import IndexedValueType  # noqa: E402
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest  # noqa: E402
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.service import RPCError, RPCStatusCode  # noqa: E402

from workflows import search_attributes as sa  # noqa: E402
from service.client import data_converter  # noqa: E402
from service.codec import new_key_entry  # noqa: E402

DB_USER = "waypoint"
TEMPORAL_DB, VISIBILITY_DB, LEDGER_DB = "temporal", "temporal_visibility", "waypoint"
NAMESPACE = "default"
RETENTION = timedelta(days=7)  # history kept after a journey closes
TASK_QUEUE = "waypoint-journeys"


def _say(message: str) -> None:
    print(f"cluster: {message}", file=sys.stderr, flush=True)


def _tool(script: str) -> str:
    out = subprocess.run(["bash", str(ROOT / "scripts" / script)], check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip().splitlines()[-1]


@dataclass(frozen=True)
class Ports:
    """Every port the cluster listens on, consecutive from ``base`` (all on 127.0.0.1)."""

    base: int = 21000

    @property
    def postgres(self) -> int: return self.base
    @property
    def frontend(self) -> int: return self.base + 1
    @property
    def frontend_http(self) -> int: return self.base + 2
    @property
    def history(self) -> int: return self.base + 3
    @property
    def matching(self) -> int: return self.base + 4
    @property
    def internal_worker(self) -> int: return self.base + 5
    def membership(self, service: str) -> int:
        return self.base + 10 + ("frontend", "history", "matching", "worker").index(service)
    @property
    def server_metrics(self) -> int: return self.base + 15
    @property
    def ui(self) -> int: return self.base + 20
    @property
    def api(self) -> int: return self.base + 21
    def worker_metrics(self, n: int) -> int: return self.base + 30 + 2 * n
    def worker_health(self, n: int) -> int: return self.base + 31 + 2 * n

    SPAN = 100  # base .. base + 99

    @classmethod
    def free(cls, low: int = 20000, high: int = 32700, tries: int = 200) -> "Ports":
        """A base whose whole span is free on 127.0.0.1 now (membership ports must stay at most
        32767), for runs that must not collide with whatever else this machine runs."""
        rng = random.Random()
        for _ in range(tries):
            base = rng.randrange(low, high - cls.SPAN, 100)
            if all(_bindable(port) for port in range(base, base + cls.SPAN)):
                return cls(base)
        raise RuntimeError(f"no {cls.SPAN} free consecutive ports between {low} and {high}")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Cluster:
    data: Path
    ports: Ports = field(default_factory=Ports)
    workers: int = 2
    task_queue: str = TASK_QUEUE
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. provider settings for all workers and the API
    quiet: bool = False

    def __post_init__(self) -> None:
        self.data = self.data.resolve()
        self.logs = self.data / "logs"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.dev_credentials: dict[str, str] = {}  # a dev API key and login when none are configured
        self.as_root = os.geteuid() == 0

    @cached_property
    def pg_bin(self) -> Path:
        return Path(_tool("ensure-postgresql.sh"))

    @cached_property
    def build(self) -> Path:
        return Path(_tool("ensure-temporal-server.sh"))

    @cached_property
    def pg_home(self) -> Path:
        return self._postgres_home()

    @property
    def pg_data(self) -> Path:
        return self.pg_home / "data"

    # -- where things are -------------------------------------------------------------------

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.ports.frontend}"

    @property
    def ledger_url(self) -> str:
        return f"postgresql+psycopg://{DB_USER}:{self.secrets['WAYPOINT_DB_PASSWORD']}@127.0.0.1:{self.ports.postgres}/{LEDGER_DB}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def worker_name(self, n: int) -> str:
        return f"worker-{n}"

    @property
    def secrets(self) -> dict[str, str]:
        """Generated once and kept (0600): the database password, the contact hash key and the
        key that seals family documents. One missing from an older file is added."""
        path = self.data / "secrets.env"
        if not path.exists():
            self.data.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
        have = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        makers = {
            "WAYPOINT_DB_PASSWORD": lambda: secrets.token_urlsafe(24),
            "WAYPOINT_CONTACT_HASH_KEY": lambda: secrets.token_urlsafe(32),
            "WAYPOINT_DOCUMENT_KEYS": lambda: new_key_entry("cluster-1"),
        }
        missing = {name: make() for name, make in makers.items() if name not in have}
        if missing:
            with path.open("a") as out:
                out.writelines(f"{name}={value}\n" for name, value in missing.items())
        return {**have, **missing}

    def service_variables(self) -> dict[str, str]:
        """What every worker and the API are given: the variables docker-compose.yml sets too
        (tests/proof/test_compose.py compares them)."""
        return {
            "TEMPORAL_ADDRESS": self.temporal_address,
            "TEMPORAL_NAMESPACE": NAMESPACE,
            "WAYPOINT_TASK_QUEUE": self.task_queue,
            "WAYPOINT_OUTBOX_DIR": str(self.data / "outbox"),
            "WAYPOINT_LEDGER_URL": self.ledger_url,
            "WAYPOINT_CONTACT_HASH_KEY": self.secrets["WAYPOINT_CONTACT_HASH_KEY"],
            "WAYPOINT_LOG_DIR": str(self.logs),
            # The family page: links minted by the workers lead to the API, which serves them from
            # the same database (its tables beside the ledger's) and keeps documents sealed.
            "WAYPOINT_PUBLIC_BASE_URL": self.api_url,
            "WAYPOINT_FAMILY_DB": self.ledger_url,
        }

    def worker_variables(self, n: int) -> dict[str, str]:
        return {**self.service_variables(),
                "WAYPOINT_PROCESS_NAME": self.worker_name(n),
                "WAYPOINT_METRICS_ADDRESS": f"127.0.0.1:{self.ports.worker_metrics(n)}",
                "WAYPOINT_HEALTH_ADDRESS": f"127.0.0.1:{self.ports.worker_health(n)}"}

    def api_variables(self) -> dict[str, str]:
        return {**self.service_variables(), "WAYPOINT_API_HOST": "127.0.0.1", "WAYPOINT_API_PORT": str(self.ports.api),
                "WAYPOINT_DOCUMENT_STORE": f"folder:{self.data / 'documents'}",
                "WAYPOINT_DOCUMENT_KEYS": self.secrets["WAYPOINT_DOCUMENT_KEYS"],
                # Dashboard sessions and the sign-in brake on PostgreSQL too, so a second API
                # process would share them (the in-memory default is one process's own).
                "WAYPOINT_SESSION_STORE_URL": self.ledger_url}

    def _process_env(self, variables: Mapping[str, str]) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **variables, **self.extra_env}

    # -- PostgreSQL -------------------------------------------------------------------------

    def _postgres_home(self) -> Path:
        """The PostgreSQL cluster lives in the data directory when the ``postgres`` user can reach
        it; otherwise (a clone inside root's home) in /var/lib/waypoint, named after the clone."""
        home = self.data / "postgres"
        if os.geteuid() != 0:
            return home
        self.data.mkdir(parents=True, exist_ok=True)
        reachable = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.data)], capture_output=True)
        if reachable.returncode == 0:
            return home
        elsewhere = Path("/var/lib/waypoint") / hashlib.sha256(str(self.data).encode()).hexdigest()[:12] / "postgres"
        _say(f"the postgres user cannot reach {self.data}; its database lives in {elsewhere}")
        return elsewhere

    def _pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.pg_bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def init_postgres(self) -> None:
        if (self.pg_data / "PG_VERSION").exists():
            return
        _say(f"creating the PostgreSQL cluster in {self.pg_data}")
        self.pg_home.mkdir(parents=True, exist_ok=True)
        pwfile = self.pg_home / "initdb.pw"
        pwfile.write_text(self.secrets["WAYPOINT_DB_PASSWORD"] + "\n")
        if self.as_root:
            shutil.chown(self.pg_home, user="postgres", group="postgres")
            shutil.chown(pwfile, user="postgres", group="postgres")
        os.chmod(pwfile, 0o600)
        try:
            self._pg("initdb", "-D", str(self.pg_data), "-U", DB_USER, f"--pwfile={pwfile}",
                     "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        finally:
            pwfile.unlink(missing_ok=True)
        conf = self.pg_data / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                "\n# waypoint cluster\n"
                f"port = {self.ports.postgres}\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 128MB\n"
            )

    def start_postgres(self) -> None:
        self.init_postgres()
        status = self._pg("pg_ctl", "-D", str(self.pg_data), "status", check=False)
        if status.returncode == 0:
            return
        out = self._pg("pg_ctl", "-D", str(self.pg_data), "-l", str(self.pg_home / "postgres.log"), "-w", "-t", "120", "start", check=False)
        if out.returncode != 0:
            raise SystemExit(f"PostgreSQL did not start ({out.stderr.strip() or out.stdout.strip()}); see {self.pg_home / 'postgres.log'}")

    def stop_postgres(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.pg_data), "-m", mode, "-w", "-t", "120", "stop", check=False)

    def restart_postgres(self) -> None:
        self.stop_postgres()
        self.start_postgres()

    def _connect_db(self, database: str = "postgres"):  # type: ignore[no-untyped-def]
        import psycopg  # noqa: PLC0415

        return psycopg.connect(host="127.0.0.1", port=self.ports.postgres, user=DB_USER,
                               password=self.secrets["WAYPOINT_DB_PASSWORD"], dbname=database, autocommit=True)

    def create_databases(self) -> None:
        with self._connect_db() as conn:
            have = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in (TEMPORAL_DB, VISIBILITY_DB, LEDGER_DB):
                if name not in have:
                    conn.execute(f'CREATE DATABASE "{name}"')

    def _has_table(self, database: str, table: str) -> bool:
        with self._connect_db(database) as conn:
            return conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None

    def setup_temporal_schemas(self) -> None:
        """The server's schema tool: set up once, then apply any newer versioned changes."""
        env = {**os.environ, "SQL_PASSWORD": self.secrets["WAYPOINT_DB_PASSWORD"]}
        base = [str(self.build / "temporal-sql-tool"), "--plugin", "postgres12", "--endpoint", "127.0.0.1",
                "--port", str(self.ports.postgres), "--user", DB_USER]
        for database, folder in ((TEMPORAL_DB, "temporal"), (VISIBILITY_DB, "visibility")):
            tool = [*base, "--database", database]
            if not self._has_table(database, "schema_version"):
                subprocess.run([*tool, "setup-schema", "-v", "0.0"], check=True, env=env, capture_output=True)
            versioned = self.build / "schema" / "postgresql" / "v12" / folder / "versioned"
            out = subprocess.run([*tool, "update-schema", "-d", str(versioned)], env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"schema update of {database} failed: {out.stderr[-2000:]}")

    def migrate_databases(self) -> None:
        """The delivery ledger's schema and the family page's tables beside it (Alembic, each set
        with its own version table), applied once before any worker starts."""
        from documents.family_schema import FAMILY  # noqa: PLC0415
        from messaging.ledger_schema import LEDGER  # noqa: PLC0415

        LEDGER.upgrade(self.ledger_url)
        FAMILY.upgrade(self.ledger_url)  # WAYPOINT_FAMILY_DB is the ledger's database here

    # -- the Temporal server and its UI -----------------------------------------------------

    def temporal_config(self) -> dict[str, object]:
        password = self.secrets["WAYPOINT_DB_PASSWORD"]
        p = self.ports

        def store(database: str, conns: int) -> dict[str, object]:
            return {"sql": {"pluginName": "postgres12", "databaseName": database,
                            "connectAddr": f"127.0.0.1:{p.postgres}", "connectProtocol": "tcp",
                            "user": DB_USER, "password": password,
                            "maxConns": conns, "maxIdleConns": conns, "maxConnLifetime": "1h"}}

        def service(grpc: int, name: str, **extra: int) -> dict[str, object]:
            return {"rpc": {"grpcPort": grpc, "membershipPort": p.membership(name), "bindOnIP": "127.0.0.1", **extra}}

        return {
            "log": {"stdout": True, "level": "warn"},
            "persistence": {
                "defaultStore": "postgres-default",
                "visibilityStore": "postgres-visibility",
                "numHistoryShards": 4,
                "datastores": {"postgres-default": store(TEMPORAL_DB, 20), "postgres-visibility": store(VISIBILITY_DB, 10)},
            },
            "global": {
                "membership": {"maxJoinDuration": "30s", "broadcastAddress": "127.0.0.1"},
                "metrics": {"prometheus": {"framework": "tally", "timerType": "histogram",
                                           "listenAddress": f"127.0.0.1:{p.server_metrics}"}},
            },
            "services": {
                "frontend": service(p.frontend, "frontend", httpPort=p.frontend_http),
                "history": service(p.history, "history"),
                "matching": service(p.matching, "matching"),
                "worker": service(p.internal_worker, "worker"),
            },
            "clusterMetadata": {
                "enableGlobalNamespace": False,
                "failoverVersionIncrement": 10,
                "masterClusterName": "active",
                "currentClusterName": "active",
                "clusterInformation": {"active": {"enabled": True, "initialFailoverVersion": 1, "rpcName": "frontend",
                                                  "rpcAddress": self.temporal_address,
                                                  "httpAddress": f"127.0.0.1:{p.frontend_http}"}},
            },
            "dcRedirectionPolicy": {"policy": "noop"},
            "archival": {"history": {"state": "disabled"}, "visibility": {"state": "disabled"}},
            "namespaceDefaults": {"archival": {"history": {"state": "disabled"}, "visibility": {"state": "disabled"}}},
        }

    def _spawn(self, name: str, cmd: list[str], env: Mapping[str, str] | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        out = open(self.logs / f"{name}.out", "ab")  # appended to: a restart never truncates it
        self.procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=dict(env or os.environ), stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()

    def start_temporal(self) -> None:
        folder = self.data / "temporal"
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "cluster.yaml"
        config.touch(mode=0o600)
        config.write_text(json.dumps(self.temporal_config(), indent=2))  # YAML is a superset of JSON
        self._spawn("temporal-server", [str(self.build / "temporal-server"), "--root", str(folder), "--config", ".",
                                        "--env", "cluster", "--allow-no-auth", "start"])

    def start_ui(self) -> None:
        folder = self.data / "ui"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "base.yaml").write_text("{}\n")
        (folder / "cluster.yaml").write_text(json.dumps({
            "temporalGrpcAddress": self.temporal_address, "host": "127.0.0.1", "port": self.ports.ui,
            "enableUi": True, "defaultNamespace": NAMESPACE, "refreshInterval": "1m",
            "cors": {"allowOrigins": [f"http://127.0.0.1:{self.ports.ui}"], "cookieInsecure": True},
        }, indent=2))
        self._spawn("ui", [str(self.build / "ui-server"), "--root", str(folder), "--config", ".", "--env", "cluster", "start"])

    async def wait_temporal(self, timeout: float = 180.0) -> Client:
        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            proc = self.procs.get("temporal-server")
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"the Temporal server exited ({proc.returncode}); see {self.logs / 'temporal-server.out'}")
            try:
                client = await Client.connect(self.temporal_address, namespace=NAMESPACE, data_converter=data_converter())
                await client.workflow_service.get_system_info(_system_info_request())
                return client
            except (RuntimeError, RPCError) as err:
                last = err
                await asyncio.sleep(0.5)
        raise SystemExit(f"the Temporal server did not answer within {timeout:.0f} s ({last}); see {self.logs / 'temporal-server.out'}")

    async def register_namespace(self, client: Client) -> None:
        try:
            await client.workflow_service.register_namespace(RegisterNamespaceRequest(
                namespace=NAMESPACE, workflow_execution_retention_period=Duration(seconds=int(RETENTION.total_seconds()))))
            _say(f"namespace {NAMESPACE} registered")
        except RPCError as err:
            if err.status != RPCStatusCode.ALREADY_EXISTS:
                raise

    async def register_search_attributes(self, client: Client, timeout: float = 120.0) -> None:
        """workflows/search_attributes.ALL on the namespace; waits until a query can use them."""
        wanted = {k.name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{k.indexed_value_type.name}") for k in sa.ALL}
        deadline = time.monotonic() + timeout
        while True:
            try:
                have = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=NAMESPACE))
                missing = {n: t for n, t in wanted.items() if n not in have.custom_attributes}
                if missing:
                    await client.operator_service.add_search_attributes(
                        AddSearchAttributesRequest(namespace=NAMESPACE, search_attributes=missing))
                    _say(f"search attributes registered: {', '.join(sorted(missing))}")
                # Usable once the namespace's cached mapping has the new attributes (~10 s).
                await client.count_workflows(" AND ".join(f"{k.name} IS NULL" for k in sa.ALL))
                return
            except RPCError as err:
                if time.monotonic() > deadline:
                    raise SystemExit(f"search attributes not usable after {timeout:.0f} s: {err}") from None
                await asyncio.sleep(1.0)

    # -- workers and the API ----------------------------------------------------------------

    def start_worker(self, n: int) -> None:
        env = self._process_env(self.worker_variables(n))
        self._spawn(self.worker_name(n), [sys.executable, str(ROOT / "worker.py")], env)

    def start_api(self) -> None:
        env = self._process_env(self.api_variables())
        if not (env.get("WAYPOINT_API_KEYS") or env.get("WAYPOINT_COORDINATORS")):
            dev_env = subprocess.run([sys.executable, "-m", "api.dev_defaults", str(self.data)], cwd=ROOT, check=True,
                                     stdout=subprocess.PIPE, text=True).stdout.strip()
            for line in Path(dev_env).read_text().splitlines():
                if "=" in line and not line.startswith("#"):
                    name, value = line.split("=", 1)
                    self.dev_credentials[name] = shlex.split(value)[0] if value else ""
            env.update({k: v for k, v in self.dev_credentials.items() if not k.startswith("WAYPOINT_DEV_")})
            self.dev_env_file = Path(dev_env)
        self._spawn("api", [sys.executable, "-m", "api.app"], env)

    async def wait_http(self, url: str, timeout: float = 90.0) -> None:
        import httpx  # noqa: PLC0415

        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=3.0) as http:
            while time.monotonic() < deadline:
                try:
                    if (await http.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")

    # -- chaos ------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        """SIGKILL one process (no chance to clean up)."""
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def kill_worker(self, n: int) -> None:
        self.kill(self.worker_name(n))

    def kill_temporal(self) -> None:
        self.kill("temporal-server")

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    # -- the whole -------------------------------------------------------------------------

    async def up(self, *, ui: bool = True, api: bool = True) -> Client:
        self.data.mkdir(parents=True, exist_ok=True)
        _say(f"PostgreSQL on 127.0.0.1:{self.ports.postgres}")
        self.start_postgres()
        self.create_databases()
        self.setup_temporal_schemas()
        self.migrate_databases()
        _say(f"Temporal server on {self.temporal_address}")
        self.start_temporal()
        client = await self.wait_temporal()
        await self.register_namespace(client)
        await self.register_search_attributes(client)
        if ui:
            self.start_ui()
        for n in range(1, self.workers + 1):
            self.start_worker(n)
        if api:
            self.start_api()
        for n in range(1, self.workers + 1):
            await self.wait_http(f"http://127.0.0.1:{self.ports.worker_health(n)}/healthz/ready", timeout=120)
        if api:
            await self.wait_http(f"{self.api_url}/healthz/ready", timeout=120)
        return client

    def down(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass  # exited meanwhile
        for proc in self.procs.values():
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        self.stop_postgres()

    def describe(self) -> str:
        p = self.ports
        workers = "\n".join(
            f"    {self.worker_name(n):<16}: metrics http://127.0.0.1:{p.worker_metrics(n)}/metrics   "
            f"health http://127.0.0.1:{p.worker_health(n)}/healthz/ready" for n in range(1, self.workers + 1))
        dev = getattr(self, "dev_env_file", None)
        return f"""
  Waypoint Journeys cluster is running ({self.workers} workers on task queue {self.task_queue}).
    Temporal web UI : http://127.0.0.1:{p.ui}
    Temporal gRPC   : {self.temporal_address}   (server metrics http://127.0.0.1:{p.server_metrics}/metrics)
    PostgreSQL      : 127.0.0.1:{p.postgres}   databases {TEMPORAL_DB}, {VISIBILITY_DB}, {LEDGER_DB} (ledger); user {DB_USER}, password in {self.data / 'secrets.env'}
    Dashboard / API : {self.api_url}/dashboard/   {self.api_url}/docs   health {self.api_url}/healthz/ready
{workers}
    Logs            : {self.logs}/   (JSON lines; appended across restarts)
    Outbox          : {self.data / 'outbox'}/<case reference>/   (channels without a provider)
{f"    Dashboard login : coordinator coord-lin, password {self.dev_credentials.get('WAYPOINT_DEV_PASSWORD')}   (dev account, local only)" if dev else ''}
{f"    API key         : {self.dev_credentials.get('WAYPOINT_DEV_API_KEY')}   (header X-API-Key; dev key, local only; both in {dev})" if dev else ''}

  Ctrl-C stops the cluster; its data stays in {self.data} (delete the folder to start afresh).
"""


def _system_info_request():  # type: ignore[no-untyped-def]
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest  # noqa: PLC0415

    return GetSystemInfoRequest()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WAYPOINT_CLUSTER_WORKERS", "2")))
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("WAYPOINT_CLUSTER_BASE_PORT", "21000")))
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("WAYPOINT_CLUSTER_DIR", ROOT / "var" / "cluster")))
    args = parser.parse_args()
    cluster = Cluster(args.data, Ports(args.base_port), workers=args.workers)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await cluster.up()
        print(cluster.describe(), flush=True)
        while not stop.is_set():
            for name, proc in cluster.procs.items():
                if proc.poll() is not None:
                    _say(f"{name} exited ({proc.returncode}); see {cluster.logs / (name + '.out')}")
                    stop.set()
            try:
                await asyncio.wait_for(stop.wait(), timeout=2.0)
            except TimeoutError:
                pass
    finally:
        _say("stopping...")
        cluster.down()
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    os._exit(code)
