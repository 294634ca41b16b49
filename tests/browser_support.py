"""Find a real Chromium-family browser for the headless checks, and say which one.

Why not just `shutil.which("chromium")`: on Ubuntu `chromium` / `chromium-browser`
from apt is a transitional package whose binary is a shell stub asking for the snap,
while GitHub's Ubuntu images already ship Google Chrome and a Chromium build. So each
candidate is asked for its version and kept only if it answers like a browser.

Order: $CODEGAP_BROWSER, $CHROME_BIN (set on GitHub's images), then the usual names
and install paths. `python tests/browser_support.py` prints the browser found (the
Makefile's `browser` target uses it) or exits 1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PATHS = ("/usr/lib/chromium/chromium", "/opt/google/chrome/chrome",
         "/usr/local/share/chromium/chrome-linux/chrome")
VERSION = re.compile(r"\b(Chromium|Google Chrome|Chrome for Testing|Chrome)\s+\d+(\.\d+)+[^\n]*")


@dataclass(frozen=True)
class Browser:
    path: str
    version: str  # what `--version` printed, e.g. "Chromium 156.0.8078.108 built on Debian ..."

    def describe(self) -> str:
        return f"{self.version} at {self.path}"


def _candidates() -> list[str]:
    out = [os.environ.get(v, "") for v in ("CODEGAP_BROWSER", "CHROME_BIN")]
    out += [shutil.which(n) or "" for n in NAMES]
    out += list(PATHS)
    seen: list[str] = []
    for c in out:
        if c and c not in seen and os.path.isfile(c) and os.access(c, os.X_OK):
            seen.append(c)
    return seen


def probe(path: str) -> Browser | None:
    """The browser at `path` if it reports a Chromium-family version (a snap stub does not)."""
    try:
        res = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = VERSION.search(res.stdout)
    return Browser(path, m.group(0).strip()) if res.returncode == 0 and m else None


@lru_cache(maxsize=1)
def find_browser() -> Browser | None:
    """The first real Chromium-family browser on this machine, or None."""
    for path in _candidates():
        found = probe(path)
        if found:
            return found
    return None


if __name__ == "__main__":
    b = find_browser()
    if b is None:
        print("no Chromium-family browser found (tried $CODEGAP_BROWSER, $CHROME_BIN, "
              + ", ".join(NAMES) + ")", file=sys.stderr)
        sys.exit(1)
    print(f"browser: {b.describe()}")
