"""Pieces shared by the test browsers (browser.py, chromium_browser.py): the log they write,
how they end, and the standard streams they need when launched detached."""

import json
import os
import sys
import time


def write_log(path: str | None, payload: dict) -> None:
    """Write the JSON log atomically, so a test never reads half of it."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def ensure_std_streams() -> None:
    """Launched detached, fds 0-2 may be closed: point them at /dev/null."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")


def finish(name: str, log: str | None, result: dict, status: int, stay_open: bool) -> int:
    """Write the log, report a failure on stderr, stay open if asked (as a browser tab
    does), and return the exit status."""
    try:
        write_log(log, result)
    except OSError as e:
        print(f"{name}: cannot write the log: {e}", file=sys.stderr)
        status = 1
    if status:
        print(f"{name}: {result.get('error')}", file=sys.stderr)
    if stay_open:
        time.sleep(60)
    return status
