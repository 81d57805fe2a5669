"""`python -m bench.load.zygote`: import the app once, then fork `auttamo` processes on request.

One request per line on standard input: `<log file>\\t<arguments>` (e.g. `serve --port 8123`); the
answer is the child's pid on standard output. Each child redirects its output to the log file and
runs `cli.main.main(arguments)`: exactly what `auttamo <arguments>` runs, minus the imports. No
database connection, thread or engine exists before the fork (only modules are imported), so the
children share nothing but read-only code. Children are reaped by the kernel (SIGCHLD ignored).
The launcher ends when its standard input closes (its parent closed it, or died); the launcher and
its children are SIGKILLed when their parent dies (PR_SET_PDEATHSIG), so nothing outlives a test run.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent ends, so no server outlives an aborted test run."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _child(log_path: str, args: list[str]) -> None:
    import cli.main

    die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    code = 1
    try:
        code = cli.main.main(args)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    # The imports a server and a worker need, done once before any fork (modules only).
    import importlib

    for name in (
        "cli.main",
        "web.app",
        "services.worker",
        "uvicorn",
        "uvicorn.lifespan.on",
        "uvicorn.protocols.http.h11_impl",
        "uvicorn.protocols.websockets.auto",
        "jinja2.ext",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "sqlalchemy.dialects.postgresql.psycopg",
        "_strptime",
    ):
        importlib.import_module(name)

    die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        log_path, _, args = line.rstrip("\n").partition("\t")
        if not log_path:
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(log_path, args.split())
        print(pid, flush=True)


if __name__ == "__main__":
    main()
