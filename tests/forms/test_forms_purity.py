"""forms/ is pure: it imports nothing of ours and no web, database or workflow library."""

from __future__ import annotations

import ast
from pathlib import Path

import forms

OURS = {"engine", "processes", "store", "services", "web", "cli", "config", "integrations", "cases", "settings"}
BANNED = {"fastapi", "starlette", "sqlalchemy", "SpiffWorkflow", "alembic", "httpx", "pydantic"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_forms_imports_only_itself_stdlib_jsonschema_and_nothing_of_ours() -> None:
    sources = sorted(Path(forms.__file__).parent.rglob("*.py"))
    assert len(sources) >= 8
    for source in sources:
        roots = imported_roots(source)
        assert not roots & OURS, (source.name, roots & OURS)
        assert not roots & BANNED, (source.name, roots & BANNED)


def test_public_api() -> None:
    assert set(forms.__all__) >= {
        "FormError", "SchemaInvalid", "FormDataInvalid", "check_form_schema", "check_ui_schema", "form_keys",
        "coerce_form", "validate_form", "validate_or_raise", "build_fields", "FieldView", "apply_row_actions",
        "template_dir", "MAX_STRING",
    }  # fmt: skip
    assert all(hasattr(forms, name) for name in forms.__all__)
    assert (forms.template_dir() / "forms" / "_form_fields.html.j2").is_file()
