"""BPMN scripts run restricted: no imports, no files, no dunder escapes, and a time limit that
works in a worker thread (where the server runs them), not only in the main thread."""

from __future__ import annotations

import threading
import time

import pytest
from support import script_process

from engine import ScriptError, ScriptTimeout, WorkflowEngine
from engine.sandbox import RestrictedScriptEnvironment
from processes.lanes import known_lanes

ESCAPE = (
    "w = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]\n"
    "whoami = w()._module.__builtins__['__import__']('os').popen('id -un').read()"
)


def start_script(script: str, *, time_limit: float = 1.0) -> object:
    engine = WorkflowEngine(script_time_limit=time_limit)
    dep = engine.compile(script_process("scripted", script), known_lanes())
    assert dep.report.ok, dep.report.as_dict()
    proc = dep.processes[0]
    return engine.start(proc.sha256, proc.spec_json, {})


@pytest.mark.parametrize(
    ("script", "needle"),
    [
        ("import os\npid = os.getpid()", "import"),
        ("data = open('/etc/passwd').read()", "open"),
        (ESCAPE, "__class__"),
        ("x = getattr(1, '__class__')", "getattr"),
        ("e = eval('1+1')", "eval"),
        ("x = (1).__class__", "__class__"),
        ("r = list(range(10**9))", "range"),
    ],
)
def test_hostile_scripts_fail_with_a_clear_error(script: str, needle: str) -> None:
    with pytest.raises(ScriptError) as err:
        start_script(script)
    assert needle.lower() in str(err.value).lower()
    assert err.value.bpmn_id == "script"


def test_failed_start_keeps_the_instance_for_an_incident() -> None:
    with pytest.raises(ScriptError) as err:
        start_script("import os")
    assert err.value.instance is not None


def test_normal_scripts_still_work() -> None:
    inst = start_script(
        "total = 0\nfor i in range(10):\n    total += i\n"
        "when = datetime.date(2026, 1, 31).isoformat()\nnames = sorted(['b', 'a'])\nd = {'k': [1, 2]}\nd['k'].append(3)"
    )
    data = inst.snapshot().data  # type: ignore[attr-defined]
    assert (data["total"], data["when"], data["names"], data["d"]) == (45, "2026-01-31", ["a", "b"], {"k": [1, 2, 3]})
    assert not any(k.startswith("_") for k in data)


def _in_thread(fn: object) -> BaseException | None:
    result: list[BaseException | None] = [None]

    def run() -> None:
        try:
            fn()  # type: ignore[operator]
        except BaseException as exc:
            result[0] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the script was not stopped"
    return result[0]


@pytest.mark.parametrize(
    "script",
    [
        "while True:\n    pass",
        "while True:\n    try:\n        x = 1\n    except Exception:\n        pass",
        "while True:\n    try:\n        x = 1\n    except ValueError:\n        pass",
    ],
)
def test_endless_loop_is_stopped_in_a_worker_thread(script: str) -> None:
    started = time.monotonic()
    error = _in_thread(lambda: start_script(script, time_limit=0.3))
    assert isinstance(error, ScriptTimeout), error
    assert "0.3 s limit" in str(error)
    assert time.monotonic() - started < 10


def test_a_bare_except_is_refused_because_it_would_swallow_the_time_limit() -> None:
    with pytest.raises(ScriptError, match="bare 'except:'"):
        start_script("while True:\n    try:\n        x = 1\n    except:\n        pass")


def test_expressions_are_restricted_too() -> None:
    env = RestrictedScriptEnvironment()
    assert env.evaluate("a + 1", {"a": 1}) == 2
    with pytest.raises(ScriptError):
        env.evaluate("().__class__", {})
    with pytest.raises(NameError):
        env.evaluate("open('/etc/passwd')", {})


def test_the_module_level_safe_builtins_are_not_mutated() -> None:
    from RestrictedPython import safe_builtins

    RestrictedScriptEnvironment()
    assert "__import__" not in safe_builtins or safe_builtins["__import__"].__name__ != "_no_import"
