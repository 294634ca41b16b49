"""The sandbox contains the classic escapes, and the next run still works.

Each escape is tried twice where it matters: through the full sandbox, and with
the Python audit hook switched off (`guard=False`), to show the OS-level layers
(resource limits, unprivileged uid, mount/network/PID namespaces) hold on their
own. The escapes that got past the audit hook alone are in test_sandbox_escapes.py.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import psutil
import pytest

from codegap import sandbox
from codegap.sandbox import run_python

REPO = Path(__file__).resolve().parents[1]


def _unguarded(code: str, **kw) -> sandbox.SandboxResult:
    opts = dict(stdin="", timeout_s=5.0, cpu_s=3, mem_mb=512, max_procs=64, max_output=10_000, file_mb=4)
    opts.update(kw)
    return sandbox._run(sandbox._plan(), code, guard=False, **opts)


def _still_works() -> None:
    res = run_python("import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))", stdin="2 3 4")
    assert res.ok, res
    assert res.stdout.strip() == "9"


def _sandbox_processes() -> list[psutil.Process]:
    """Processes still running as the sandbox uid (only meaningful when a uid is dropped to).

    Zombies do not count: without a PID namespace (fallback plans) killed children
    are reparented to the container's init, which may reap them late."""
    uid = sandbox._plan().drop_to
    if uid is None:
        return []
    return [p for p in psutil.process_iter(["uids", "status"])
            if p.info["uids"] and p.info["uids"].real == uid and p.info["status"] != psutil.STATUS_ZOMBIE]


def test_plain_program_runs_with_stdin_and_clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test")
    res = run_python(
        "import os, sys\nprint(sys.stdin.read().upper())\nprint(sorted(os.environ))\n"
        "open('scratch.txt', 'w').write('x')\nprint(os.path.exists('scratch.txt'))"
        , stdin="hello")
    assert res.ok and res.reason == "ok" and res.returncode == 0
    lines = res.stdout.splitlines()
    assert lines[0] == "HELLO"
    assert "OPENAI_API_KEY" not in lines[1] and "sk-secret" not in res.stdout
    assert lines[2] == "True"  # its own directory is writable


def test_fresh_directory_each_run() -> None:
    mark = f"mark-{uuid.uuid4().hex}"
    first = run_python(f"import os\nopen({mark!r}, 'w').write('1')\nprint(os.getcwd())")
    second = run_python(f"import os\nprint(os.path.exists({mark!r}), os.getcwd())")
    assert first.ok and second.ok
    assert second.stdout.split()[0] == "False"
    assert not (Path(first.stdout.strip()) / mark).exists()  # gone from the host too


def test_error_exit_is_reported() -> None:
    res = run_python("raise ValueError('boom')")
    assert not res.ok and res.reason == "error"
    assert "ValueError: boom" in res.stderr


def test_infinite_loop_hits_cpu_limit() -> None:
    t0 = time.monotonic()
    res = run_python("while True:\n    pass", cpu_s=1, timeout_s=10)
    assert not res.ok and res.reason == "cpu"
    assert time.monotonic() - t0 < 8
    _still_works()


def test_sleeping_loop_hits_wall_clock() -> None:
    res = run_python("import time\nwhile True:\n    time.sleep(0.1)", timeout_s=1.0)
    assert res.timed_out and res.reason == "timeout" and not res.ok
    assert res.duration_s < 5
    _still_works()


@pytest.mark.parametrize("guard", [True, False])
def test_fork_bomb_is_contained(guard: bool) -> None:
    bomb = (
        "import os, time\n"
        "n = 0\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "        n += 1\n"
        "    except OSError:\n"
        "        time.sleep(0.01)\n"
    )
    before = psutil.pids()
    res = (run_python(bomb, timeout_s=2.0, cpu_s=2) if guard else _unguarded(bomb, timeout_s=2.0, cpu_s=2))
    assert not res.ok
    assert res.reason in {"timeout", "cpu", "killed"}
    time.sleep(0.3)
    assert _sandbox_processes() == []  # nothing left behind
    running = [p for p in psutil.process_iter(["status"]) if p.info["status"] != psutil.STATUS_ZOMBIE]
    assert len(running) < len(before) + 20
    _still_works()


@pytest.mark.parametrize("guard", [True, False])
def test_memory_blowup_is_stopped(guard: bool) -> None:
    code = "x = []\nwhile True:\n    x.append(bytearray(50 * 1024 * 1024))"
    res = run_python(code, mem_mb=256) if guard else _unguarded(code, mem_mb=256)
    assert not res.ok and res.reason == "memory"
    assert "MemoryError" in res.stderr
    _still_works()


def test_write_outside_directory_is_refused(tmp_path: Path) -> None:
    # tmp_path is world-writable here so that only the sandbox can be what stops the write
    os.chmod(tmp_path, 0o777)
    target = tmp_path / f"escape-{uuid.uuid4().hex}.txt"
    tries = [
        f"open({str(target)!r}, 'w').write('x')",
        f"import os\nfd = os.open({str(target)!r}, os.O_WRONLY | os.O_CREAT)\nos.write(fd, b'x')",
        f"import os\nos.system('touch {target}')",
        f"import subprocess\nsubprocess.run(['touch', {str(target)!r}])",
        f"import shutil\nshutil.copy('solution.py', {str(target)!r})",
        "import os\nos.rename('solution.py', '../moved.py')",
        "import ctypes\nctypes.CDLL(None).system(b'touch /tmp/escape-ctypes')",
    ]
    for code in tries:
        res = run_python(code)
        assert not res.ok, code
        # The audit hook refuses (PermissionError), or the kernel sandbox has no such
        # directory (the run's /tmp is its own tmpfs); either way the host never sees it.
        assert "PermissionError" in res.stderr or "FileNotFoundError" in res.stderr, (code, res.stderr)
        assert not target.exists(), code
    assert not Path("/tmp/escape-ctypes").exists()
    _still_works()


def test_write_into_repository_refused_without_audit_hook() -> None:
    if sandbox.isolation()["runs_as_uid"] == os.geteuid():
        pytest.skip("no uid change here; file permissions are the caller's")
    target = REPO / f"escape-{uuid.uuid4().hex}.txt"
    res = _unguarded(f"open({str(target)!r}, 'w').write('x')")
    # Under bwrap the repository is not there at all; without it, the uid cannot write.
    assert not res.ok and ("PermissionError" in res.stderr or "FileNotFoundError" in res.stderr), res
    assert not target.exists()


@pytest.mark.parametrize("guard", [True, False])
def test_socket_connect_is_blocked(guard: bool) -> None:
    import socket

    # A real listener on this host: a connect that got out would succeed.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    code = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(2)\n"
        f"s.connect(('127.0.0.1', {port}))\n"
        "print('CONNECTED')\n"
    )
    try:
        if not guard and not sandbox._plan().prefix:
            pytest.skip("no network namespace available; the audit hook is the only guard")
        res = run_python(code) if guard else _unguarded(code)
    finally:
        srv.close()
    assert not res.ok
    assert "CONNECTED" not in res.stdout
    assert ("PermissionError" in res.stderr) if guard else ("OSError" in res.stderr or "Error" in res.stderr)
    _still_works()


def test_output_flood_is_capped() -> None:
    res = run_python("while True:\n    print('x' * 1000)", max_output=5000, file_mb=1)
    assert not res.ok and res.reason == "file_size"
    assert len(res.stdout) <= 5000 + len("\n[output truncated]")


def test_isolation_report() -> None:
    info = sandbox.isolation()
    assert info["audit_hook"] is True
    assert info["level"] in {"kernel", "namespaces", "process"}
    assert info["namespaces"] is (info["level"] != "process")
    if os.geteuid() == 0:
        assert info["runs_as_uid"] != 0
    if info["level"] != "kernel":
        assert info["missing"], "a fallback plan must say which layers are missing"


@pytest.fixture
def fresh_plan():
    """Forget the probed plan before and after a test that changes what is available."""
    sandbox._plan.cache_clear()
    sandbox._WHY_NOT_BWRAP.clear()
    yield
    sandbox._plan.cache_clear()
    sandbox._WHY_NOT_BWRAP.clear()


def test_without_bwrap_the_fallback_warns_and_reports_missing_layers(fresh_plan, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "_bwrap_features", lambda: None)
    monkeypatch.delenv("CODEGAP_SANDBOX_STRICT", raising=False)
    with pytest.warns(RuntimeWarning, match="kernel containment unavailable.*bubblewrap"):
        info = sandbox.isolation()
    assert info["level"] in {"namespaces", "process"} and not info["private_filesystem"]
    assert any("no private filesystem" in m for m in info["missing"])
    assert "no disk quota" in info["missing"]
    _still_works()


def test_strict_mode_refuses_the_fallback(fresh_plan, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "_bwrap_features", lambda: None)
    monkeypatch.setenv("CODEGAP_SANDBOX_STRICT", "1")
    with pytest.raises(RuntimeError, match="CODEGAP_SANDBOX_STRICT"):
        run_python("print(1)")


def test_a_failing_bwrap_is_named_in_the_report(fresh_plan, monkeypatch) -> None:
    if sandbox._bwrap_features() is None:
        pytest.skip("bwrap is not installed here")
    real = sandbox._bwrap_prefix

    def broken(*args):
        built = real(*args)
        return None if built is None else (built[0] + ("--no-such-option",), *built[1:])

    monkeypatch.setattr(sandbox, "_bwrap_prefix", broken)
    monkeypatch.delenv("CODEGAP_SANDBOX_STRICT", raising=False)
    with pytest.warns(RuntimeWarning):
        info = sandbox.isolation()
    assert info["level"] != "kernel"
    assert any("no-such-option" in why for why in info["why_not_kernel"]), info
