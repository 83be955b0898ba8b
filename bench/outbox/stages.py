#!/usr/bin/env python3
"""Summarises kazasud's stage log (CSV from [diagnostics] stage_log).

Prints acknowledged outcomes per second over the run and the p50/p99 time
from outcome (plugin done) to broker acknowledgment (PUBACK), in ms.
"""
import csv
import sys


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main(path, seconds):
    rows = [r for r in csv.DictReader(open(path)) if int(r["ack_us"]) >= 0 and int(r["commit_us"]) >= 0]
    to_ack = [(int(r["commit_us"]) + int(r["ack_us"])) / 1000 for r in rows]
    total = [int(r["total_us"]) / 1000 for r in rows]
    print(f"outcomes={len(rows)} acked_per_s={len(rows) / seconds:.0f} "
          f"outcome_to_puback_ms p50={pct(to_ack, 50):.2f} p99={pct(to_ack, 99):.2f} "
          f"tap_to_puback_ms p50={pct(total, 50):.2f} p99={pct(total, 99):.2f}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
