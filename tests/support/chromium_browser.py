#!/usr/bin/env python3
"""Real headless Chromium as idm-auth's ``$BROWSER``, driven through chromedriver with the
W3C WebDriver protocol (Python standard library only: urllib + json)::

    BROWSER="python3 /abs/tests/support/chromium_browser.py --log /tmp/x/chromium.json"

The authorize URL comes as the last argument (or in place of ``%s``). The script starts
``$IDM_AUTH_TEST_CHROMEDRIVER`` (default /usr/bin/chromedriver) on a free loopback port,
opens a session on ``$IDM_AUTH_TEST_CHROMIUM`` (default /usr/bin/chromium) with a fresh
profile, navigates to the URL, waits for the consent page's ``#approve`` button (or
``#deny`` with ``--decision deny``) and clicks it, then waits until the page's text says
"You can close this tab" (or "denied"/"failed"), and writes
``{"final_text": <body innerText>, "title": <document title>}`` to the log. On any error
the log is ``{"error": "...", "final_text"?: ..., "title"?: ...}`` and the exit status 1.
The session, chromedriver and the profile directory are always cleaned up.

Options:
  --log FILE              JSON result (written atomically)
  --decision approve|deny which button to click (default approve)
  --timeout SECONDS       each wait (element, final text); default 20
  --delay SECONDS         wait before starting
  --screenshot FILE       also save a PNG of the final page (debugging)
  --stay-open             sleep 60 s after finishing

The final URL (the loopback callback, which carries the authorization code) is never logged.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from browser_common import ensure_std_streams, finish, write_log

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
DONE_MARKERS = ("you can close this tab", "denied", "failed")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    # Keep Chromium away from the test keyring (it would otherwise store its own
    # "Chromium Safe Storage" secret through the Secret Service on the private bus).
    "--password-store=basic",
    "--window-size=1024,768",
]


class DriverError(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, base: str):
        self.base = base
        self.session: str | None = None

    def call(self, method: str, path: str, payload: dict | None = None, timeout: float = 60.0):
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json; charset=utf-8")
        # Never go through a proxy for loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                value = json.loads(body).get("value", {})
                err = value.get("error", "unknown error")
                msg = (value.get("message") or "").splitlines()[0:1]
            except Exception:
                err, msg = f"HTTP {e.code}", []
            raise DriverError(f"{method} {path.split('/')[-1] or path}: {err}: {' '.join(msg)}") from None
        except OSError as e:
            raise DriverError(f"{method} {path}: chromedriver unreachable: {e}") from None
        return json.loads(body or b"{}").get("value")

    def s(self, method: str, path: str, payload: dict | None = None, timeout: float = 60.0):
        assert self.session
        return self.call(method, f"/session/{self.session}{path}", payload, timeout)


def start_chromedriver(binary: str, workdir: str) -> tuple[subprocess.Popen, WebDriver, str]:
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise DriverError(f"chromedriver not found or not executable: {binary}")
    last_error = "did not start"
    for _attempt in range(3):
        port = free_port()
        log_path = os.path.join(workdir, f"chromedriver-{port}.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [binary, f"--port={port}", "--allowed-ips=127.0.0.1", "--log-level=WARNING"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        driver = WebDriver(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"chromedriver exited with status {proc.returncode}: {tail(log_path)}"
                break
            try:
                status = driver.call("GET", "/status", timeout=2)
                if status and status.get("ready"):
                    return proc, driver, log_path
            except DriverError as e:
                last_error = str(e)
            time.sleep(0.1)
        stop_process(proc)
    raise DriverError(f"chromedriver failed to start: {last_error}")


def tail(path: str, n: int = 600) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
        return data[-n:].decode("utf-8", errors="replace").strip()
    except OSError:
        return ""


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except OSError:
        pass


def find(driver: WebDriver, css: str) -> str | None:
    try:
        value = driver.s("POST", "/element", {"using": "css selector", "value": css}, timeout=10)
    except DriverError as e:
        if "no such element" in str(e) or "stale" in str(e):
            return None
        raise
    return value.get(ELEMENT_KEY) if isinstance(value, dict) else None


def body_text(driver: WebDriver) -> str:
    value = driver.s(
        "POST",
        "/execute/sync",
        {"script": "return document.body ? document.body.innerText : '';", "args": []},
        timeout=10,
    )
    return value or ""


def run(args: argparse.Namespace, workdir: str, state: dict) -> dict:
    chromedriver = os.environ.get("IDM_AUTH_TEST_CHROMEDRIVER") or "/usr/bin/chromedriver"
    chromium = os.environ.get("IDM_AUTH_TEST_CHROMIUM") or "/usr/bin/chromium"
    if not os.path.isfile(chromium):
        raise DriverError(f"chromium not found: {chromium}")
    proc, driver, _log = start_chromedriver(chromedriver, workdir)
    state["proc"], state["driver"] = proc, driver
    profile = os.path.join(workdir, "profile")
    os.makedirs(profile)
    caps = {
        "capabilities": {
            "alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "timeouts": {"pageLoad": int(args.timeout * 1000), "script": 10000, "implicit": 0},
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": CHROMIUM_ARGS + [f"--user-data-dir={profile}"],
                },
            }
        }
    }
    created = driver.call("POST", "/session", caps, timeout=60)
    driver.session = created["sessionId"]

    driver.s("POST", "/url", {"url": args.url}, timeout=args.timeout + 10)

    button_css = "#approve" if args.decision == "approve" else "#deny"
    deadline = time.monotonic() + args.timeout
    element = None
    while time.monotonic() < deadline:
        element = find(driver, button_css)
        if element:
            break
        time.sleep(0.2)
    if not element:
        state["text"] = safe(lambda: body_text(driver))
        raise DriverError(f"no {button_css} button appeared within {args.timeout:g} s")
    driver.s("POST", f"/element/{element}/click", {}, timeout=args.timeout + 10)

    deadline = time.monotonic() + args.timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            text = body_text(driver)
        except DriverError:
            text = ""  # mid-navigation: try again
        if any(m in text.lower() for m in DONE_MARKERS):
            break
        time.sleep(0.2)
    else:
        state["text"] = text
        raise DriverError(
            f"the page did not say 'You can close this tab'/'denied'/'failed' within {args.timeout:g} s"
        )
    title = safe(lambda: driver.s("GET", "/title", timeout=10)) or ""
    if args.screenshot:
        png = driver.s("GET", "/screenshot", timeout=20)
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(png))
    return {"final_text": text, "title": title, "decision": args.decision}


def safe(fn):
    try:
        return fn()
    except Exception:
        return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Headless Chromium stand-in browser for idm-auth tests.")
    p.add_argument("--log")
    p.add_argument("--decision", choices=("approve", "deny"), default="approve")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--screenshot")
    p.add_argument("--stay-open", action="store_true")
    p.add_argument("urls", nargs="*")
    args = p.parse_intermixed_args(argv)
    args.url = args.urls[-1] if args.urls else None
    return args


def main(argv: list[str]) -> int:
    ensure_std_streams()
    try:
        args = parse_args(argv)
    except SystemExit as e:
        if e.code in (0, None):
            return 0
        log = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--log"), None)
        write_log(log, {"error": "bad arguments to chromium_browser.py"})
        return 1
    if args.delay > 0:
        time.sleep(args.delay)
    workdir = tempfile.mkdtemp(prefix="idm-auth-chromium.")
    state: dict = {}
    status = 0
    try:
        if not args.url:
            raise DriverError("no URL argument")
        result = run(args, workdir, state)
    except Exception as e:
        status = 1
        kind = "" if isinstance(e, DriverError) else f"{type(e).__name__}: "
        result = {"error": kind + str(e)}
        if state.get("text") is not None:
            result["final_text"] = state["text"]
        proc = state.get("proc")
        if proc is not None:
            for name in os.listdir(workdir):
                if name.startswith("chromedriver-"):
                    result["chromedriver_log_tail"] = tail(os.path.join(workdir, name))
    finally:
        driver = state.get("driver")
        if driver is not None and driver.session:
            safe(lambda: driver.s("DELETE", "", timeout=20))
        proc = state.get("proc")
        if proc is not None:
            if driver is not None:
                safe(lambda: driver.call("GET", "/shutdown", timeout=5))
            stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return finish("chromium_browser.py", args.log, result, status, args.stay_open)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
