#!/usr/bin/env python3
"""Tests of check_messages.py itself: it must pass the payloads kazasud publishes
and fail each kind of wrong one, so the schema check of the e2e run means something."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_messages.py"
SCHEMAS = HERE.parent.parent / "docs" / "schemas"

ROOT = "kazasu/v1/sanjo/central-library/"
ID = "01a20703-fd08-7000-b844-c3e70f1a11d5"
TS = "2025-04-01T09:30:12.345+09:00"
TOKEN = "0dc914b9b19a8b4d07d54127196a6d22d75c0f1cb52dc5431dcf0e5a6d5c6ae3"


def envelope(plugin: str, event: str, **fields) -> dict:
    return {
        "schema": f"kazasu/v1/{plugin}/{event}", "id": ID, "ts": TS, "site": "sanjo",
        "station": "central-library", "reader": "counter-1", "plugin": plugin, "event": event, **fields,
    }


def with_(d: dict, **changes) -> dict:
    out = dict(d)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


SEEN = envelope("example", "seen", assurance="fast", card_kind="jpki", greeting="welcome", taps=1, token=TOKEN)

GOOD = [
    (ROOT + "status", {
        "schema": "kazasu/v1/status", "id": ID, "ts": TS, "site": "sanjo", "station": "central-library",
        "state": "online", "version": "0.1.0", "readers": ["counter-1"],
        "plugins": [{"name": "example", "version": "0.1.0"}],
        "refused_plugins": [{"name": "library", "reason": "abi_mismatch"}]}),
    (ROOT + "readers/counter-1", {
        "schema": "kazasu/v1/readers", "id": ID, "ts": TS, "reader": "counter-1", "driver": "sim",
        "state": "ready", "detail": "simulated reader"}),
    (ROOT + "example/seen", SEEN),
    (ROOT + "example/refused", envelope("example", "refused", message="the card was removed", status="read_failed")),
    (ROOT + "thrower/error", envelope("thrower", "error", reason="plugin_error", message="boom", status="ok")),
    (ROOT + "daemon/unclaimed", envelope("daemon", "unclaimed", status="ok", message="no plugin is bound")),
    (ROOT + "daemon/alarm", {
        "schema": "kazasu/v1/daemon/alarm", "id": ID, "ts": "2025-04-01T00:30:12Z", "site": "sanjo",
        "station": "central-library", "alarm": "outbox_near_cap", "active": ["outbox_near_cap"], "pending": 800, "cap": 1000,
        "free_bytes": 1073741824, "alarm_free_bytes": 268435456,
        "message": "the outbox is 80% full"}),
    # A plugin without schemas of its own: the envelope, with any fields of the plugin's.
    (ROOT + "parking/reception", envelope("parking", "reception", voter_id="1234", anything={"goes": True})),
    (ROOT + "parking/cmd/register", {"voter_id": "1234"}),
    (ROOT + "replies/parking-pc/42", {
        "schema": "kazasu/v1/reply", "id": ID, "ts": TS, "site": "sanjo", "station": "central-library",
        "plugin": "parking", "command": "register", "ok": True, "result": {"voter_id": "1234"}}),
    (ROOT + "replies/parking-pc/43", {
        "schema": "kazasu/v1/reply", "id": ID, "ts": TS, "site": "sanjo", "station": "central-library",
        "plugin": "Nope", "command": "register", "ok": False,
        "error": {"code": "unknown_plugin", "message": "no plugin named \"Nope\""}}),
    (ROOT + "replies/parking-pc/44", {
        "schema": "kazasu/v1/reply", "id": ID, "ts": TS, "site": "sanjo", "station": "central-library",
        "plugin": "parking", "command": "register", "ok": False,
        "error": {"code": "voter_not_found", "message": "no voter 1234"}}),
]


def reply(command: str, **fields) -> dict:
    return {"schema": "kazasu/v1/reply", "id": ID, "ts": TS, "site": "sanjo", "station": "central-library",
            "plugin": "library", "command": command, **fields}


HINT = "Card not linked: link it at the counter."
HINT_JA = "カウンターで連携登録してください。"
ILS = {"valid_patron": True, "charge_privileges_denied": False, "charged_items": 2, "charged_items_limit": 10,
       "holds": 1, "hold_items_limit": None, "overdue_items": 0, "fine_items": 0, "fee_amount": "0",
       "currency": "JPY", "screen_message": "ようこそ"}
PATRON = envelope("library", "patron", patron="P0001", link_age_days=3, assurance="fast", card_kind="jpki", ils=ILS)
UNKNOWN = envelope("library", "unknown_card", status="ok", reason="not_linked", hint=HINT, hint_ja=HINT_JA,
                   message="", card_kind="jpki")
LINKED = envelope("library", "linked", patron="P0001", replaced=True, unchanged=False, relinks=1, pending_sync=False,
                  assurance="possession", card_kind="jpki")
REFUSED = envelope("library", "link_refused", patron="P0002", reason="already_linked", status="ok", hint=HINT,
                   hint_ja=HINT_JA, message="", linked_patron="P0001")
LINK_OK = reply("link", ok=True, result={"armed": True, "patron": "P0001", "reader": "counter-1", "replaces_card": False,
                                         "expires_at": "2025-04-01T09:32:12+09:00", "timeout_s": 120})
STATS_OK = reply("stats", ok=True, result={"day": "2025-04-01", "taps": 5, "patrons": 2, "links": 1, "link_refused": 1,
                                           "unknown_cards": 1, "unlinks": 0, "patron_taps": 3})
LIBRARY = [
    (ROOT + "library/patron", PATRON),
    (ROOT + "library/patron", with_(PATRON, ils="unavailable", ils_reason="timeout")),
    (ROOT + "library/patron", with_(PATRON, ils="off")),
    (ROOT + "library/unknown_card", UNKNOWN),
    (ROOT + "library/unknown_card", with_(UNKNOWN, status="pin_locked", reason="pin_locked", card_kind="")),
    (ROOT + "library/unknown_card", with_(UNKNOWN, status="freearea_missing", reason="unreadable")),
    (ROOT + "library/linked", LINKED),
    (ROOT + "library/link_refused", REFUSED),
    (ROOT + "library/link_refused", with_(REFUSED, reason="assurance_too_low", linked_patron=None, assurance="uid")),
    (ROOT + "library/link_refused", with_(REFUSED, reason="read_failed", status="read_failed", linked_patron=None)),
    (ROOT + "library/unlinked", with_(envelope("library", "unlinked", patron="P0001"), reader="")),
    (ROOT + "library/cmd/link", {"patron": "P0001", "reader": "counter-1"}),
    (ROOT + "library/cmd/unlink", {"patron": "P0001"}),
    (ROOT + "library/cmd/stats", {}),
    (ROOT + "replies/pc-1/link", LINK_OK),
    (ROOT + "replies/pc-1/unlink", reply("unlink", ok=True, result={"unlinked": True, "patron": "P0001"})),
    (ROOT + "replies/pc-1/stats", STATS_OK),
    (ROOT + "replies/pc-1/unlink", reply("unlink", ok=False, error={"code": "not_linked", "message": "no card"})),
]
GOOD += LIBRARY


BAD = {
    "upper-case token": (ROOT + "example/seen", with_(SEEN, token=TOKEN.upper())),
    "short token": (ROOT + "example/seen", with_(SEEN, token="abc")),
    "unknown field in a plugin-controlled payload": (ROOT + "example/seen", with_(SEEN, serial="1A2B3C4D")),
    "missing field": (ROOT + "example/seen", with_(SEEN, taps=None)),
    "taps is a string": (ROOT + "example/seen", with_(SEEN, taps="1")),
    "id is a UUIDv4": (ROOT + "example/seen", with_(SEEN, id="9b2f6c1e-3a4d-4f5e-8a6b-7c8d9e0f1a2b")),
    "ts without offset": (ROOT + "example/seen", with_(SEEN, ts="2025-04-01T09:30:12.345")),
    "schema field disagrees with topic": (ROOT + "example/refused", with_(SEEN)),
    "station disagrees with topic": (ROOT + "example/seen", with_(SEEN, station="elsewhere")),
    "refused with status ok": (ROOT + "example/refused",
                               envelope("example", "refused", message="x", status="ok")),
    "unknown error reason": (ROOT + "thrower/error", envelope("thrower", "error", reason="oops", message="x", status="ok")),
    "extra field on error": (ROOT + "thrower/error",
                             envelope("thrower", "error", reason="timeout", message="x", status="ok", extra=1)),
    "envelope field missing on other plugin": (ROOT + "parking/reception",
                                               with_(envelope("parking", "reception"), reader=None)),
    "status with unknown state": (ROOT + "status", with_(GOOD[0][1], state="sleeping")),
    "status with extra field": (ROOT + "status", with_(GOOD[0][1], queued=3)),
    "readers with unknown state": (ROOT + "readers/counter-1", with_(GOOD[1][1], state="broken")),
    "readers for another reader": (ROOT + "readers/door", GOOD[1][1]),
    "alarm with unknown kind": (ROOT + "daemon/alarm", with_(GOOD[6][1], alarm="outbox_half")),
    "alarm pending not integer": (ROOT + "daemon/alarm", with_(GOOD[6][1], pending=1.5)),
    "alarm active with an ok state": (ROOT + "daemon/alarm", with_(GOOD[6][1], active=["storage_ok"])),
    "reply ok with error": (ROOT + "replies/pc/1", with_(GOOD[9][1], error={"code": "timeout", "message": "x"})),
    "reply not ok without error": (ROOT + "replies/pc/1", with_(GOOD[9][1], ok=False)),
    "reply with upper-case code": (ROOT + "replies/pc/1",
                                   with_(GOOD[10][1], error={"code": "NotFound", "message": "x"})),
    "command request not an object": (ROOT + "library/cmd/register", [1, 2]),
    "unknown daemon topic": (ROOT + "daemon/other", envelope("daemon", "other")),
    "topic outside the contract": ("kazasu/v2/sanjo/central-library/status", GOOD[0][1]),
    "payload not JSON": (ROOT + "example/seen", "{not json"),
    "library field a plugin does not publish": (ROOT + "library/patron", with_(PATRON, name="山田太郎")),
    "library ils of another kind": (ROOT + "library/patron", with_(PATRON, ils="down")),
    "library ils unavailable without reason": (ROOT + "library/patron", with_(PATRON, ils="unavailable")),
    "library ils_reason with an answer": (ROOT + "library/patron", with_(PATRON, ils_reason="timeout")),
    "library ils object with the name": (ROOT + "library/patron", with_(PATRON, ils={**ILS, "name": "山田太郎"})),
    "library ils count negative": (ROOT + "library/patron", with_(PATRON, ils={**ILS, "holds": -1})),
    "library patron number with a bar": (ROOT + "library/patron", with_(PATRON, patron="P|1")),
    "library patron missing": (ROOT + "library/linked", with_(LINKED, patron=None)),
    "library linked with uid assurance": (ROOT + "library/linked", with_(LINKED, assurance="uid")),
    "library replaced and unchanged": (ROOT + "library/linked", with_(LINKED, unchanged=True)),
    "library reason does not fit status": (ROOT + "library/unknown_card", with_(UNKNOWN, status="expired")),
    "library unknown reason": (ROOT + "library/unknown_card", with_(UNKNOWN, reason="renewed")),
    "library already_linked without number": (ROOT + "library/link_refused", with_(REFUSED, linked_patron=None)),
    "library read failure with linked_patron": (ROOT + "library/link_refused",
                                                with_(REFUSED, reason="read_failed", status="read_failed")),
    "library unlinked from a reader": (ROOT + "library/unlinked", envelope("library", "unlinked", patron="P0001")),
    "library link request with a typo": (ROOT + "library/cmd/link", {"patorn": "P0001"}),
    "library stats request with a bad day": (ROOT + "library/cmd/stats", {"day": "2025-13-01"}),
    "library link result with an extra field": (ROOT + "replies/pc-1/link",
                                                with_(LINK_OK, result={**LINK_OK["result"], "token": TOKEN})),
    "library stats result count null": (ROOT + "replies/pc-1/stats",
                                           with_(STATS_OK, result={**STATS_OK["result"], "unlinks": None})),
    "library unlink error of another command": (ROOT + "replies/pc-1/unlink",
                                                reply("unlink", ok=False, error={"code": "invalid_day", "message": "x"})),
}


def run_checker(messages: list[tuple[str, object]], *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as d:
        with open(Path(d) / "messages-1.jsonl", "w", encoding="utf-8") as f:
            for topic, payload in messages:
                text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
                f.write(json.dumps({"topic": topic, "retained": False, "payload": text}) + "\n")
        return subprocess.run([sys.executable, str(CHECKER), "--schemas", str(SCHEMAS), *extra, d],
                              capture_output=True, text=True, check=False)


class CheckMessagesTest(unittest.TestCase):
    def test_messages_as_kazasud_publishes_them_pass(self):
        r = run_checker(GOOD)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"all {len(GOOD)} messages match", r.stdout)

    def test_each_bad_message_fails_with_a_report_naming_it(self):
        for name, (topic, payload) in BAD.items():
            with self.subTest(name):
                r = run_checker(GOOD + [(topic, payload)], "--strict-requests")
                self.assertEqual(r.returncode, 1, f"{name}: the checker passed it\n{r.stdout}{r.stderr}")
                self.assertIn(f"topic {topic}", r.stderr)
                self.assertIn("1 of", r.stderr, r.stderr)

    def test_malformed_requests_from_tests_are_listed_but_not_counted_by_default(self):
        r = run_checker(GOOD + [(ROOT + "example/cmd/count", "{not json")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 malformed command request(s) sent by tests were not counted", r.stdout)
        # ...but a bad message from kazasud in the same run still fails it.
        r = run_checker(GOOD + [(ROOT + "example/cmd/count", "{not json"), BAD["short token"]])
        self.assertEqual(r.returncode, 1)

    def test_no_messages_is_a_skip_not_a_pass(self):
        r = run_checker([])
        self.assertEqual(r.returncode, 77)
        self.assertIn("no captured messages", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
