#!/usr/bin/python3
"""What a municipality's integrator would write instead of kazasu: one reader, one card
at a time, with Debian's python3-pyscard and python3-paho-mqtt.

Waits for a card, SELECTs the JPKI AP, reads the user-authentication certificate
(EF 000A, readable without a PIN) in short READ BINARY chunks, publishes its SHA-256 at
QoS 1 and waits for the broker's PUBACK, then waits for the card to leave. bench/tap/run
drives it through the same simulator, reader and broker as kazasud, so the two are
compared on one path.

  bench/peers/reference.py --reader 'Virtual PCD 00 00' --broker 127.0.0.1:1883 --topic city/tap

Prints one line per state change on stdout ("waiting", "published", "removed") so a
driver can pace the card; nothing about the card itself. Unlike kazasu's tokens the
hash is not keyed: anyone holding the certificate can compute it, and every system that
receives it can join its records on it.
"""
import argparse
import hashlib
import json
import sys
import time

import paho.mqtt.client as mqtt
from smartcard.CardRequest import CardRequest
from smartcard.Exceptions import CardConnectionException, NoCardException

SELECT_JPKI_AP = [0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]
SELECT_AUTH_CERT = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]  # EF 000A; the My Number AP is never selected


def say(text):
    print(text, flush=True)


def transmit(connection, apdu):
    data, sw1, sw2 = connection.transmit(apdu)
    if (sw1, sw2) != (0x90, 0x00):
        raise RuntimeError(f"card answered {sw1:02X}{sw2:02X}")
    return bytes(data)


def read_binary(connection, offset, length):
    # Short APDUs only (Le=00 means 256): every reader and card takes them.
    le = 0 if length >= 256 else length
    return transmit(connection, [0x00, 0xB0, (offset >> 8) & 0x7F, offset & 0xFF, le])


def read_auth_certificate(connection):
    transmit(connection, SELECT_JPKI_AP)
    transmit(connection, SELECT_AUTH_CERT)
    head = read_binary(connection, 0, 4)
    if len(head) != 4 or head[0] != 0x30 or head[1] != 0x82:
        raise RuntimeError("not a DER certificate")
    total = ((head[2] << 8) | head[3]) + 4  # the EF is padded: trust the DER length
    cert = bytearray(head)
    while len(cert) < total:
        chunk = read_binary(connection, len(cert), min(256, total - len(cert)))
        if not chunk:
            raise RuntimeError("short certificate")
        cert += chunk
    return bytes(cert[:total])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reader", required=True)
    ap.add_argument("--broker", required=True, help="HOST:PORT")
    ap.add_argument("--topic", required=True)
    args = ap.parse_args()

    host, port = args.broker.rsplit(":", 1)
    client = mqtt.Client(client_id="reference-tap", clean_session=True)
    client.connect(host, int(port))
    client.loop_start()

    request = CardRequest(readers=[args.reader], newcardonly=True, timeout=None)
    while True:
        say("waiting")
        service = request.waitforcard()
        connection = service.connection
        try:
            connection.connect()
            cert = read_auth_certificate(connection)
            payload = {"sha256": hashlib.sha256(cert).hexdigest(), "ts": time.time()}
        except (CardConnectionException, NoCardException, RuntimeError) as e:
            payload = {"error": str(e), "ts": time.time()}
        finally:
            try:
                connection.disconnect()
            except CardConnectionException:
                pass
        client.publish(args.topic, json.dumps(payload), qos=1).wait_for_publish()
        say("published")
        # The card stays on the reader until the holder takes it away; a second read of
        # the same card would be a second tap.
        while any(reader == args.reader for reader in map(str, (c.reader for c in request.waitforcardevent()))):
            pass
        say("removed")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
