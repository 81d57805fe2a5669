"""Real `auttamo serve` and `auttamo worker` processes for load and crash tests.

Every process runs the CLI's own code path, `cli.main.main(["serve", ...])`, with its configuration
in the environment only, as in production. Two ways to launch one:
- cold: `python -m cli.main serve --port P` as a subprocess (about 0.8 s of imports per start);
- forked: from a launcher process (`python -m bench.load.zygote`) that imported the app once, so a
  restart costs a fork and the app factory only. The crash tests use it to fit 50+ restarts into a
  test run; it is the same code as a cold start after the imports.
Helpers: a free loopback port, waiting until a server answers, SIGKILL, and the resident memory of a
process read from /proc (psutil is not a dependency).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Protocol

import httpx

from bench.load.zygote import die_with_parent

ROOT = Path(__file__).resolve().parent.parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def process_env(database_url: str, secret_key: str, encryption_key: str = "", **extra: str) -> dict[str, str]:
    """The environment of an auttamo process: the parent's without any AUTTAMO_* setting, then the
    database, the secret key and (if given) the data encryption key, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTTAMO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url, AUTTAMO_ENV="test", AUTTAMO_SECRET_KEY=secret_key, PYTHONUNBUFFERED="1")
    if encryption_key:
        env["AUTTAMO_ENCRYPTION_KEY"] = encryption_key
    env.update(extra)
    return env


def settings_env(settings: object, **extra: str) -> dict[str, str]:
    """process_env() for the database and keys of a Settings object (the one tests already use)."""
    return process_env(
        str(getattr(settings, "database_url")),  # noqa: B009 - any Settings-like object
        str(getattr(settings, "secret_key")),  # noqa: B009
        str(getattr(settings, "encryption_key", "") or ""),
        **extra,
    )


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a live process in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class Handle(Protocol):
    pid: int

    def alive(self) -> bool: ...
    def signal(self, sig: int) -> None: ...
    def wait(self, timeout: float) -> None: ...


class ColdHandle:
    """A `python -m cli.main ...` subprocess of ours."""

    def __init__(self, args: list[str], env: dict[str, str], log: IO[bytes]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> None:
        self.proc.wait(timeout=timeout)


class ForkedHandle:
    """A process forked by the launcher (its child, reaped by the kernel)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def alive(self) -> bool:
        return _pid_alive(self.pid)

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while _pid_alive(self.pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"process {self.pid} still alive after {timeout} s")
            time.sleep(0.005)


class Launcher:
    """Starts auttamo processes: cold subprocesses, or forks of a pre-imported launcher (`forked=True`).
    One launcher serves one environment (database and keys)."""

    def __init__(self, env: dict[str, str], *, forked: bool = False) -> None:
        self.env = env
        self.forked = forked
        self._zygote: subprocess.Popen[str] | None = None
        if forked:
            self._zygote = subprocess.Popen(
                [sys.executable, "-m", "bench.load.zygote"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )

    def spawn(self, args: list[str], log_path: Path) -> Handle:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._zygote is None:
            with log_path.open("ab") as log:
                return ColdHandle(args, self.env, log)
        assert self._zygote.stdin is not None and self._zygote.stdout is not None
        self._zygote.stdin.write(f"{log_path}\t{' '.join(args)}\n")
        self._zygote.stdin.flush()
        line = self._zygote.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the launcher did not fork: {line!r}")
        return ForkedHandle(int(line))

    def close(self) -> None:
        if self._zygote is not None:
            if self._zygote.stdin is not None:
                self._zygote.stdin.close()
            try:
                self._zygote.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait(timeout=10)
            if self._zygote.stdout is not None:
                self._zygote.stdout.close()
            self._zygote = None

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AuttamoProcess:
    """One `auttamo` process (`args` as on the command line); its output goes to `log_path`."""

    def __init__(self, launcher: Launcher, args: list[str], log_path: Path) -> None:
        self.launcher = launcher
        self.args = args
        self.log_path = log_path
        self.handle: Handle | None = None

    def start(self) -> AuttamoProcess:
        self.handle = self.launcher.spawn(self.args, self.log_path)
        return self

    @property
    def pid(self) -> int:
        assert self.handle is not None
        return self.handle.pid

    def alive(self) -> bool:
        return self.handle is not None and self.handle.alive()

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, no rollback by the process itself; returns once it is gone."""
        if self.handle is not None:
            self.handle.signal(signal.SIGKILL)
            self.handle.wait(30)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the worker finishes its pass; uvicorn shuts down), SIGKILL if it takes too long."""
        if self.handle is not None:
            self.handle.signal(signal.SIGTERM)
            try:
                self.handle.wait(timeout)
            except (TimeoutError, subprocess.TimeoutExpired):
                self.kill()

    def memory(self) -> dict[str, int]:
        return rss_kib(self.pid) if self.alive() else {}


class Server(AuttamoProcess):
    """`auttamo serve --port P` on the loopback interface."""

    def __init__(self, launcher: Launcher, log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(launcher, ["serve", "--host", LOOPBACK, "--port", str(self.port)], log_path)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Server:
        super().start()
        return self

    def wait_ready(self, timeout: float = 30.0) -> Server:
        """Wait until the port accepts connections and /health answers 200 (cheap polling: a plain
        socket connect, not a new HTTP client per try, so waiting steals no CPU from the start-up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the server exited early; see {self.log_path}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.01)
                continue
            with httpx.Client(timeout=5.0) as client:
                try:
                    if client.get(f"{self.url}/health").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.01)
        raise RuntimeError(f"the server did not answer within {timeout} s; see {self.log_path}")


class Worker(AuttamoProcess):
    """`auttamo worker`: fires due timers and runs the outbox until stopped."""

    def __init__(self, launcher: Launcher, log_path: Path) -> None:
        super().__init__(launcher, ["worker"], log_path)

    def start(self) -> Worker:
        super().start()
        return self
