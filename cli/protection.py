"""`auttamo retention preview|run`: what the erasure job will erase, and running it now (admin)."""

from __future__ import annotations

import argparse
import sys

from config import Settings
from services.context import Actor, Services
from services.errors import ServiceError

CLI_ADMIN = Actor("cli", frozenset({"admin"}))


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = sub.add_parser("retention", help="retention and erasure of personal data")
    retention_sub = retention.add_subparsers(dest="retention_cmd", required=True)
    retention_sub.add_parser("preview", help="list the cases the next erasure run will erase")
    retention_sub.add_parser("run", help="erase the personal data of every case past its retention period now")


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    from services.retention import preview, run_erasure

    svc = Services.build(settings)
    try:
        if args.retention_cmd == "preview":
            for c in preview(svc, CLI_ADMIN):
                print(f"{c.reference}\tcase {c.case_id}\t{c.rule}\tended {c.relationship_ended_on}\tdue {c.due_on}")
            return 0
        erased = run_erasure(svc, CLI_ADMIN)
        print(f"{len(erased)} case(s) erased")
        return 0
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        svc.close()
