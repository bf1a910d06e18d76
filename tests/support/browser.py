#!/usr/bin/env python3
"""A scripted stand-in for the system browser (Python standard library only).

Launched by idm-auth as ``$BROWSER``, with the authorize URL as the last argument (or in
place of ``%s``)::

    BROWSER="python3 /abs/tests/support/browser.py --decision approve --log /tmp/x/browser.json"

It does what a person with a browser would: GET the authorize URL, follow the redirects to
the UPS.com sign-in/consent page, submit its form with the chosen button, follow the
redirect back to the loopback callback and GET it. No cookies, at most 10 redirects per
navigation, every redirect handled here (301/302/303 turn into GET, 307/308 repeat the
method and body).

Options:
  --decision approve|deny|none  which consent button to press; ``none`` only opens the
                                authorize URL (and its redirects) and stops (timeout tests)
  --delay SECONDS               wait before doing anything
  --wait-for FILE               wait (up to 60 s) until FILE exists before doing anything:
                                the test's go-ahead, where the browser must hold what it
                                was handed until the test has looked at it
  --log FILE                    where to write the JSON result (written atomically)
  --username NAME               value typed into the sign-in form's username field
  --stay-open                   sleep 60 s after finishing (proves the CLI doesn't wait)
  --timeout SECONDS             per-request timeout (default 15)
  --insecure                    don't verify TLS certificates (https URLs only)

The log is ``{"final_status": int, "final_body": str, "final_headers": {...},
"hops": [status, ...], "argv_ok": bool}`` (plus ``argv_problems`` when argv_ok is false,
and ``stopped_at`` for ``--decision none``). On any error it is ``{"error": "...",
"hops": [...]}`` and the exit status is 1. URLs are never logged with their query: the
callback's ``code`` is a secret.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse
from html.parser import HTMLParser

from browser_common import ensure_std_streams, finish, write_log

MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)
BODY_LIMIT = 256 * 1024
REQUIRED_AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge")


class BrowserError(Exception):
    pass


def redact(url: str) -> str:
    """scheme://host:port/path only: queries and fragments may carry secrets."""
    try:
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    except Exception:  # pragma: no cover - defensive
        return "<unparseable URL>"


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes, url: str):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def headers_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.headers:
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def text(self) -> str:
        charset = "utf-8"
        ctype = self.header("content-type") or ""
        for piece in ctype.split(";")[1:]:
            k, _, v = piece.strip().partition("=")
            if k.lower() == "charset" and v:
                charset = v.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class Browser:
    def __init__(self, timeout: float, insecure: bool):
        self.timeout = timeout
        self.insecure = insecure
        self.hops: list[int] = []

    def _request(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BrowserError(f"not an http(s) URL: {redact(url)!r}")
        host = parts.hostname
        port = parts.port
        if parts.scheme == "https":
            ctx = ssl.create_default_context()
            if self.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=ctx
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        all_headers = {
            "User-Agent": "idm-auth-test-browser/1.0",
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Accept-Language": "en-US,en;q=0.9",
            "Connection": "close",
        }
        all_headers.update(headers)
        try:
            conn.request(method, target, body=body, headers=all_headers)
            resp = conn.getresponse()
            data = resp.read(BODY_LIMIT + 1)[:BODY_LIMIT]
            result = Response(resp.status, list(resp.getheaders()), data, url)
        except (OSError, http.client.HTTPException) as e:
            raise BrowserError(f"{method} {redact(url)} failed: {type(e).__name__}: {e}") from None
        finally:
            conn.close()
        self.hops.append(result.status)
        return result

    def navigate(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        """One navigation: the request plus every redirect after it."""
        headers = dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._request(method, url, body, headers)
            if resp.status not in REDIRECTS:
                return resp
            location = resp.header("location")
            if not location:
                raise BrowserError(f"{resp.status} from {redact(url)} without a Location header")
            url = urllib.parse.urljoin(url, location.strip())
            if resp.status in (301, 302, 303) and method != "HEAD":
                method, body = "GET", None
                headers.pop("Content-Type", None)
        raise BrowserError(f"more than {MAX_REDIRECTS} redirects")


class FormParser(HTMLParser):
    """Collects forms: action, method, inputs (name/value/type) and submit buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._current: dict | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = {
                "action": a.get("action", ""),
                "method": (a.get("method") or "get").lower(),
                "enctype": a.get("enctype") or "application/x-www-form-urlencoded",
                "inputs": [],
                "buttons": [],
            }
            self.forms.append(self._current)
        elif self._current is None:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image"):
                self._current["buttons"].append(
                    {"name": a.get("name"), "value": a.get("value", ""), "id": a.get("id")}
                )
            elif kind in ("checkbox", "radio"):
                if "checked" in a and a.get("name"):
                    self._current["inputs"].append((a["name"], a.get("value", "on"), kind))
            elif kind not in ("button", "reset", "file") and a.get("name") and "disabled" not in a:
                self._current["inputs"].append((a["name"], a.get("value", ""), kind))
        elif tag == "button":
            kind = (a.get("type") or "submit").lower()
            if kind == "submit":
                self._button = {"name": a.get("name"), "value": a.get("value", ""), "id": a.get("id")}
                self._current["buttons"].append(self._button)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "button":
            self._button = None


def submit_consent(browser: Browser, page: Response, decision: str, username: str | None) -> Response:
    parser = FormParser()
    parser.feed(page.text())
    parser.close()
    for form in parser.forms:
        button = next(
            (b for b in form["buttons"] if b.get("value") == decision or b.get("id") == decision),
            None,
        )
        if button is None:
            continue
        if form["method"] != "post":
            raise BrowserError(f"the consent form uses method {form['method']!r}, expected post")
        fields = []
        for name, value, kind in form["inputs"]:
            if username is not None and name == "username" and kind != "hidden":
                value = username
            fields.append((name, value))
        if button.get("name"):
            fields.append((button["name"], button.get("value", "")))
        action = urllib.parse.urljoin(page.url, form["action"] or page.url)
        body = urllib.parse.urlencode(fields).encode("ascii")
        return browser.navigate(
            "POST",
            action,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin_of(page.url)},
        )
    raise BrowserError(
        f"no form with a {decision!r} submit button on the page at {redact(page.url)} "
        f"(status {page.status}, {len(parser.forms)} form(s))"
    )


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RefreshParser(HTMLParser):
    """Finds the target of a page's ``<meta http-equiv="refresh" content="0;url=...">``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.target: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh" and self.target is None:
            _, _, rest = a.get("content", "").partition(";")
            key, _, value = rest.strip().partition("=")
            if key.strip().lower() == "url":
                self.target = value.strip()


def open_handed(url: str) -> str:
    """What a browser does with what it was handed: a ``file:`` page is read from disk and
    its meta refresh followed (idm-auth hands a forwarding page, never the authorize URL)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return url
    with open(urllib.parse.unquote(parts.path), encoding="utf-8") as f:
        parser = RefreshParser()
        parser.feed(f.read())
    if not parser.target:
        raise BrowserError("the page handed over has no meta refresh")
    return parser.target


def check_argv(urls: list[str]) -> list[str]:
    problems = []
    if len(urls) != 1:
        problems.append(f"expected exactly one URL argument, got {len(urls)}")
    if urls:
        url = open_handed(urls[-1])
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append("the URL argument is not an absolute http(s) URL")
        params = urllib.parse.parse_qs(parts.query)
        missing = [p for p in REQUIRED_AUTHORIZE_PARAMS if p not in params]
        if missing:
            problems.append("the authorize URL lacks " + ", ".join(missing))
    return problems


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Scripted stand-in browser for idm-auth tests.")
    p.add_argument("--decision", choices=("approve", "deny", "none"), default="approve")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--wait-for")
    p.add_argument("--log")
    p.add_argument("--username")
    p.add_argument("--stay-open", action="store_true")
    p.add_argument("--timeout", type=float, default=15.0)
    p.add_argument("--insecure", action="store_true")
    p.add_argument("urls", nargs="*")
    return p.parse_intermixed_args(argv)


def run(args: argparse.Namespace, browser: Browser) -> dict:
    problems = check_argv(args.urls)
    if not args.urls:
        raise BrowserError("no URL argument")
    if args.delay > 0:
        time.sleep(args.delay)
    if args.wait_for:
        end = time.monotonic() + 60
        while not os.path.exists(args.wait_for):
            if time.monotonic() > end:
                raise BrowserError("no go-ahead file " + args.wait_for)
            time.sleep(0.02)
    page = browser.navigate("GET", open_handed(args.urls[-1]))
    if args.decision != "none":
        page = submit_consent(browser, page, args.decision, args.username)
    result = {
        "final_status": page.status,
        "final_body": page.text(),
        "final_headers": page.headers_dict(),
        "hops": browser.hops,
        "argv_ok": not problems,
        "decision": args.decision,
    }
    if problems:
        result["argv_problems"] = problems
    if args.decision == "none":
        result["stopped_at"] = redact(page.url)
    return result


def main(argv: list[str]) -> int:
    ensure_std_streams()
    try:
        args = parse_args(argv)
    except SystemExit as e:  # argparse error: still leave a log if we can find it
        log = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--log"), None)
        if e.code in (0, None):  # --help
            return 0
        write_log(log, {"error": "bad arguments to browser.py"})
        return 1
    browser = Browser(args.timeout, args.insecure)
    status = 0
    try:
        problems = check_argv(args.urls)
    except (OSError, BrowserError) as e:
        problems = [f"cannot open what was handed over: {e}"]
    try:
        result = run(args, browser)
    except BrowserError as e:
        result, status = {"error": str(e)}, 1
    except Exception as e:  # anything unexpected still ends up in the log
        result, status = {"error": f"{type(e).__name__}: {e}"}, 1
    if status:
        result.update({"hops": browser.hops, "argv_ok": not problems})
        if problems:
            result["argv_problems"] = problems
    return finish("browser.py", args.log, result, status, args.stay_open)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
