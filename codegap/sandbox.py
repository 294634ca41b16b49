"""Run model-written Python in a locked-down child process.

Why: experiments execute code a model wrote (the iterative-execution code arm,
hidden tests of the verification-gap tasks). That code may loop forever, fork
without end, eat memory, write anywhere, or try the network, by accident or not.
Each run therefore gets, in layers (the OS-level ones do the real work, the
audit hook only catches the common Python-level cases early and with a clear
message):

1. a separate process (`python -I`: no user site, no PYTHON* env vars) in a new
   session, with a fresh temporary working directory deleted afterwards and an
   environment stripped to an allow-list (no API keys, no proxies);
2. resource limits set before the user code starts (CPU seconds, address space,
   number of processes, file size) and a wall-clock timeout that kills the whole
   process group (and, with a PID namespace, everything the code started);
3. when this process is root (as in the project container): new network and PID
   namespaces via `unshare --net --pid --fork`, and the code runs as the
   unprivileged user `nobody` (uid 65534) -- so RLIMIT_NPROC applies (root
   ignores it), root-owned files are read-only, and any process left behind dies
   with the namespace. As a normal user with user namespaces available the same
   is done with `unshare --map-root-user`; otherwise no namespaces are used and
   the audit hook is the only network guard (see `isolation()`);
4. a `sys.addaudithook` guard that refuses opening files for writing, and
   creating/removing/renaming files, outside the working directory, refuses
   socket connect/bind, refuses exec-style process creation and ctypes (so a
   shell command or native call cannot step around the guard). `os.fork` stays
   allowed: the process limit is what stops a fork bomb.

The child's interpreter is `sys.executable` when the unprivileged user can
run it, else the system `python3` (an interpreter under an unreadable home,
e.g. pyenv in /root, cannot import its standard library as `nobody`); the
first call probes this once. Model code should need the standard library only.

Known limits: the audit hook is a Python-level guard; code that gets native
access anyway could, as `nobody`, write into world-writable directories such
as /tmp (not into the repository or home directories, which `nobody` cannot
write). Without root or user namespaces there is no network or PID namespace
and no uid change; `isolation()` reports what is in force. `run_python` blocks;
call it from async code through `asyncio.to_thread`.

The result is a `SandboxResult`; `reason` says which limit ended the run.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534

#: Environment variables passed through (everything else, e.g. *_API_KEY, is dropped).
ENV_ALLOW = ("LANG", "LC_ALL", "TZ")

# Runs inside the child before the user's code. Kept in one string so the child
# imports nothing from this project. argv[1] is a JSON config.
_BOOTSTRAP = r'''
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, (soft, hard) in cfg["limits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
if cfg["drop_to"] is not None:
    os.setgroups([])
    os.setgid(cfg["drop_to"])
    os.setuid(cfg["drop_to"])
os.umask(0o077)
ROOT = os.path.realpath(cfg["workdir"])
ALLOWED_WRITE = {"/dev/null"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_realpath, _fspath, _isinstance, _str, _bytes = os.path.realpath, os.fspath, isinstance, str, bytes

def _inside(path):
    if _isinstance(path, int):
        return True
    p = _fspath(path)
    if _isinstance(p, _bytes):
        p = p.decode("utf-8", "surrogateescape")
    full = _realpath(p)
    return full == ROOT or full.startswith(ROOT + "/") or full in ALLOWED_WRITE

def _refuse(what):
    raise PermissionError(f"sandbox: {what} is not allowed")

PATH_EVENTS = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
               "os.utime", "os.chflags", "os.setxattr", "os.removexattr", "shutil.rmtree",
               "os.mkfifo", "os.mknod"}
TWO_PATH_EVENTS = {"os.rename", "os.link", "os.symlink", "shutil.copyfile", "shutil.move"}
SPAWN_EVENTS = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
                "pty.spawn", "os.startfile"}
NET_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
NATIVE_EVENTS = {"ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function"}

def _guard(event, args):
    if event == "open":
        path, mode, flags = args
        writes = (mode is not None and any(c in mode for c in "wax+")) or (
            mode is None and _isinstance(flags, int) and flags & WRITE_FLAGS)
        if writes and not _inside(path):
            _refuse(f"writing {path!r} outside the working directory")
    elif event in PATH_EVENTS:
        if args and not _inside(args[0]):
            _refuse(f"{event} on {args[0]!r} outside the working directory")
    elif event in TWO_PATH_EVENTS:
        for p in args[:2]:
            if _isinstance(p, (_str, _bytes)) or hasattr(p, "__fspath__"):
                if not _inside(p):
                    _refuse(f"{event} on {p!r} outside the working directory")
    elif event in SPAWN_EVENTS:
        _refuse(f"starting programs ({event})")
    elif event in NET_EVENTS:
        _refuse(f"network access ({event})")
    elif event in NATIVE_EVENTS:
        _refuse(f"loading native code ({event})")

if cfg["guard"]:
    sys.addaudithook(_guard)
del json, resource
with open(cfg["code_path"], encoding="utf-8") as fh:
    source = fh.read()
code = compile(source, "solution.py", "exec")
glb = {"__name__": "__main__", "__file__": "solution.py", "__builtins__": __builtins__}
del cfg, fh, source
exec(code, glb)
'''


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one run of sandboxed code.

    `ok` is True only for a clean exit (status 0, no limit hit). `reason` is
    "ok", "error" (non-zero exit), "timeout" (wall clock), "cpu" (CPU limit),
    "memory" (MemoryError from the address-space limit), "file_size" (output or
    file-size limit), "killed" (another signal) or "sandbox_error".
    """

    ok: bool
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    reason: str
    duration_s: float


#: Standard-library modules the child must be able to import for a plan to count as working.
_PROBE_CODE = "import json, math, re, socket, decimal, fractions, itertools, collections; print('ok')"


@dataclass(frozen=True)
class _Plan:
    """How children are launched on this machine: namespace prefix, interpreter, uid."""

    prefix: tuple[str, ...]
    python: str
    drop_to: int | None


def _prefixes() -> list[tuple[str, ...]]:
    exe = shutil.which("unshare")
    if exe is None:
        return [()]
    ns = ("--net", "--pid", "--fork", "--kill-child=SIGKILL")
    first = (exe, *ns) if os.geteuid() == 0 else (exe, "--map-root-user", *ns)
    return [first, ()]


def _interpreters() -> list[str]:
    """sys.executable first; then a system python, because a dropped-privilege
    child cannot use an interpreter under an unreadable home (e.g. pyenv in /root)."""
    found = [os.environ.get("CODEGAP_SANDBOX_PYTHON"), sys.executable,
             shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")]
    out: list[str] = []
    for p in found:
        if p and p not in out:
            out.append(p)
    return out


@functools.lru_cache(maxsize=1)
def _plan() -> _Plan:
    """The most isolated launch plan that actually runs a probe program here."""
    for prefix in _prefixes():
        drop_to = NOBODY if (os.geteuid() == 0 and prefix) else None
        for python in _interpreters():
            plan = _Plan(prefix, python, drop_to)
            res = _run(plan, _PROBE_CODE, stdin="", timeout_s=20, cpu_s=10, mem_mb=512,
                       max_procs=64, max_output=1000, file_mb=1)
            if res.ok and res.stdout.strip() == "ok":
                return plan
    raise RuntimeError(
        "sandbox: no way to start a Python child here (tried "
        f"{', '.join(_interpreters())} with and without unshare)")


def isolation() -> dict[str, object]:
    """Which layers are active on this machine (for docs, tests and run logs)."""
    plan = _plan()
    return {
        "namespaces": bool(plan.prefix),  # network + PID namespaces
        "runs_as_uid": plan.drop_to if plan.drop_to is not None else os.geteuid(),
        "python": plan.python,
        "audit_hook": True,
    }


def _clean_env(workdir: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                "PYTHONIOENCODING": "utf-8", "LANG": env.get("LANG", "C.UTF-8")})
    return env


def _read_capped(path: Path, limit: int) -> str:
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    text = data[:limit].decode("utf-8", "replace")
    return text + ("\n[output truncated]" if len(data) > limit else "")


def _limits(cpu_s: float, mem_mb: int, max_procs: int, file_bytes: int) -> dict[str, tuple[int, int]]:
    """(soft, hard) limits. CPU: SIGXCPU at the soft limit, SIGKILL one second later
    (the kernel sends SIGKILL first when soft == hard, which would hide the cause)."""
    cpu = max(1, int(round(cpu_s)))
    return {
        "RLIMIT_CPU": (cpu, cpu + 1),
        "RLIMIT_AS": (int(mem_mb) * 1024 * 1024,) * 2,
        "RLIMIT_NPROC": (int(max_procs),) * 2,
        "RLIMIT_FSIZE": (int(file_bytes),) * 2,
        "RLIMIT_CORE": (0, 0),
    }


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _poll(pid: int, until: float) -> tuple[int, int, object] | None:
    delay = 0.002
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got:
            return got, status, usage
        if time.monotonic() >= until:
            return None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)


def _wait(proc: subprocess.Popen, timeout_s: float, via_launcher: bool) -> tuple[int, float, bool]:
    """Wait for the child with a wall-clock limit; return (exit code, CPU seconds, timed out).

    Uses `os.wait4` rather than `Popen.wait` to get the CPU time the child and
    its waited-for descendants used, which tells a CPU-limit kill from others.
    On timeout the children of the launcher are killed first so that `unshare`
    reaps them (killing `unshare` first would leave them to the system's init).
    """
    timed_out = False
    got = _poll(proc.pid, time.monotonic() + timeout_s)
    if got is None:
        timed_out = True
        for child in _children(proc.pid) if via_launcher else []:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        got = _poll(proc.pid, time.monotonic() + 2.0) if via_launcher else None
        if got is None:
            _kill_group(proc.pid)
            got = os.wait4(proc.pid, 0)
    _kill_group(proc.pid)  # stragglers that kept the process group
    _, status, usage = got
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # already reaped; stop Popen from waiting again
    return code, usage.ru_utime + usage.ru_stime, timed_out


def _classify(returncode: int, cpu_used: float, cpu_s: float, timed_out: bool, stderr: str) -> str:
    if timed_out:
        return "timeout"
    if returncode == 0:
        return "ok"
    if cpu_used >= max(1, round(cpu_s)) * 0.95:
        return "cpu"  # rusage is reliable; the exit status through `unshare` is not
    # Through `unshare --fork` a child's death by signal N shows as 128 + N.
    sig = -returncode if returncode < 0 else (returncode - 128 if returncode > 128 else None)
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        return "file_size"
    if "MemoryError" in stderr:
        return "memory"
    if sig is not None:
        return "killed"
    return "error"


def run_python(
    code: str,
    *,
    stdin: str = "",
    timeout_s: float = 5.0,
    cpu_s: float = 5,
    mem_mb: int = 512,
    max_procs: int = 64,
    max_output: int = 100_000,
    file_mb: int = 16,
) -> SandboxResult:
    """Run `code` as a Python program in the sandbox and return what happened.

    stdout/stderr go to files outside the working directory, capped by the
    file-size limit (so an output flood stops the child, not this process) and
    returned truncated to `max_output` characters each.
    """
    return _run(_plan(), code, stdin=stdin, timeout_s=timeout_s, cpu_s=cpu_s, mem_mb=mem_mb,
                max_procs=max_procs, max_output=max_output, file_mb=file_mb)


def _run(plan: _Plan, code: str, *, stdin: str, timeout_s: float, cpu_s: float, mem_mb: int,
         max_procs: int, max_output: int, file_mb: int, guard: bool = True) -> SandboxResult:
    """Launch one child under `plan`. `guard=False` leaves out the audit hook, which
    tests use to show the OS-level layers hold on their own."""
    start = time.monotonic()
    io_dir = Path(tempfile.mkdtemp(prefix="codegap-sbx-io-"))
    workdir = tempfile.mkdtemp(prefix="codegap-sbx-")
    try:
        code_path = Path(workdir) / "solution.py"
        code_path.write_text(code, encoding="utf-8")
        (io_dir / "stdin").write_text(stdin, encoding="utf-8")
        if plan.drop_to is not None:
            os.chown(workdir, plan.drop_to, plan.drop_to)
            os.chown(code_path, plan.drop_to, plan.drop_to)
        os.chmod(workdir, 0o700)
        cfg = {
            "workdir": workdir,
            "code_path": str(code_path),
            "drop_to": plan.drop_to,
            "guard": guard,
            "limits": _limits(cpu_s, mem_mb, max_procs, max(int(file_mb) * 1024 * 1024, max_output * 4)),
        }
        argv = [*plan.prefix, plan.python, "-I", "-c", _BOOTSTRAP, json.dumps(cfg)]
        with open(io_dir / "stdin", "rb") as fin, open(io_dir / "stdout", "wb") as fout, \
                open(io_dir / "stderr", "wb") as ferr:
            try:
                proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, cwd=workdir,
                                        env=_clean_env(workdir), start_new_session=True,
                                        close_fds=True)
            except OSError as exc:
                return SandboxResult(False, None, "", f"sandbox: cannot start: {exc}", False,
                                     "sandbox_error", time.monotonic() - start)
            returncode, cpu_used, timed_out = _wait(proc, timeout_s, via_launcher=bool(plan.prefix))
        stdout = _read_capped(io_dir / "stdout", max_output)
        stderr = _read_capped(io_dir / "stderr", max_output)
        reason = _classify(returncode, cpu_used, cpu_s, timed_out, stderr)
        return SandboxResult(reason == "ok", returncode, stdout, stderr, timed_out, reason,
                             time.monotonic() - start)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(io_dir, ignore_errors=True)
