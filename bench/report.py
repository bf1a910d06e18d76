#!/usr/bin/env python3
"""Turn one run of scripts/bench into the results table (Markdown on stdout).

    python3 report.py WORK_DIR

WORK_DIR holds hyperfine's JSON exports, one per round (token.N.json, token200.N.json, miss.N.json,
list1.N.json, list200.N.json, list2000.N.json, authorize.N.json), and facts.env (KEY=VALUE
lines written by scripts/bench). Every ratio compares medians of commands measured in the
same interleaved rounds.
"""

from __future__ import annotations

import glob
import json
import os
import statistics
import sys

MB = 1_000_000


def load(work: str, name: str) -> dict[str, dict]:
    """The rounds of one comparison pooled: per command, the median of all run times and
    the mean user and system CPU time."""
    pooled: dict[str, dict] = {}
    for path in sorted(glob.glob(os.path.join(work, f"{name}.*.json"))):
        with open(path) as f:
            for r in json.load(f)["results"]:
                p = pooled.setdefault(r["command"], {"times": [], "user": [], "system": []})
                p["times"] += r["times"]
                p["user"].append(r["user"])
                p["system"].append(r["system"])
    return {
        command: {
            "median": statistics.median(p["times"]),
            "user": statistics.mean(p["user"]),
            "system": statistics.mean(p["system"]),
            "runs": len(p["times"]),
        }
        for command, p in pooled.items()
    }


def facts(work: str) -> dict[str, str]:
    out = {}
    with open(os.path.join(work, "facts.env")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            out[key] = value
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "–"
    return "met" if ok else "**NOT met**"


def main() -> None:
    work = sys.argv[1]
    f = facts(work)
    token = load(work, "token")
    token200 = load(work, "token200")
    miss = load(work, "miss")
    lists = {n: load(work, f"list{n}") for n in (1, 200, 2000)}
    auth = load(work, "authorize")["authorize"]

    cat, tok, st = token["cat"]["median"], token["token"]["median"], token["secret-tool"]["median"]
    version = token["version"]["median"]
    rows = []

    def add(what, median, against, ratio, target, ok):
        rows.append(f"| {what} | {median} | {against} | {ratio} | {target} | {verdict(ok)} |")

    add("`token`, valid token (kernel-keyring cache hit)", ms(tok), f"`cat` 1,500 B: {ms(cat)}",
        f"{tok / cat:.2f}×", "≤ 1.0× `cat`", tok <= 1.0 * cat)
    add("`token`, valid token (kernel-keyring cache hit)", ms(tok), f"`secret-tool lookup` 1,500 B: {ms(st)}",
        f"{tok / st:.2f}×", "≤ 0.5× `secret-tool`", tok <= 0.5 * st)
    t200, c200 = token200["token"]["median"], token200["cat"]["median"]
    add("`token`, valid token, 200 opt-ins in the index", ms(t200), f"`cat` 1,500 B: {ms(c200)}",
        f"{t200 / c200:.2f}×", "≤ 1.1× `cat`", t200 <= 1.1 * c200)
    m = miss["token"]["median"]
    rows.append(f"| `token`, cache miss (Secret Service read, then cached) | {ms(m)} | "
                f"`secret-tool lookup`: {ms(miss['secret-tool']['median'])} | "
                f"{m / miss['secret-tool']['median']:.2f}× | (for information) | – |")
    per_row = {}
    for n in (1, 200, 2000):
        lst, c = lists[n]["list"]["median"], lists[n]["cat"]["median"]
        per_row[n] = lst
        label = f"`list --json`, {n:,} opt-in{'s' if n > 1 else ''} ({int(f[f'list{n}_bytes']):,} B)"
        if n == 200:
            add(label, ms(lst), f"`cat` same bytes: {ms(c)}", f"{lst / c:.2f}×", "≤ 1.5× `cat`", lst <= 1.5 * c)
        else:
            rows.append(f"| {label} | {ms(lst)} | `cat` same bytes: {ms(c)} | {lst / c:.2f}× | (for information) | – |")
    growth = (per_row[2000] - per_row[1]) / max(per_row[200] - per_row[1], 1e-9)
    # 1,999 extra rows against 199: linear is about 10.05×; allow noise of the 200-row figure.
    add("`list --json` growth 200 → 2,000", f"{growth:.1f}× the extra time", "1 opt-in as the base",
        "linear = 10.05×", "linear or better (≤ 12.6×: 10.05× + 25 % for noise)", growth <= 10.05 * 1.25)
    own = auth["user"] + auth["system"]
    add("`authorize` end to end (simulator + scripted browser)", f"{ms(auth['median'])} wall",
        "our own CPU time (user + sys)", ms(own), "≤ 30 ms of our own time", own <= 0.030)
    add("`--version` (start-up)", ms(version), f"`cat`: {ms(cat)}", f"{version / cat:.2f}×", "(for information)", None)
    size = int(f["size"])
    add("release binary (static PIE)", f"{size:,} B ({size / 2**20:.2f} MiB)", "", "", "≤ 6 MB (6,000,000 B)", size <= 6 * MB)
    for key, what, limit in (
        ("rss_token", "`token` (cache hit)", 10),
        ("rss_miss", "`token` (cache miss)", 10),
        ("rss_list200", "`list --json`, 200", 10),
        ("rss_list2000", "`list --json`, 2,000", 10),
        ("rss_version", "`--version`", None),
        ("rss_authorize", "`authorize`", None),
    ):
        kb = int(f[key])
        target = f"≤ {limit} MB" if limit else "(for information)"
        ok = kb * 1024 <= limit * MB if limit else None
        add(f"peak memory, {what}", f"{kb / 1024:.1f} MiB", "max RSS", "", target, ok)

    print("| measure | median | against | ratio | target | |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print(f"Machine: {f['machine']}; load average before/after: {f['load_before']} / {f['load_after']}; "
          f"rounds that found no quiet moment within 20 s: {f['busy_rounds']}; "
          f"{f['hyperfine']}; commit {f['commit']}; runs per command: {token['token']['runs']} "
          f"in {f['rounds']} interleaved rounds (authorize: {auth['runs']}).")


if __name__ == "__main__":
    main()
