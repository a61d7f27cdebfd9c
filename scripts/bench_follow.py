#!/usr/bin/env python3
"""Live-data benchmark (issue 45), run by `scripts/bench --follow`.

An appender writes Polygon-layout trades (`trades_v1` columns) to a file at a fixed rate, with
the wall clock as their SIP time, while `stockdb load --follow FILE` loads it. Every 10 ms the
appender also writes one trade of the probe symbol ZPRB (size 1), and notes when. A probe polls
the database every 100 ms for the newest ZPRB trade in market.trades and the ZPRB trades counted
in market.trade_bars_1min: a probe trade's latency is the poll that first saw it minus the time
its line was written. The loader's RSS is sampled every second. With --kills N the loader is
killed with SIGKILL N times, evenly spread, and started again at once. At the end the appender
stops, the loader catches up and is stopped with SIGTERM, and the table is compared with the
server's COPY of the whole file into a bare table: the same trades, each once.

Usage: bench_follow.py --url URL --bin PATH [--rate 50000] [--seconds 600] [--kills 3]
                       [--symbols 10000] [--workdir DIR] [--commit-interval 1s]
       bench_follow.py --url URL --bin PATH --folder-files DIR [--interval 60]
The second form measures `stockdb load --follow DIR`: each file of DIR (in name order) is
copied into a landing folder under a hidden name and renamed into place every --interval
seconds; the time from the rename to its `market.load_runs` record succeeding is printed.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time

EXCHANGES = [4, 7, 8, 10, 11, 12, 15, 19, 21]
HEADER = "ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp\n"


def tickers(n):
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXY"  # no Z: ZPRB is the probe's
    out = []
    for i in range(n):
        name, k = "", i
        for _ in range(4):
            name = letters[k % 25] + name
            k //= 25
        out.append(name)
    return out


class Psql:
    """One psql session over which single-value queries are asked."""

    def __init__(self, url):
        self.p = subprocess.Popen(
            ["psql", url, "-At", "-q", "-v", "ON_ERROR_STOP=0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def value(self, sql):
        self.p.stdin.write(sql.strip().rstrip(";") + ";\n\\echo __END__\n")
        self.p.stdin.flush()
        out = []
        while True:
            line = self.p.stdout.readline()
            if not line or line.strip() == "__END__":
                break
            out.append(line.strip())
        return out[0] if out else None

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def psql_run(url, sql):
    done = subprocess.run(["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def appender(path, rate, seconds, symbols, probes, stop):
    """Writes `rate` trades a second for `seconds` (in 10-ms batches), one ZPRB trade a batch."""
    rng = random.Random(45)
    names = tickers(symbols)
    # A skewed market: the busiest ticker has about 2% of the trades.
    weights = [1.0 / (i + 1) ** 0.8 for i in range(symbols)]
    prices = [rng.uniform(5, 500) for _ in range(symbols)]
    per_batch = rate // 100
    seq = 0
    start = time.time()
    with open(path, "a") as f:
        batch_no = 0
        while not stop.is_set():
            due = start + batch_no * 0.01
            now = time.time()
            if now - start >= seconds:
                break
            if due > now:
                time.sleep(due - now)
            t_ns = time.time_ns()
            picks = rng.choices(range(symbols), weights=weights, k=per_batch - 1)
            lines = []
            for j, s in enumerate(picks):
                seq += 1
                p = prices[s] = max(0.5, prices[s] * (1 + rng.gauss(0, 0.0004)))
                ex = EXCHANGES[seq % len(EXCHANGES)]
                cond = "" if seq % 7 else '"12,37"'
                ts = t_ns + j
                lines.append(f"{names[s]},{cond},,{ex},{seq},{ts - 50000},{p:.4f},{seq},{ts},{100 * (1 + seq % 9)},{1 + seq % 3},,\n")
            seq += 1
            lines.append(f"ZPRB,,,4,{seq},{t_ns - 50000},10.0000,{seq},{t_ns + per_batch},1,1,,\n")
            f.write("".join(lines))
            f.flush()
            probes.append((seq, time.time()))
            batch_no += 1
    return seq


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def folder(a):
    """Day files renamed into a followed landing folder, one every `a.interval` seconds."""
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(a.folder_files) for f in fs
                   if not f.startswith("."))
    landing = os.path.join(a.workdir, "landing")
    os.makedirs(landing, exist_ok=True)
    env = dict(os.environ, DATABASE_URL=a.url)
    log = open(os.path.join(a.workdir, "folder.log"), "a")
    loader = subprocess.Popen([a.bin, "load", "--follow", landing, "--no-progress", "-q"],
                              env=env, stdout=log, stderr=log)
    db = Psql(a.url)
    waits = []
    for f in files:
        name = os.path.basename(f)
        hidden = os.path.join(landing, "." + name)
        with open(f, "rb") as src, open(hidden, "wb") as dst:
            dst.write(src.read())
        renamed = time.time()
        os.rename(hidden, os.path.join(landing, name))
        while True:
            done = db.value(f"SELECT count(*) FROM market.load_runs WHERE path LIKE '%/{name}' AND status <> 'running'")
            if int(done or 0) > 0:
                break
            time.sleep(0.05)
        status = db.value(f"SELECT status || ' ' || coalesce(rows_accepted, 0) FROM market.load_runs WHERE path LIKE '%/{name}' ORDER BY id DESC LIMIT 1")
        waits.append(time.time() - renamed)
        print(f"  {name}: {status}, {waits[-1]:.2f} s from its rename to its record", flush=True)
        time.sleep(max(0.0, a.interval - (time.time() - renamed)))
    loader.send_signal(signal.SIGTERM)
    code = loader.wait()
    db.close()
    print(f"folder: {len(files)} files, from rename to loaded: max {max(waits):.2f} s, median {pct(waits, 0.5):.2f} s; exit code {code}")
    sys.exit(0 if code == 0 else 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rate", type=int, default=50000)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--symbols", type=int, default=10000)
    ap.add_argument("--workdir", default="/tmp/stockdb-bench-follow")
    ap.add_argument("--commit-interval", default="1s")
    ap.add_argument("--label", default="")
    ap.add_argument("--folder-files")
    ap.add_argument("--interval", type=float, default=60)
    a = ap.parse_args()
    if a.folder_files:
        os.makedirs(a.workdir, exist_ok=True)
        return folder(a)

    os.makedirs(a.workdir, exist_ok=True)
    path = os.path.join(a.workdir, "trades.csv")
    with open(path, "w") as f:
        f.write(HEADER)
    env = dict(os.environ, DATABASE_URL=a.url)
    cmd = [a.bin, "load", "--follow", path, "--commit-interval", a.commit_interval, "--no-progress", "-q"]
    log = open(os.path.join(a.workdir, "loader.log"), "a")

    def start_loader():
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=log)

    loader = start_loader()
    probes, stop = [], threading.Event()
    result = {}
    writer = threading.Thread(
        target=lambda: result.setdefault("last_seq", appender(path, a.rate, a.seconds, a.symbols, probes, stop)))
    begun = time.time()
    writer.start()
    db = Psql(a.url)
    seen_table = seen_bar = 0  # probes seen so far (index into probes)
    lat_table, lat_bar, rss = [], [], []
    kills_at = [a.seconds * (i + 1) / (a.kills + 1) for i in range(a.kills)]
    kills_done = 0
    last_rss = 0.0
    day_start = "(now() - interval '1 day')"
    while writer.is_alive() or seen_table < len(probes) or seen_bar < len(probes):
        now = time.time()
        if kills_done < len(kills_at) and now - begun >= kills_at[kills_done]:
            loader.send_signal(signal.SIGKILL)
            loader.wait()
            print(f"  kill -9 at {now - begun:.0f} s; restarted", flush=True)
            loader = start_loader()
            kills_done += 1
        if now - last_rss >= 1.0:
            r = rss_kb(loader.pid)
            if r:
                rss.append((now - begun, r))
            last_rss = now
        max_seq = db.value(f"SELECT coalesce(max(event_seq_nb), 0) FROM market.trades WHERE symbol = 'ZPRB' AND event_tm > {day_start}")
        in_bars = db.value(f"SELECT coalesce(sum(trades), 0) FROM market.trade_bars_1min WHERE symbol = 'ZPRB' AND bucket > {day_start}")
        polled = time.time()
        max_seq = int(max_seq or 0)
        in_bars = int(in_bars or 0)
        n = len(probes)
        while seen_table < n and probes[seen_table][0] <= max_seq:
            lat_table.append(polled - probes[seen_table][1])
            seen_table += 1
        while seen_bar < min(n, in_bars):
            lat_bar.append(polled - probes[seen_bar][1])
            seen_bar += 1
        if not writer.is_alive() and polled - begun > 3 * a.seconds + 300:
            print("  gave up waiting for the loader to catch up", flush=True)
            break
        time.sleep(max(0.0, 0.1 - (time.time() - polled)))
    writer.join()
    size = os.path.getsize(path)
    while True:
        off = db.value(f"SELECT coalesce(max(byte_offset), 0) FROM market.follow_offsets WHERE source = '{os.path.realpath(path)}'")
        if int(off or 0) >= size:
            caught_up = time.time()
            break
        time.sleep(0.2)
    loader.send_signal(signal.SIGTERM)
    loader.wait()
    db.close()
    lines = result.get("last_seq", 0)
    late = [kb for t, kb in rss if t >= a.seconds / 2]
    early = [kb for t, kb in rss if t < a.seconds / 2]
    label = f" {a.label}" if a.label else ""
    print(f"follow{label}: {lines} trades at {a.rate}/s for {a.seconds} s, {a.kills} kill -9s; all committed {caught_up - begun:.0f} s after the first write")
    print(f"  visible in market.trades: p50 {pct(lat_table, 0.5):.2f} s, p99 {pct(lat_table, 0.99):.2f} s, max {max(lat_table, default=float('nan')):.2f} s ({len(lat_table)} probes)")
    print(f"  visible in trade_bars_1min: p50 {pct(lat_bar, 0.5):.2f} s, p99 {pct(lat_bar, 0.99):.2f} s, max {max(lat_bar, default=float('nan')):.2f} s ({len(lat_bar)} probes)")
    print(f"  loader RSS: max {max([kb for _, kb in rss], default=0) / 1024:.0f} MB; first half max {max(early, default=0) / 1024:.0f} MB, second half max {max(late, default=0) / 1024:.0f} MB", flush=True)
    # The same file through the server's COPY into a bare table: the trades, each once.
    psql_run(a.url, "DROP TABLE IF EXISTS bench_follow_copy; CREATE UNLOGGED TABLE bench_follow_copy "
             "(ticker text, conditions text, correction int, exchange int, id text, participant_timestamp bigint, "
             "price double precision, sequence_number bigint, sip_timestamp bigint, size bigint, tape int, "
             "trf_id text, trf_timestamp bigint)")
    subprocess.run(["psql", a.url, "-q", "-c", f"\\copy bench_follow_copy FROM '{path}' CSV HEADER"], check=True)
    # Each trade's sequence number is unique: a full join on it finds the missing, the extra
    # and the changed.
    diff = psql_run(a.url, """
        SELECT (SELECT count(*) FROM bench_follow_copy) || ' ' || (SELECT count(*) FROM market.trades) || ' '
               || count(*) FILTER (WHERE t.symbol IS NULL) || ' ' || count(*) FILTER (WHERE f.ticker IS NULL) || ' '
               || count(*) FILTER (WHERE f.ticker IS NOT NULL AND t.symbol IS NOT NULL
                                   AND (t.event_ns, t.price, t.size) IS DISTINCT FROM (f.sip_timestamp, f.price, f.size))
        FROM bench_follow_copy f
        FULL JOIN market.trades t ON t.event_seq_nb = f.sequence_number AND t.symbol = f.ticker""")
    psql_run(a.url, "DROP TABLE bench_follow_copy")
    in_file, in_table, missing, extra, changed = (int(x) for x in diff.split())
    print(f"  exactly once: {in_file} lines in the file, {in_table} in market.trades, {missing} missing, {extra} extra, {changed} with other values")
    ok = missing == 0 and extra == 0 and changed == 0 and in_file == in_table
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
