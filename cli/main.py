"""`auttamo serve | worker | migrate | deploy PATH... | users add|token | demo` (DESIGN.md section 4)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from cli import protection
from config import Settings, SettingsError
from engine import SourceFile
from services.context import SYSTEM, Actor, Services
from services.deploy import deploy
from services.errors import DeploymentRejected, ServiceError
from services.users import add_user, issue_token

DEPLOYABLE = (".bpmn", ".dmn", ".json")


def collect_files(paths: Sequence[str]) -> list[SourceFile]:
    """Files from paths (folders are read one level deep plus a `forms/` sibling convention)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DEPLOYABLE))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return [SourceFile(p.name, p.read_bytes()) for p in found]


def migrate_database(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    from store.db import make_engine

    cfg = Config()
    cfg.set_main_option("script_location", str(settings.project_root / "migrations"))
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()


def _cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate_database(settings)
    print("database is up to date")
    return 0


def _cmd_deploy(settings: Settings, args: argparse.Namespace) -> int:
    svc = Services.build(settings)
    try:
        files = collect_files(args.paths)
        actor = Actor(args.as_user, frozenset({"process_owner"}))
        result = deploy(svc, actor, files, change_note=args.note, dry_run=args.dry_run, imported=args.imported)
    except DeploymentRejected as exc:
        print("deployment refused; nothing was deployed:", file=sys.stderr)
        for issue in exc.report["errors"]:
            where = f"{issue['file']}" + (f" element {issue['element_id']}" if issue["element_id"] else "")
            line = f" (line {issue['line']})" if issue.get("line") else ""
            print(f"  {where}{line} [{issue['rule']}]: {issue['message']}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        svc.close()
    for w in result.report.warnings:
        print(f"warning: {w.file} {w.element_id or ''} [{w.rule}]: {w.message}", file=sys.stderr)
    if result.dry_run:
        print(f"valid: {', '.join(result.report.process_ids)}")
    for v in result.versions:
        print(f"{v.process_id} version {v.version} {'deployed' if v.created else 'unchanged'} ({v.sha256[:12]})")
    return 0


def _cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    svc = Services.build(settings)
    try:
        if args.users_cmd == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            actor = add_user(
                svc,
                args.name,
                [r.strip() for r in args.role.split(",") if r.strip()],
                password=password,
                team=args.team,
            )
            print(f"user {actor.username} added with roles {', '.join(sorted(actor.roles))}")
        else:
            print(issue_token(svc, args.name))
        return 0
    except ServiceError as exc:
        detail = getattr(exc, "errors", None)
        print(f"error: {exc}" + (f" {json.dumps(detail)}" if detail else ""), file=sys.stderr)
        return 2
    finally:
        svc.close()


def _cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    from services.worker import run_worker

    svc = Services.build(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logging.getLogger("auttamo").info("worker started")
    try:
        run_worker(svc, stop)
    finally:
        svc.close()
    return 0


def trusted_proxies(settings: Settings) -> str | None:
    """Believe X-Forwarded-For only from the configured proxies (None: from nobody): otherwise any client
    could name its own address and walk past the per-address rate limits (sign-in, the public form)."""
    return settings.trusted_proxies or None


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    proxies = trusted_proxies(settings)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        workers=1,
        log_level="info",
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
    )
    return 0


def _cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    from cli.demo import seed_demo

    svc = Services.build(settings)
    try:
        for line in seed_demo(svc):
            print(line)
    finally:
        svc.close()
    return 0


def _cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from cli.stats_output import flatten_rows
    from services.statistics import annual_statistics

    svc = Services.build(settings)
    try:
        stats = annual_statistics(svc, Actor("cli", frozenset({"statistician"})), args.year, publish=args.publish)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        svc.close()
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(["table", "key", "value"])
        writer.writerows(flatten_rows(stats.tables))
    else:
        print(json.dumps(stats.tables, indent=2, ensure_ascii=False))
    return 0


def _cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    from store.crypto import generate_key

    if args.keys_cmd == "generate":
        print(generate_key())
        return 0
    from services.keys import rotate_keys

    svc = Services.build(settings)
    try:
        report = rotate_keys(svc)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        svc.close()
    for table, n in report.resealed.items():
        print(f"{table}: {n} row(s) re-sealed")
    print(f"{report.total} row(s) re-sealed under the current key")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auttamo", description="Auttamo case management")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    sub.add_parser("worker", help="fire due timers and run the outbox until stopped")
    sub.add_parser("migrate", help="create or upgrade the database")
    dep = sub.add_parser("deploy", help="validate and deploy BPMN/DMN/form files or folders")
    dep.add_argument("paths", nargs="+")
    dep.add_argument("--note", default="", help="change note stored with the version")
    dep.add_argument("--dry-run", action="store_true", help="validate only")
    dep.add_argument("--imported", action="store_true", help="a model from another tool: missing lanes warn")
    dep.add_argument("--as-user", default=SYSTEM.username, help="recorded as the deployer")
    users = sub.add_parser("users", help="manage users")
    users_sub = users.add_subparsers(dest="users_cmd", required=True)
    add = users_sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="comma-separated roles")
    add.add_argument("--team")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    tok = users_sub.add_parser("token", help="print a new bearer token")
    tok.add_argument("name")
    sub.add_parser("demo", help="seed demo users and processes")
    keys = sub.add_parser("keys", help="encryption keys for data at rest")
    keys_sub = keys.add_subparsers(dest="keys_cmd", required=True)
    keys_sub.add_parser("generate", help="print a new random key for AUTTAMO_ENCRYPTION_KEY")
    keys_sub.add_parser("rotate", help="re-seal all data under AUTTAMO_ENCRYPTION_KEY (old keys in _OLD_KEYS)")
    stats = sub.add_parser("stats", help="the annual statistics of a year")
    stats.add_argument("year", type=int)
    stats.add_argument("--format", choices=("json", "csv"), default="json")
    stats.add_argument("--publish", action="store_true", help="apply small-cell suppression")
    protection.add_parser(sub)
    return parser


COMMANDS = {
    "serve": _cmd_serve,
    "worker": _cmd_worker,
    "migrate": _cmd_migrate,
    "deploy": _cmd_deploy,
    "users": _cmd_users,
    "demo": _cmd_demo,
    "stats": _cmd_stats,
    "keys": _cmd_keys,
    "retention": protection.cmd_retention,
}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
