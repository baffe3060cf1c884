"""The map of ARCHITECTURE.md, enforced: which of our packages each app may import, and that every task queued by
name is a registered Celery task. A new import against an arrow, or a renamed task, fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from cft.celery import app

ROOT = Path(__file__).resolve().parents[2]
OURS = ("cft", "clinics", "programs", "patients", "reminders", "reports", "audit", "outbox")

# reports, reminders -> patients -> programs -> clinics; audit and outbox are leaves every app may call. `cft` is
# the project: its settings, urls and celery app, and the small shared helpers (api, spreadsheets, jobs, env).
LEAVES = {"audit", "outbox", "cft"}
ALLOWED: dict[str, set[str]] = {
    "audit": set(),
    "outbox": {"cft"},  # the Celery app, to publish
    "cft": {"audit", "clinics"},  # jobs record to the audit trail; urls route the two-factor page
    "clinics": LEAVES,
    "programs": {"clinics"} | LEAVES,
    "patients": {"programs", "clinics"} | LEAVES,
    "reminders": {"patients", "programs", "clinics"} | LEAVES,
    "reports": {"patients", "programs", "clinics"} | LEAVES,
}


def imported_packages(path: Path) -> set[str]:
    """Our top-level packages a module imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names if name.split(".")[0] in OURS}
    return found


def app_modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def test_every_app_of_ours_is_on_the_map():
    assert set(ALLOWED) == set(OURS)


def test_apps_import_only_along_the_arrows():
    leaks = [
        f"{path.relative_to(ROOT)} imports {other}"
        for package, allowed in ALLOWED.items()
        for path in app_modules(package)
        for other in sorted(imported_packages(path) - allowed - {package})
    ]
    assert leaks == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from patients.plans import week_plan\n    import reports.selectors\n")
    assert imported_packages(module) == {"patients", "reports"}


def queued_task_names() -> dict[str, str]:
    """Task name -> where it is queued: the first argument of every `enqueue(...)` and `send_task(...)` call in
    our apps, a string or a module-level constant naming one."""
    queued = {}
    for package in OURS:
        for path in app_modules(package):
            tree = ast.parse(path.read_text())
            constants = {
                target.id: node.value.value
                for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called not in ("enqueue", "send_task"):
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    queued[first.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
                elif isinstance(first, ast.Name) and first.id in constants:
                    queued[constants[first.id]] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return queued


def test_every_task_queued_by_name_is_a_registered_celery_task():
    app.loader.import_default_modules()
    queued = queued_task_names()
    assert {"reminders.notify_alert", "reminders.send_reminder", "reports.run_export"} <= set(queued)
    unknown = {name: where for name, where in queued.items() if name not in app.tasks}
    assert unknown == {}
