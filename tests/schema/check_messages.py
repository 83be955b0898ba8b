#!/usr/bin/env python3
"""Checks MQTT messages captured by the tests against docs/schemas.

Every test subscriber appends what it receives to CAPTURE_DIR/messages-<pid>.jsonl,
one JSON object per line: {"topic": ..., "retained": ..., "payload": "<text>"}.
This script picks each message's schema from its topic (everything below
kazasu/v1/{site}/{station}/) and its payload's `schema` field, validates it,
and checks that the payload agrees with its topic (site, station, reader,
plugin, event). It fails when any message does not match, when a topic has no
schema, and when there is no message at all (so it never passes vacuously).

A plugin's own schemas are found by their file names:
  {plugin}/{event}        {plugin}-{event}.schema.json (else the envelope only)
  {plugin}/cmd/{name}     {plugin}-cmd-{name}.schema.json (else command-request)
  replies/... (a reply)   {plugin}-cmd-{command}-reply.schema.json, named by the
                          reply's `plugin` and `command` (else command-reply)

Command requests ({plugin}/cmd/{name}) are what a facility PC sends, not what
kazasud publishes, and the tests send malformed ones on purpose; they are
checked and their problems listed, but they fail the run only with
--strict-requests.

    check_messages.py --schemas docs/schemas CAPTURE_DIR_OR_FILE...
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover - reported, not raised
    sys.exit("check_messages: python3-jsonschema (>= 4.0, for draft 2020-12) is required: apt-get install python3-jsonschema")

TOPIC = re.compile(r"^kazasu/v1/(?P<site>[^/]+)/(?P<station>[^/]+)/(?P<tail>.+)$")
NAME = r"[^/+#]+"


@dataclass
class Route:
    """Which schema file a message must match, and what its payload must repeat from its topic."""

    schema_file: str
    expect: dict = field(default_factory=dict)  # payload field -> value the topic implies
    request: bool = False  # a command request: the facility PC's, not kazasud's


PLUGIN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
EVENT = re.compile(r"^[a-z0-9_]{1,64}$")


def reply_schema(plugin: object, command: object, schema_files) -> str | None:
    """The plugin's own schema for its reply to `command`, when it has one."""
    if isinstance(plugin, str) and isinstance(command, str) and PLUGIN.match(plugin) and EVENT.match(command):
        name = f"{plugin}-cmd-{command}-reply.schema.json"
        if name in schema_files:
            return name
    return None


def route(site: str, station: str, tail: str, schema_files=frozenset()) -> Route | None:
    """Maps the part of a topic below the station to the schema its payload must match.

    `schema_files` are the file names in the schema directory: a plugin's own
    {plugin}-{event} and {plugin}-cmd-{name} schemas are used when present."""
    where = {"site": site, "station": station}
    parts = tail.split("/")
    if tail == "status":
        return Route("status.schema.json", {"schema": "kazasu/v1/status", **where})
    if len(parts) == 2 and parts[0] == "readers":
        return Route("readers.schema.json", {"schema": "kazasu/v1/readers", "reader": parts[1]})
    if len(parts) >= 2 and parts[0] == "replies":
        # A command's response topic: kazasud only answers on topics under replies/.
        return Route("command-reply.schema.json", {"schema": "kazasu/v1/reply", **where})
    if len(parts) == 3 and parts[1] == "cmd":
        own = f"{parts[0]}-cmd-{parts[2]}.schema.json"
        if PLUGIN.match(parts[0]) and EVENT.match(parts[2]) and own in schema_files:
            return Route(own, request=True)
        return Route("command-request.schema.json", request=True)
    if len(parts) != 2:
        return None
    plugin, event = parts
    outcome = {"schema": f"kazasu/v1/{plugin}/{event}", **where, "plugin": plugin, "event": event}
    if plugin == "daemon":
        if event == "unclaimed":
            return Route("daemon-unclaimed.schema.json", outcome)
        if event == "alarm":
            # An alarm is not a tap outcome: it names no reader, plugin or event.
            return Route("daemon-alarm.schema.json", {"schema": "kazasu/v1/daemon/alarm", **where})
        return None
    if event == "error":
        return Route("error.schema.json", outcome)
    if plugin == "example" and event in ("seen", "refused"):
        return Route(f"example-{event}.schema.json", outcome)
    own = f"{plugin}-{event}.schema.json"
    if PLUGIN.match(plugin) and EVENT.match(event) and own in schema_files:
        return Route(own, outcome)
    # Any other plugin's event: the envelope, with the plugin's fields allowed.
    return Route("outcome-envelope.schema.json", outcome)


class Checker:
    def __init__(self, schema_dir: Path):
        self.schema_dir = schema_dir
        self.schemas = {}
        for path in sorted(schema_dir.glob("*.schema.json")):
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as e:
                raise SystemExit(f"check_messages: {path}: not JSON: {e}")
            Draft202012Validator.check_schema(schema)
            self.schemas[path.name] = schema
        if not self.schemas:
            raise SystemExit(f"check_messages: no *.schema.json in {schema_dir}")
        self.validators = {name: self._validator(schema) for name, schema in self.schemas.items()}

    def _validator(self, schema: dict) -> Draft202012Validator:
        # The schemas refer to each other by file name ("outcome-envelope.schema.json#/$defs/...").
        try:
            from referencing import Registry, Resource  # jsonschema >= 4.18
            from referencing.jsonschema import DRAFT202012

            registry = Registry().with_resources(
                (name, Resource.from_contents(s, default_specification=DRAFT202012)) for name, s in self.schemas.items()
            )
            return Draft202012Validator(schema, registry=registry)
        except ImportError:  # Debian 12's jsonschema 4.10
            resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=dict(self.schemas))
            return Draft202012Validator(schema, resolver=resolver)

    def check(self, topic: str, payload_text: str) -> tuple[str | None, list[str]]:
        """Returns the schema file used and the problems found (empty when the message is fine)."""
        schema_file, problems, _ = self.check_message(topic, payload_text)
        return schema_file, problems

    def check_message(self, topic: str, payload_text: str) -> tuple[str | None, list[str], bool]:
        """Like check(), and whether the message is a command request."""
        m = TOPIC.match(topic)
        if not m:
            return None, [f"topic is not under kazasu/v1/{{site}}/{{station}}/"], False
        r = route(m["site"], m["station"], m["tail"], self.validators.keys())
        if r is None:
            return None, [f"no schema for topic tail {m['tail']!r} (see docs/asyncapi.yaml)"], False
        if r.schema_file not in self.validators:
            return r.schema_file, [f"schema file {r.schema_file} is missing from {self.schema_dir}"], r.request
        try:
            payload = json.loads(payload_text)
        except ValueError as e:
            return r.schema_file, [f"payload is not JSON: {e}"], r.request
        schema_file = r.schema_file
        if schema_file == "command-reply.schema.json" and isinstance(payload, dict):
            # A reply's topic is the facility PC's choice; its payload names the command.
            schema_file = reply_schema(payload.get("plugin"), payload.get("command"), self.validators) or schema_file
        problems = []
        for err in sorted(self.validators[schema_file].iter_errors(payload), key=lambda e: list(e.absolute_path)):
            where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
            problems.append(f"{where}: {err.message}")
        if isinstance(payload, dict):
            for key, want in r.expect.items():
                if key in payload and payload[key] != want:
                    problems.append(f"$.{key}: {payload[key]!r} does not match the topic, which implies {want!r}")
        return schema_file, problems, r.request


def capture_files(paths: list[Path]) -> list[Path]:
    files = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.glob("*.jsonl")))
        elif p.exists():
            files.append(p)
    return files


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schemas", type=Path, required=True, help="the docs/schemas directory")
    ap.add_argument("--max-report", type=int, default=50, help="report at most this many failing messages in full")
    ap.add_argument("--strict-requests", action="store_true",
                    help="fail on command requests that do not match their schema (command-request.schema.json "
                         "or the plugin's {plugin}-cmd-{name}.schema.json) too")
    ap.add_argument("captures", type=Path, nargs="+", help="capture directories or .jsonl files")
    args = ap.parse_args(argv)

    checker = Checker(args.schemas)
    files = capture_files(args.captures)
    total = 0
    failed = 0
    requests_off = 0
    per_schema: dict[str, int] = {}
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            total += 1
            try:
                rec = json.loads(line)
                topic, payload = rec["topic"], rec["payload"]
                if not isinstance(topic, str) or not isinstance(payload, str):
                    raise TypeError("topic and payload must be strings")
            except (ValueError, KeyError, TypeError) as e:
                schema_file, problems, topic, payload = None, [f"capture line is not a captured message: {e}"], "?", line
                request = False
            else:
                schema_file, problems, request = checker.check_message(topic, payload)
            per_schema[schema_file or "(none)"] = per_schema.get(schema_file or "(none)", 0) + 1
            if problems and request and not args.strict_requests:
                requests_off += 1
                print(f"note {path.name}:{lineno} a command request sent by a test does not match "
                      f"{schema_file} (not counted: requests are the facility PC's): {'; '.join(problems)}")
            elif problems:
                failed += 1
                if failed <= args.max_report:
                    print(f"FAIL {path.name}:{lineno} topic {topic}", file=sys.stderr)
                    print(f"     schema  {schema_file or '(none)'}", file=sys.stderr)
                    print(f"     payload {payload[:500]}", file=sys.stderr)
                    for p in problems:
                        print(f"     - {p}", file=sys.stderr)

    if total == 0:
        # Nothing to check is not a pass: ctest reports exit 77 as skipped.
        print(
            "check_messages: SKIP: no captured messages in " + ", ".join(str(p) for p in args.captures) + ".\n"
            "  The check validates what the MQTT tests received; run it together with them,\n"
            "  e.g. `ctest -L 'e2e|mqtt'` (the tests that use the capturing subscriber require\n"
            "  the kazasu_messages fixture).",
            file=sys.stderr,
        )
        return 77
    counts = ", ".join(f"{n} {s}" for s, n in sorted(per_schema.items()))
    print(f"check_messages: {total} messages in {len(files)} file(s) ({counts})")
    if requests_off:
        print(f"check_messages: {requests_off} malformed command request(s) sent by tests were not counted")
    if failed:
        more = f" ({failed - args.max_report} more not shown)" if failed > args.max_report else ""
        print(f"check_messages: FAIL: {failed} of {total} messages do not match their schema{more}", file=sys.stderr)
        return 1
    print(f"check_messages: OK: all {total} messages match their schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
