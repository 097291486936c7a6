#!/usr/bin/python3
"""bench/expand baseline: python-dateutil expanding the series bench_expand uses.

(a) occurrences/s of dateutil.rrule over the throughput series: 2000-01-15
    09:00 until 2029-12-31 inclusive, daily, weekly and monthly (on the 15th,
    a day every month has, so the occurrences equal almanac's);
(b) ns per one-month window query (rrule.between over the twelve months of
    2024, in turn) on a series started 1 year and 30 years before 2024-01-15.

Usage: /usr/bin/python3 dateutil_baseline.py [--seconds S]  (default 0.3)
Lines starting with "result " are read by bench/expand/run.sh.
"""
import argparse
import time
from datetime import datetime, timedelta

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule

THROUGHPUT = [("daily", DAILY, 10944), ("weekly", WEEKLY, 1564), ("monthly", MONTHLY, 360)]
WINDOWS = [("daily", DAILY), ("weekly", WEEKLY), ("monthly", MONTHLY), ("yearly", YEARLY)]
DURATION = timedelta(hours=2)


def rate(seconds, body):
    """Runs body (returning work units) for about `seconds`; units per second."""
    units = 0
    t0 = time.perf_counter()
    while True:
        units += body()
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return units / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args()
    results = []

    print("dateutil baseline (%.2f s per measurement)\n" % args.seconds)
    print("(a) throughput, series 2000-01-15 09:00 until 2029-12-31, whole series per expansion")
    dtstart = datetime(2000, 1, 15, 9, 0)
    until = datetime(2029, 12, 31, 23, 59, 59)
    for name, freq, expected in THROUGHPUT:
        rule = rrule(freq, dtstart=dtstart, until=until)
        count = sum(1 for _ in rule)
        if count != expected:
            raise SystemExit("MISMATCH: dateutil gives %d %s occurrences, expected %d"
                             % (count, name, expected))
        occ_per_s = rate(args.seconds, lambda: sum(1 for _ in rule))
        print("  %-8s %6d occurrences  dateutil %8.3f M occ/s" % (name, count, occ_per_s / 1e6))
        results.append("result dateutil_occ_per_s %s %.6g" % (name, occ_per_s))

    print("\n(b) one-month window query (12 windows of 2024 in turn, 2 h occurrences)")
    months = [datetime(2024, m, 1) for m in range(1, 13)] + [datetime(2025, 1, 1)]
    for name, freq in WINDOWS:
        ns = {}
        totals = {}
        for years in (1, 30):
            rule = rrule(freq, dtstart=datetime(2024 - years, 1, 15, 18, 0))
            totals[years] = sum(len(rule.between(months[m] - DURATION, months[m + 1]))
                                for m in range(12))
            state = {"month": 0}

            def query():
                m = state["month"]
                rule.between(months[m] - DURATION, months[m + 1])
                state["month"] = (m + 1) % 12
                return 1

            ns[years] = 1e9 / rate(args.seconds / 2, query)
        if totals[1] != totals[30]:
            raise SystemExit("MISMATCH: %s windows give %d vs %d occurrences"
                             % (name, totals[1], totals[30]))
        print("  %-8s dateutil 1 y old %11.1f ns/query   30 y old %11.1f ns/query   30y/1y %.2f"
              "   (%d occurrences in the 12 windows)"
              % (name, ns[1], ns[30], ns[30] / ns[1], totals[1]))
        results.append("result dateutil_window_ns_1y %s %.6g" % (name, ns[1]))
        results.append("result dateutil_window_ns_30y %s %.6g" % (name, ns[30]))

    print()
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
