#!/usr/bin/env python3
"""Prints what a facility PC subscribed to kazasu receives, for people.

Reads `mosquitto_sub -F '%t\t%r\t%p'` lines on stdin (topic, retained flag,
payload) and prints, per message, the topic, a one-line summary and the JSON.
"""
import json
import sys

ENVELOPE = {"schema", "id", "ts", "site", "station", "reader", "plugin", "event"}


def summary(topic: str, msg: dict) -> str:
    parts = topic.split("/")
    tail = "/".join(parts[4:])
    if tail == "status":
        plugins = ", ".join(p["name"] for p in msg.get("plugins", [])) or "none"
        return f"station {msg.get('station')} is {msg.get('state')} (kazasud {msg.get('version')}, plugins: {plugins})"
    if tail.startswith("readers/"):
        return f"reader {msg.get('reader')} is {msg.get('state')} ({msg.get('detail', '')})"
    fields = []
    for key, value in msg.items():
        if key in ENVELOPE:
            continue
        if key == "token" and isinstance(value, str):
            value = value[:12] + "…"
        fields.append(f"{key}={value}")
    return f"{tail} on reader {msg.get('reader')}: " + ", ".join(fields)


def main() -> int:
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        try:
            topic, retained, payload = line.split("\t", 2)
            msg = json.loads(payload)
        except ValueError:
            print(f"(unreadable message) {line}", flush=True)
            continue
        flag = " [retained]" if retained == "1" else ""
        print(f"\n▶ {topic}{flag}\n  {summary(topic, msg)}\n  {payload}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
