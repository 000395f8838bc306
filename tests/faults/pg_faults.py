#!/usr/bin/env python3
"""PostgreSQL fault suite (run by .ci/pg-faults.sh, which starts the cluster and two servers).

Under a steady sync load spread over both servers, the cluster is restarted, then stopped
for a while and started again. It checks, with nothing but HTTP and psql:
  - while PostgreSQL is down every answer that needs it is 503 with Retry-After: never a
    500, never a hang (an answer takes at most ANSWER_WITHIN seconds);
  - within RECOVER_WITHIN seconds of PostgreSQL accepting connections again, both servers
    answer /readyz 200 and take a sync, a login and reads, with neither server restarted;
  - every id a server acknowledged (created or duplicate) is stored exactly once, and once
    the phones have re-sent what was never acknowledged, every id is stored.
Exit status 0 when all hold; every violation is printed.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

ANSWER_WITHIN = 8.0  # seconds: longer is a hang
RECOVER_WITHIN = 10.0
DOWN_FOR = 6.0
PHONES = 6
BATCH = 20

violations = []
vlock = threading.Lock()


def violation(msg):
    with vlock:
        violations.append(msg)
        shown = len(violations) <= 40
    if shown:
        print("VIOLATION:", msg, flush=True)


def request(base, method, path, token=None, body=None):
    """(status, headers, json or None, seconds). Status 0: no answer at all."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=ANSWER_WITHIN + 7) as r:
            raw = r.read()
            status, headers = r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, headers = e.read(), e.code, e.headers
    except Exception as e:  # refused, reset, timed out
        return 0, {}, {"error": str(e)}, time.monotonic() - start
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, headers, parsed, time.monotonic() - start


class State:
    """What the phones were told, and whether PostgreSQL is meant to be up."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = set()
        self.unacked = {}  # batch key -> items, re-sent at the end
        self.db_down = False
        self.stop = False
        self.counts = {}

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1


def check_answer(state, what, status, headers, secs, down):
    """The rules every answer obeys; `down`: PostgreSQL was down for all of the request."""
    if status == 0:
        violation(f"{what}: no answer ({secs:.1f} s)")
    elif secs > ANSWER_WITHIN:
        violation(f"{what}: answered {status} after {secs:.1f} s (a hang)")
    elif status >= 500 and status != 503:
        violation(f"{what}: answered {status}")
    elif status == 503 and not headers.get("retry-after"):
        violation(f"{what}: 503 without Retry-After")
    elif down and status != 503:
        violation(f"{what}: answered {status} while PostgreSQL was down")
    state.count(f"{status}")


def make_items(event_id):
    return [
        {
            "id": str(uuid.uuid4()),
            "event_id": event_id,
            "recorded_at": "2024-03-18T10:15:00+08:00",
            "outcome": "activated",
            "age_band": "25-39",
        }
        for _ in range(BATCH)
    ]


def sync(state, base, token, items, what):
    down_before = state.db_down
    status, headers, body, secs = request(
        base, "POST", "/api/v1/sync/activations", token, {"items": items}
    )
    check_answer(state, what, status, headers, secs, down_before and state.db_down)
    if status == 200:
        results = {r["id"]: r["status"] for r in body["results"]}
        acked = [i["id"] for i in items if results.get(i["id"]) in ("created", "duplicate")]
        if len(acked) != len(items):
            violation(f"{what}: not every item acknowledged: {body}")
        with state.lock:
            state.acked.update(acked)
        return True
    return False


def phone(state, n, bases, token, event_id):
    """A phone: syncs a batch, reads, repeats; a batch that got no answer is kept for later."""
    i = 0
    while not state.stop:
        base = bases[(n + i) % len(bases)]
        i += 1
        items = make_items(event_id)
        if not sync(state, base, token, items, f"phone {n} sync via {base}"):
            with state.lock:
                state.unacked[items[0]["id"]] = items
        down_before = state.db_down
        status, headers, _, secs = request(base, "GET", "/api/v1/events?limit=5", token)
        check_answer(state, f"phone {n} events via {base}", status, headers, secs,
                     down_before and state.db_down)
        time.sleep(0.05)


def probe_round(base, creds, token, event_id):
    """One full round a user would make; the names of the steps that failed."""
    failed = []
    status, _, _, _ = request(base, "GET", "/readyz")
    if status != 200:
        failed.append(f"readyz {status}")
    status, _, body, _ = request(base, "POST", "/api/v1/auth/login", body=creds)
    if status != 200:
        failed.append(f"login {status}")
    else:
        token = body["access_token"]
    for path in ("/api/v1/me", "/api/v1/events?limit=5", f"/api/v1/events/{event_id}",
                 "/api/v1/sync/changes?limit=5"):
        status, _, _, _ = request(base, "GET", path, token)
        if status != 200:
            failed.append(f"GET {path} {status}")
    status, _, body, _ = request(base, "POST", "/api/v1/sync/activations", token,
                                 {"items": make_items(event_id)})
    if status != 200:
        failed.append(f"sync {status}")
    return failed


def await_recovery(state, bases, creds, token, event_id, label):
    """Both servers serve a full round within RECOVER_WITHIN of PostgreSQL being back."""
    start = time.monotonic()
    for base in bases:
        while True:
            failed = probe_round(base, creds, token, event_id)
            elapsed = time.monotonic() - start
            if not failed:
                print(f"{label}: {base} serves again after {elapsed:.1f} s", flush=True)
                break
            if elapsed > RECOVER_WITHIN:
                violation(f"{label}: {base} still failing {elapsed:.1f} s after PostgreSQL "
                          f"was back: {failed}")
                break
            time.sleep(0.25)


def probe_down(state, bases, token, creds, event_id, label):
    """While PostgreSQL is down, what a user tries answers 503 + Retry-After, promptly."""
    for base in bases:
        for method, path, body in (
            ("GET", "/readyz", None),
            ("POST", "/api/v1/auth/login", creds),
            ("GET", "/api/v1/me", None),
            ("GET", "/api/v1/events?limit=5", None),
            ("GET", "/api/v1/sync/changes?limit=5", None),
            ("POST", "/api/v1/sync/activations", {"items": make_items(event_id)}),
        ):
            status, headers, _, secs = request(base, method, path, token, body)
            check_answer(state, f"{label}: {method} {path} via {base}", status, headers,
                         secs, True)


def pg(args, *cmd):
    subprocess.run(args.as_pg + [os.path.join(args.pg_bin, "pg_ctl"), "-D", args.pg_data,
                                 "-w", *cmd], check=True, stdout=subprocess.DEVNULL)


def stored(args, ids):
    """How many rows each acknowledged id has (checked in chunks through psql)."""
    ids = sorted(ids)
    total = dupes = 0
    for k in range(0, len(ids), 2000):
        chunk = ",".join(f"'{i}'" for i in ids[k:k + 2000])
        sql = (f"SELECT count(*), count(*) - count(DISTINCT id) FROM activations "
               f"WHERE id IN ({chunk})")
        out = subprocess.run(args.as_pg + [os.path.join(args.pg_bin, "psql"), "-At", "-F",
                                           " ", "-d", args.pg_url, "-c", sql],
                             check=True, capture_output=True, text=True).stdout.split()
        total += int(out[0])
        dupes += int(out[1])
    return total, dupes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", required=True)
    ap.add_argument("--pid", action="append", type=int, required=True)
    ap.add_argument("--pg-bin", required=True)
    ap.add_argument("--pg-data", required=True)
    ap.add_argument("--pg-url", required=True)
    ap.add_argument("--pg-opts", required=True)
    ap.add_argument("--pg-log", required=True)
    ap.add_argument("--as-pg", default="")
    ap.add_argument("--username", required=True)
    ap.add_argument("--password", required=True)
    args = ap.parse_args()
    args.as_pg = args.as_pg.split() if args.as_pg else []
    bases = args.server
    creds = {"username": args.username, "password": args.password}

    status, _, body, _ = request(bases[0], "POST", "/api/v1/auth/login", body=creds)
    assert status == 200, f"login: {status} {body}"
    token = body["access_token"]
    status, _, event, _ = request(bases[0], "POST", "/api/v1/events", token, {
        "channel_key": "village_visit", "title": "Fault suite",
        "starts_at": "2024-03-18T08:00:00+08:00", "ends_at": "2024-03-18T17:00:00+08:00"})
    assert status == 201, f"event: {status} {event}"
    event_id = event["id"]

    state = State()
    phones = [threading.Thread(target=phone, args=(state, n, bases, token, event_id))
              for n in range(PHONES)]
    for t in phones:
        t.start()
    time.sleep(3)

    print("== pg_ctl restart -m fast, under load ==", flush=True)
    pg(args, "restart", "-m", "fast", "-l", args.pg_log, "-o", args.pg_opts)
    await_recovery(state, bases, creds, token, event_id, "after restart")
    time.sleep(2)

    print("== pg_ctl stop -m fast, under load ==", flush=True)
    pg(args, "stop", "-m", "fast")
    state.db_down = True
    time.sleep(1)
    probe_down(state, bases, token, creds, event_id, "while down")
    time.sleep(DOWN_FOR)
    probe_down(state, bases, token, creds, event_id, "still down")
    state.db_down = False
    print("== pg_ctl start ==", flush=True)
    pg(args, "start", "-l", args.pg_log, "-o", args.pg_opts)
    await_recovery(state, bases, creds, token, event_id, "after start")
    time.sleep(2)

    state.stop = True
    for t in phones:
        t.join()

    for pid in args.pid:
        try:
            os.kill(pid, 0)
        except OSError:
            violation(f"server process {pid} is gone")

    # The phones re-send what was never acknowledged, as SYNC.md tells them to.
    resent = 0
    for items in list(state.unacked.values()):
        if sync(state, bases[resent % len(bases)], token, items, "re-send"):
            resent += 1
        else:
            violation("a re-sent batch failed with PostgreSQL up")
    total, dupes = stored(args, state.acked)
    print(f"answers by status: {dict(sorted(state.counts.items()))}")
    print(f"acknowledged ids: {len(state.acked)}, stored: {total}, stored twice: {dupes}, "
          f"batches re-sent: {resent}")
    if total != len(state.acked) or dupes:
        violation(f"{len(state.acked)} ids acknowledged, {total} rows stored, {dupes} doubled")
    if "503" not in state.counts:
        violation("no 503 seen: the faults did not reach the servers")

    if violations:
        print(f"FAILED: {len(violations)} violation(s)")
        sys.exit(1)
    print("PostgreSQL fault suite: all checks held")


if __name__ == "__main__":
    main()
