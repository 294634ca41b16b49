"""Run model-written Python in a child process the kernel contains.

Why: experiments execute code a model wrote (the iterative-execution code arm,
hidden tests of the verification-gap tasks). That code may loop forever, fork
without end, eat memory or disk, read files it has no business reading, or try
the network, by accident or not. A Python audit hook alone does not hold: pure
Python steps around it (`os.open(..., dir_fd=...)`, `_posixsubprocess.fork_exec`
starting an unhooked shell). So containment is the kernel's job, in layers:

1. **bubblewrap** (`bwrap`, Debian/Ubuntu package `bubblewrap`) puts each run in
   new mount, PID, network, IPC and UTS namespaces. The child sees only `/usr`
   (read-only), the interpreter's own prefix (read-only), a fresh `/proc` of
   its PID namespace (no host processes), a minimal `/dev`, and a private,
   size-limited tmpfs at `/tmp` (its working directory, `disk_mb`) plus a small
   tmpfs at `/dev/shm`. The repository, `results/`, home directories, host
   `/tmp` and every unix socket of the host are simply not there; abstract
   unix sockets and TCP are cut off by the network namespace. Nothing the
   code writes outlives the run: the tmpfs mounts vanish with the namespace,
   and `--die-with-parent` plus the PID namespace take every process it
   started down with it.
2. an **unprivileged uid**: as root (the project container) bwrap runs without
   a user namespace, keeps only CAP_SETUID/SETGID/CHOWN, and the bootstrap
   switches to `nobody` (65534) before the user's code starts; as a normal
   user (GitHub's runners) bwrap maps the caller to uid 65534 inside a user
   namespace and forbids nested user namespaces (`--disable-userns`). Either
   way RLIMIT_NPROC applies and `no_new_privs` is set by bwrap.
3. **resource limits** set before the user code starts (CPU seconds, address
   space, processes, file size) and a wall-clock timeout that kills the whole
   sandbox.
4. an environment stripped to an allow-list (no API keys, no proxies), and a
   `sys.addaudithook` guard kept as a second layer: it refuses writes outside
   the working directory, sockets, program starts and ctypes with a clear
   message, before the kernel would refuse them less legibly.

When bwrap is missing or cannot create its namespaces (e.g. Ubuntu 24.04 with
`kernel.apparmor_restrict_unprivileged_userns=1`), the module falls back, with
a one-line warning, to `unshare --net --pid` plus the uid change (root only)
or to a plain child process; `isolation()` says what is in force and what is
missing, and `CODEGAP_SANDBOX_STRICT=1` turns the fallback into an error.

Code, stdin, stdout and stderr travel through anonymous memory files
(`memfd`), so a run leaves no file on the host. `run_python` blocks; call it
from async code through `asyncio.to_thread`. The result is a `SandboxResult`;
`reason` says which limit ended the run.
"""

from __future__ import annotations

import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534

#: Environment variables passed through (everything else, e.g. *_API_KEY, is dropped).
ENV_ALLOW = ("LANG", "LC_ALL", "TZ")

#: Inside bwrap the private tmpfs is the working directory, HOME and TMPDIR.
SANDBOX_DIR = "/tmp"

# Runs inside the child before the user's code. Kept in one string so the child
# imports nothing from this project. argv[1] is a JSON config.
_BOOTSTRAP = r'''
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, (soft, hard) in cfg["limits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
if cfg["drop_to"] is not None:
    for d in cfg["own"]:
        os.chown(d, cfg["drop_to"], cfg["drop_to"])
    os.setgroups([])
    os.setgid(cfg["drop_to"])
    os.setuid(cfg["drop_to"])
os.umask(0o077)
with open(cfg["code_fd"], "rb") as fh:
    source = fh.read().decode("utf-8", "surrogateescape")
code_path = os.path.join(cfg["workdir"], "solution.py")
with open(code_path, "w", encoding="utf-8", errors="surrogateescape") as fh:
    fh.write(source)
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
import builtins
if not hasattr(builtins, "exit"):  # `-S` skips site, which defines exit() and quit()
    builtins.exit = builtins.quit = sys.exit
del json, resource, builtins
code = compile(source, "solution.py", "exec")
glb = {"__name__": "__main__", "__file__": "solution.py", "__builtins__": __builtins__}
del cfg, fh, source, code_path
exec(code, glb)
'''


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one run of sandboxed code.

    `ok` is True only for a clean exit (status 0, no limit hit). `reason` is
    "ok", "error" (non-zero exit), "timeout" (wall clock), "cpu" (CPU limit),
    "memory" (MemoryError from the address-space limit), "file_size" (output or
    file-size limit), "disk_full" (the working directory's quota), "killed"
    (another signal) or "sandbox_error".
    """

    ok: bool
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    reason: str
    duration_s: float


#: Standard-library modules the child must be able to import for a plan to count as working.
_PROBE_CODE = ("import json, math, re, socket, decimal, fractions, itertools, collections, os\n"
               "open('probe.txt', 'w').write('x')\nprint('ok', os.getuid())")


@dataclass(frozen=True)
class _Plan:
    """How children are launched on this machine.

    kind: "bwrap" (kernel containment), "unshare" (network + PID namespaces only,
    host filesystem) or "plain" (a child process with limits and the audit hook).
    """

    kind: str
    prefix: tuple[str, ...]
    python: str
    drop_to: int | None
    quota: bool = False
    userns: bool = False
    missing: tuple[str, ...] = field(default=())


def _interpreters() -> list[str]:
    """Candidate interpreters for the child, most faithful first.

    The base interpreter of this venv (not the venv's python: `-I` ignores its
    site-packages anyway, and model code should need the standard library only),
    then the system python3. CODEGAP_SANDBOX_PYTHON overrides both.
    """
    base = getattr(sys, "_base_executable", None) or sys.executable
    found = [os.environ.get("CODEGAP_SANDBOX_PYTHON"), os.path.realpath(base) if base else None,
             shutil.which("python3", path="/usr/bin:/bin")]
    out: list[str] = []
    for p in found:
        if p and p not in out and os.access(p, os.X_OK):
            out.append(p)
    return out


def _python_binds(python: str) -> list[str] | None:
    """bwrap arguments that make `python` and its standard library visible read-only.

    Interpreters under /usr need nothing more. Others (pyenv under /root,
    actions/setup-python under /opt/hostedtoolcache) get their installation
    prefix bound read-only at the same path, with world-readable parent
    directories created in the sandbox (bwrap would copy /root's 0700 mode).
    None when the interpreter's prefix cannot be determined.
    """
    real = os.path.realpath(python)
    if real.startswith("/usr/"):
        return []
    prefix = None
    base = os.path.realpath(sys.base_prefix)
    if real.startswith(base + "/"):
        prefix = base
    elif os.path.basename(os.path.dirname(real)) == "bin":
        prefix = os.path.dirname(os.path.dirname(real))
    if prefix is None or prefix in ("/", "") or not os.path.isdir(os.path.join(prefix, "lib")):
        return None
    args: list[str] = []
    parts = Path(prefix).parts[1:]
    for i in range(1, len(parts)):
        args += ["--perms", "0755", "--dir", "/" + "/".join(parts[:i])]
    return args + ["--ro-bind", prefix, prefix]


@functools.lru_cache(maxsize=1)
def _bwrap_features() -> tuple[str, frozenset[str]] | None:
    """(path, options it supports) of the installed bwrap, or None."""
    exe = shutil.which("bwrap")
    if exe is None:
        return None
    try:
        text = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return exe, frozenset(re.findall(r"^\s+(--[a-z0-9-]+)", text, re.M))


def _bwrap_prefix(exe: str, features: frozenset[str], python: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]] | None:
    """The fixed part of the bwrap command line: (argv, user namespace?, missing layers)."""
    binds = _python_binds(python)
    if binds is None:
        return None
    missing: list[str] = []
    args = [exe, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent", "--new-session"]
    userns = os.geteuid() != 0
    if userns:
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        if "--disable-userns" in features:
            args.append("--disable-userns")
        else:
            missing.append("nested user namespaces allowed (bwrap < 0.8 has no --disable-userns)")
    else:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                 "--cap-add", "CAP_CHOWN"]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    for f in ("/etc/ld.so.cache", "/etc/localtime"):
        args += ["--ro-bind-try", f, f]
    args += binds
    args += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" not in features:
        missing.append("no disk quota (bwrap < 0.7 has no --size; tmpfs is limited only by RAM)")
    return tuple(args), userns, tuple(missing)


def _candidate_plans() -> list[tuple[_Plan, str]]:
    """Every launch plan worth probing, strongest first, each with a label for messages."""
    plans: list[tuple[_Plan, str]] = []
    feats = _bwrap_features()
    for python in _interpreters():
        if feats is not None:
            built = _bwrap_prefix(feats[0], feats[1], python)
            if built is not None:
                prefix, userns, missing = built
                plans.append((_Plan("bwrap", prefix, python, None if userns else NOBODY,
                                    quota="--size" in feats[1], userns=userns, missing=missing),
                              f"bwrap with {python}"))
    root = os.geteuid() == 0
    uid = NOBODY if root else os.geteuid()
    weak = (f"no private filesystem: the code can read what uid {uid} can read, and write to "
            "world-writable directories through native calls", "no disk quota")
    unshare = shutil.which("unshare")
    for python in _interpreters():
        if unshare and root:
            plans.append((_Plan("unshare", (unshare, "--net", "--pid", "--fork", "--kill-child=SIGKILL"),
                                python, NOBODY, missing=weak), f"unshare with {python}"))
    plain_missing = weak + ("no network or PID namespace (the audit hook is the only network guard)",)
    for python in _interpreters():
        plans.append((_Plan("plain", (), python, NOBODY if root else None,
                            missing=plain_missing + (() if root else ("no uid change",))),
                      f"plain child with {python}"))
    return plans


_WHY_NOT_BWRAP: list[str] = []


@functools.lru_cache(maxsize=1)
def _plan() -> _Plan:
    """The most isolated launch plan that actually runs a probe program here."""
    tried = []
    for plan, label in _candidate_plans():
        res = _run(plan, _PROBE_CODE, stdin="", timeout_s=20, cpu_s=10, mem_mb=512,
                   max_procs=64, max_output=2000, file_mb=1, disk_mb=4)
        if res.ok and res.stdout.split()[:1] == ["ok"]:
            if plan.kind != "bwrap":
                why = "; ".join(_WHY_NOT_BWRAP) or "bwrap is not installed (apt-get install bubblewrap)"
                msg = (f"codegap sandbox: kernel containment unavailable ({why}); model code runs "
                       f"with weaker isolation ({plan.kind}): {'; '.join(plan.missing)}")
                if os.environ.get("CODEGAP_SANDBOX_STRICT", "") not in ("", "0"):
                    raise RuntimeError(msg + " -- refused because CODEGAP_SANDBOX_STRICT is set")
                warnings.warn(msg, RuntimeWarning, stacklevel=3)
            return plan
        last = (res.stderr.strip().splitlines() or [res.reason])[-1][:200]
        tried.append(f"{label}: {last}")
        if plan.kind == "bwrap":
            _WHY_NOT_BWRAP.append(last)
    raise RuntimeError("sandbox: no way to start a Python child here (" + " | ".join(tried) + ")")


def isolation() -> dict[str, object]:
    """Which layers are active on this machine (for docs, tests and run logs)."""
    plan = _plan()
    feats = _bwrap_features()
    return {
        "level": {"bwrap": "kernel", "unshare": "namespaces", "plain": "process"}[plan.kind],
        "launcher": (f"bwrap ({feats[0]})" if plan.kind == "bwrap" and feats else plan.kind),
        "namespaces": plan.kind in ("bwrap", "unshare"),  # network + PID namespaces
        "private_filesystem": plan.kind == "bwrap",
        "disk_quota": plan.quota,
        "user_namespace": plan.userns,
        "runs_as_uid": NOBODY if (plan.drop_to is not None or plan.userns) else os.geteuid(),
        "python": plan.python,
        "audit_hook": True,
        "missing": list(plan.missing),
        "why_not_kernel": list(_WHY_NOT_BWRAP) if plan.kind != "bwrap" else [],
    }


def _clean_env(workdir: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                "PYTHONIOENCODING": "utf-8", "LANG": env.get("LANG", "C.UTF-8")})
    return env


def _memfd(name: str, data: bytes = b"") -> int:
    """An anonymous in-memory file (no path on the host), positioned at its start."""
    fd = os.memfd_create(f"codegap-sbx-{name}")
    if data:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_capped(fd: int, limit: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    data = b"".join(chunks)
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
    """Reap `pid` if it exits before `until` (monotonic time); None on timeout.

    Waits on a pidfd (readable when the process exits), so a run is reaped the
    moment it ends; falls back to polling with a growing sleep where pidfds are
    unavailable (Linux < 5.3)."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        try:
            while True:
                got, status, usage = os.wait4(pid, os.WNOHANG)
                if got:
                    return got, status, usage
                remaining = until - time.monotonic()
                if remaining <= 0:
                    return None
                poller.poll(max(1, int(remaining * 1000)))
        finally:
            os.close(pidfd)
    delay = 0.001
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got:
            return got, status, usage
        if time.monotonic() >= until:
            return None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)


def _wait(proc: subprocess.Popen, timeout_s: float, kind: str) -> tuple[int, float, bool]:
    """Wait for the child with a wall-clock limit; return (exit code, CPU seconds, timed out).

    Uses `os.wait4` rather than `Popen.wait` to get the CPU time the child and
    its waited-for descendants used (reliable for the unshare and plain plans;
    bwrap exits without reaping its namespace's init, so there the exit signal
    tells a CPU-limit kill). On timeout: bwrap is killed and `--die-with-parent`
    takes the PID namespace down with it; under `unshare` the children are
    killed first so that `unshare` reaps them (killing it first would leave them
    to the system's init).
    """
    timed_out = False
    got = _poll(proc.pid, time.monotonic() + timeout_s)
    if got is None:
        timed_out = True
        if kind == "unshare":
            for child in _children(proc.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            got = _poll(proc.pid, time.monotonic() + 2.0)
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
    # Through `unshare --fork` and bwrap a child's death by signal N shows as 128 + N.
    sig = -returncode if returncode < 0 else (returncode - 128 if returncode > 128 else None)
    if sig == signal.SIGXCPU or cpu_used >= max(1, round(cpu_s)) * 0.95:
        return "cpu"
    last = (stderr.strip().splitlines() or [""])[-1]
    if sig == signal.SIGXFSZ or "[Errno 27]" in last or "File too large" in last:
        return "file_size"
    if "[Errno 28]" in last or "No space left on device" in last:
        return "disk_full"
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
    disk_mb: int = 64,
) -> SandboxResult:
    """Run `code` as a Python program in the sandbox and return what happened.

    stdout/stderr go to in-memory files, capped by the file-size limit (so an
    output flood stops the child, not this process) and returned truncated to
    `max_output` characters each. `disk_mb` is the size of the private working
    directory (all files together; only under bwrap).
    """
    return _run(_plan(), code, stdin=stdin, timeout_s=timeout_s, cpu_s=cpu_s, mem_mb=mem_mb,
                max_procs=max_procs, max_output=max_output, file_mb=file_mb, disk_mb=disk_mb)


def _run(plan: _Plan, code: str, *, stdin: str, timeout_s: float, cpu_s: float, mem_mb: int,
         max_procs: int, max_output: int, file_mb: int, disk_mb: int = 64,
         guard: bool = True) -> SandboxResult:
    """Launch one child under `plan`. `guard=False` leaves out the audit hook, which
    tests use to show the kernel-level layers hold on their own."""
    start = time.monotonic()
    host_dir = None
    fds: list[int] = []
    try:
        if plan.kind == "bwrap":
            workdir = SANDBOX_DIR
            disk = max(1, int(disk_mb)) * 1024 * 1024
            argv = list(plan.prefix)
            argv += ["--size", str(disk)] if plan.quota else []
            argv += ["--tmpfs", SANDBOX_DIR]
            argv += ["--size", str(min(disk, 8 * 1024 * 1024))] if plan.quota else []
            argv += ["--tmpfs", "/dev/shm"]
            # The root and /dev are tmpfs mounts bwrap builds; in a user namespace they
            # belong to the sandbox uid, so without this they would be unsized scratch space.
            argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", SANDBOX_DIR, "--"]
            own = [SANDBOX_DIR, "/dev/shm"]
        else:
            host_dir = tempfile.mkdtemp(prefix="codegap-sbx-")
            if plan.drop_to is not None:
                os.chown(host_dir, plan.drop_to, plan.drop_to)
            os.chmod(host_dir, 0o700)
            workdir, argv, own = host_dir, list(plan.prefix), []
        code_fd = _memfd("code", code.encode("utf-8", "surrogateescape"))
        fds.append(code_fd)
        fin, fout, ferr = _memfd("stdin", stdin.encode("utf-8", "surrogateescape")), _memfd("stdout"), _memfd("stderr")
        fds += [fin, fout, ferr]
        cfg = {
            "workdir": workdir,
            "code_fd": code_fd,
            "own": own,
            "drop_to": plan.drop_to,
            "guard": guard,
            "limits": _limits(cpu_s, mem_mb, max_procs, max(int(file_mb) * 1024 * 1024, max_output * 4)),
        }
        # -I: no user site, no PYTHON* variables; -S: no site-packages or .pth files (the
        # child needs the standard library only, and site costs ~20 ms per run with pyenv).
        argv += [plan.python, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(cfg)]
        try:
            proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr,
                                    cwd=host_dir or "/", env=_clean_env(workdir),
                                    start_new_session=True, close_fds=True, pass_fds=(code_fd,))
        except OSError as exc:
            return SandboxResult(False, None, "", f"sandbox: cannot start: {exc}", False,
                                 "sandbox_error", time.monotonic() - start)
        returncode, cpu_used, timed_out = _wait(proc, timeout_s, plan.kind)
        stdout = _read_capped(fout, max_output)
        stderr = _read_capped(ferr, max_output)
        reason = _classify(returncode, cpu_used, cpu_s, timed_out, stderr)
        return SandboxResult(reason == "ok", returncode, stdout, stderr, timed_out, reason,
                             time.monotonic() - start)
    finally:
        for fd in fds:
            os.close(fd)
        if host_dir is not None:
            shutil.rmtree(host_dir, ignore_errors=True)


def _describe() -> str:
    """One line saying what contains model code here, and how to get the rest."""
    info = isolation()
    if info["level"] == "kernel":
        return (f"sandbox: kernel containment via {info['launcher']}; code runs as uid {info['runs_as_uid']} "
                f"with {info['python']}" + (f"; missing: {'; '.join(info['missing'])}" if info["missing"] else ""))
    hint = ("install bubblewrap (`make sandbox`, or apt-get install bubblewrap)"
            if _bwrap_features() is None else
            "bwrap cannot create its namespaces; on Ubuntu 24.04 allow unprivileged user namespaces for bwrap "
            "(AppArmor profile, or sysctl kernel.apparmor_restrict_unprivileged_userns=0)")
    return (f"sandbox: WEAK isolation ({info['level']}): {'; '.join(info['missing'])}; "
            f"why: {'; '.join(info['why_not_kernel']) or 'no bwrap'}; fix: {hint}")


if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        line = _describe()
    except RuntimeError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        sys.exit(1)
    print(line)
    strict = os.environ.get("CODEGAP_SANDBOX_STRICT", "") not in ("", "0")
    sys.exit(1 if strict and not line.startswith("sandbox: kernel") else 0)
