#!/usr/bin/env python3
"""Write an idm-auth index with N opt-ins, for timing `list --json` and `token` (no secrets:
the index holds none, and `list` never reads the keyring).

    python3 make_index.py N DATA_DIR              # writes DATA_DIR/idm-auth/index.json (0600)
    python3 make_index.py N DATA_DIR INDEX_FILE   # the same, with INDEX_FILE's opt-ins among
                                                  # the N, in the middle of the file and newer
                                                  # than the others (so `token` takes one)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys


def stamp(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def row(i: int, now: dt.datetime) -> dict:
    created = now - dt.timedelta(minutes=7 * i + 1)
    return {
        "id": f"{0x10000000 + i * 7919:08x}",
        "label": f"shipping desk {i}",
        "profile": None,
        "environment": "cie" if i % 3 else "production",
        "base_url": "https://wwwcie.ups.com" if i % 3 else "https://onlinetools.ups.com",
        "client_id": "bench-client-id-0123456789abcdef",
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "created_at": stamp(created),
        "refreshed_at": stamp(created + dt.timedelta(hours=3)) if i % 2 else None,
        "expires_at": stamp(created + dt.timedelta(hours=4)),
        "refresh_expires_at": stamp(created + dt.timedelta(days=60)),
        "refresh_count": i % 5,
        "invalid_reason": "UPS refused to refresh it: invalid_grant" if i % 17 == 16 else None,
        "keyring": "secret-service",
        "has_client_secret": i % 4 != 0,  # most apps keep their secret
    }


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    count, data_dir = int(sys.argv[1]), sys.argv[2]
    real = []
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            real = json.load(f)["opt_ins"]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if real:  # the fixture's opt-ins older than the real ones
        now -= dt.timedelta(hours=1)
    target = os.path.join(data_dir, "idm-auth")
    os.makedirs(target, mode=0o700, exist_ok=True)
    rows = [row(i, now) for i in range(count - len(real))]
    rows[len(rows) // 2 : len(rows) // 2] = real
    path = os.path.join(target, "index.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        # The shape idm-auth writes (store/index.rs, encode): one opt-in a line.
        compact = {"separators": (",", ":")}
        f.write('{"version":1,"opt_ins":[')
        f.write(",".join("\n" + json.dumps(r, **compact) for r in rows))
        f.write("\n]}\n" if rows else "]}\n")

if __name__ == "__main__":
    main()
