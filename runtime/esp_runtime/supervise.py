"""``python -m <package> run|up|procfile``: one process, all of them supervised, or the Procfile.

``up`` starts every process of the deployment (``run <name> --port N``) and
restarts one that exits or is killed, after a short back-off (let it crash:
what it had not committed happens again when it catches up). SIGTERM or
Ctrl-C stops them all with SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from esp_runtime.deploy import Deployment

GRACE = 10.0  # seconds a process has to stop after SIGTERM
BACKOFF = (0.2, 5.0)  # first and longest wait before a restart


@dataclass
class Child:
    """One supervised process: what to run, and how often it was started."""

    name: str
    args: list[str]
    port: int | None
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    next_start: float = 0.0
    backoff: float = BACKOFF[0]
    started_at: float = field(default=0.0)


class Supervisor:
    """Starts the processes and starts again the ones that end, until stopped."""

    def __init__(self, children: list[Child], out: object = sys.stdout) -> None:
        self.children = children
        self.stopping = threading.Event()
        self.out = out

    def say(self, text: str) -> None:
        print(f"up: {text}", file=self.out, flush=True)  # type: ignore[call-overload]

    def start(self, child: Child) -> None:
        child.popen = subprocess.Popen(child.args)
        child.starts += 1
        child.started_at = time.monotonic()
        where = f" http://127.0.0.1:{child.port}" if child.port else ""
        verb = "started" if child.starts == 1 else f"restarted ({child.starts - 1})"
        self.say(f"{child.name} {verb} pid={child.popen.pid}{where}")

    def watch(self) -> None:
        """Restart what ended, until stopped."""
        for child in self.children:
            self.start(child)
        while not self.stopping.wait(0.1):
            now = time.monotonic()
            for child in self.children:
                if child.popen is None:
                    if now >= child.next_start:
                        self.start(child)
                    continue
                code = child.popen.poll()
                if code is None:
                    if now - child.started_at > 30:  # it stayed up: the next crash restarts quickly again
                        child.backoff = BACKOFF[0]
                    continue
                self.say(f"{child.name} exited with {code}: restarting in {child.backoff:.1f}s")
                child.popen = None
                child.next_start = now + child.backoff
                child.backoff = min(child.backoff * 2, BACKOFF[1])

    def stop(self) -> None:
        self.stopping.set()
        running = [c.popen for c in self.children if c.popen is not None and c.popen.poll() is None]
        for popen in running:
            popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE
        for popen in running:
            try:
                popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        self.say("stopped")


def children(deployment: Deployment, base: int, standby: list[str]) -> list[Child]:
    python = [sys.executable, "-m", deployment.package, "run"]
    found = [
        Child(p.name, [*python, p.name, "--port", str(base + i)], base + i) for i, p in enumerate(deployment.processes)
    ]
    for j, name in enumerate(standby):
        deployment.process(name)  # an unknown name is refused before anything starts
        port = base + len(found) + j
        found.append(Child(f"{name} (standby)", [*python, name, "--port", str(port)], port))
    return found


def up(deployment: Deployment, base: int, standby: list[str]) -> int:
    supervisor = Supervisor(children(deployment, base, standby))

    def stop(signum: int, frame: object) -> None:
        supervisor.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        supervisor.watch()
    finally:
        supervisor.stop()
    return 0


def main(deployment: Deployment, argv: list[str]) -> int:
    """The ``run``, ``up`` and ``procfile`` commands of a generated package."""
    parser = argparse.ArgumentParser(prog=f"python -m {deployment.package}")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run one process (a microservice, or a saga's SEC) until SIGTERM")
    run_parser.add_argument("process", choices=[p.name for p in deployment.processes])
    run_parser.add_argument("--port", type=int, default=None, help="serve its HTTP API on this port (default: $PORT)")
    run_parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    up_parser = commands.add_parser("up", help="run every process, restarting any that ends")
    up_parser.add_argument("--port", type=int, default=deployment.port, help="the first HTTP port (%(default)s)")
    up_parser.add_argument("--standby", action="append", default=[], help="also run a standby of this process")
    commands.add_parser("procfile", help="print a Procfile with one line per process")
    args = parser.parse_args(argv)
    if args.command == "procfile":
        print(deployment.procfile(), end="")
        return 0
    if args.command == "up":
        return up(deployment, args.port, args.standby)
    from esp_runtime.process import run

    port = args.port if args.port is not None else (int(os.environ["PORT"]) if os.environ.get("PORT") else None)
    return run(deployment, args.process, port, args.host)
