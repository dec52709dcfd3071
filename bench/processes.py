"""The processes a benchmark run owns: a dev server on free ports and worker processes, with
their CPU time and memory read from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workflows import search_attributes as sa

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_kib(self.pid)

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log}")

    def stop(self, grace: float = 25.0) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def spawn(name: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> Process:
    out = log.open("wb")
    popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                             env={**os.environ, **(env or {})}, start_new_session=True)
    return Process(name, popen, log)


def start_dev_server(temporal: str, data_dir: Path, port: int | None = None) -> tuple[Process, str]:
    """A dev server with its own SQLite file and free ports (gRPC, HTTP, metrics), no web UI.
    Logs at warn level, so memo and blob size warnings can be counted."""
    port = port or free_port()
    args = [temporal, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless",
            "--http-port", str(free_port()), "--metrics-port", str(free_port()),
            "--db-filename", str(data_dir / "temporal.sqlite"), "--log-level", "warn", "--log-format", "json",
            *sa.dev_server_flags()]
    server = spawn("dev server", args, data_dir / "temporal-server.log")
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        server.check_alive()
        ok = subprocess.run([temporal, "operator", "cluster", "health", "--address", address],
                            capture_output=True).returncode == 0
        if ok:
            return server, address
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"dev server did not become healthy; see {server.log}")


def start_worker(name: str, module_args: list[str], address: str, task_queue: str, outbox: Path,
                 log: Path) -> Process:
    env = {"TEMPORAL_ADDRESS": address, "WAYPOINT_TASK_QUEUE": task_queue, "WAYPOINT_OUTBOX_DIR": str(outbox),
           "WAYPOINT_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    return spawn(name, [sys.executable, *module_args], log, env)


def size_warnings(server_log: Path) -> int:
    """Lines in which the server warns that a memo or payload is over its size warning limit."""
    if not server_log.exists():
        return 0
    needles = ("size exceeds", "Blob size", "blob size", "Memo size", "memo size")
    with server_log.open(errors="replace") as lines:
        return sum(1 for line in lines if any(n in line for n in needles))
