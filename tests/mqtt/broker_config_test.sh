#!/usr/bin/env bash
# Starts a real mosquitto from config/mosquitto/mosquitto.conf and acl (only the
# port, the file paths and the service user substituted, on a free loopback
# port) and checks with mosquitto_pub/mosquitto_sub what the sample config
# promises: TLS with a required client certificate from our CA plus a
# password, and an ACL that keeps a station inside its own prefix and lets a
# facility PC read its site and send commands.
#
#   broker_config_test.sh SOURCE_DIR
#
# Every refusal is checked against a control that succeeds with one thing
# changed (the certificate, the password, the topic), so a check cannot pass
# just because nothing works.
set -uo pipefail
src=$(cd "${1:?usage: broker_config_test.sh SOURCE_DIR}" && pwd)
conf="$src/config/mosquitto"

# shellcheck source=harness.sh
. "$src/tests/mqtt/harness.sh" kazasu-broker-test
die() { echo "FAIL: $*"; [ -f "$work/mosquitto.log" ] && sed 's/^/  mosquitto: /' "$work/mosquitto.log"; exit 1; }

# --- the broker's files, made the way config/mosquitto/README.md says -------
etc="$work/etc"
"$src/tests/fixtures/tls/prepare-facility-broker.sh" "$src" "$work" || die "preparing the broker failed"
port=$(cat "$work/port")
station_pw=$(cat "$work/station.pw")
pc_pw=$(cat "$work/pc.pw")

/usr/sbin/mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.out" 2>&1 &
pids+=($!)
broker_pid=$!

# --- clients -----------------------------------------------------------------
certs="$etc/certs"
base=(-h 127.0.0.1 -p "$port" -V mqttv5 --cafile "$certs/ca.crt")
station=("${base[@]}" --cert "$certs/station.crt" --key "$certs/station.key" -u station-central-library -P "$station_pw")
pc=("${base[@]}" --cert "$certs/pc.crt" --key "$certs/pc.key" -u library-pc -P "$pc_pw")
root=kazasu/v1/sanjo/central-library

# pub OUTFILE ARGS...: a QoS 1 publish that waits for the broker's PUBACK.
pub() {
  local out=$1
  shift
  timeout 10 mosquitto_pub -q 1 "$@" > "$out" 2>&1
}

# sub NAME TOPIC ARGS...: a background subscriber writing "topic|payload|response-topic|correlation-data".
sub() {
  local name=$1 topic=$2
  shift 2
  stdbuf -oL mosquitto_sub -d -q 1 -t "$topic" -F '%t|%p|%R|%D' "$@" > "$work/$name.out" 2>&1 &
  pids+=($!)
}

# wait_for FILE FIXED-STRING [SECONDS]
wait_for() {
  local deadline=$((SECONDS + ${3:-5}))
  while [ $SECONDS -lt $deadline ]; do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# log_since LINE PATTERN: PATTERN appears in the broker's log after line LINE (waits up to 2 s).
log_lines() { wc -l < "$work/mosquitto.log"; }
log_since() {
  local deadline=$((SECONDS + 2))
  while [ $SECONDS -lt $deadline ]; do
    tail -n +"$(($1 + 1))" "$work/mosquitto.log" | grep -qE -- "$2" && return 0
    sleep 0.1
  done
  return 1
}

ready=0
for _ in $(seq 100); do
  kill -0 "$broker_pid" 2>/dev/null || break
  if pub "$work/probe.out" "${station[@]}" -t "$root/probe" -m probe; then ready=1; break; fi
  sleep 0.1
done
[ $ready -eq 1 ] || { cat "$work/mosquitto.out" "$work/probe.out" 2>/dev/null; die "mosquitto did not accept the station within 10 s"; }
pass "mosquitto runs from config/mosquitto/mosquitto.conf on 127.0.0.1:$port"

# The facility PC watches its whole site; the station listens for its commands
# with the same filter kazasud subscribes to.
sub pc-watch "kazasu/v1/sanjo/#" "${pc[@]}"
sub station-cmds "$root/+/cmd/+" "${station[@]}"
wait_for "$work/pc-watch.out" "received SUBACK" || die "the PC's subscription got no SUBACK: $(cat "$work/pc-watch.out")"
wait_for "$work/station-cmds.out" "received SUBACK" || die "the station's subscription got no SUBACK: $(cat "$work/station-cmds.out")"
# SUBACK reason codes >= 128 mean the ACL refused the subscription.
if grep -qE '^Subscribed \(mid: [0-9]+\): (12[89]|1[3-9][0-9]|2[0-9][0-9])' "$work/pc-watch.out" "$work/station-cmds.out"; then
  die "a subscription the ACL should allow was refused: $(cat "$work/pc-watch.out" "$work/station-cmds.out")"
fi

# --- 1. the right certificate and password get in, and a publish inside the prefix arrives
if pub "$work/1.out" "${station[@]}" -t "$root/status" -m station-status-1; then
  if wait_for "$work/pc-watch.out" "$root/status|station-status-1|"; then
    pass "station with our CA's certificate and its password publishes under $root/ and the PC receives it"
  else
    fail "the station's publish to $root/status did not reach the PC"
  fi
else
  fail "the station with the right certificate and password was refused: $(cat "$work/1.out")"
fi

# --- 2. a certificate from another CA is refused (same user and password as above)
rogue=("${base[@]}" --cert "$certs/rogue.crt" --key "$certs/rogue.key" -u station-central-library -P "$station_pw")
n=$(log_lines)
if pub "$work/2.out" "${rogue[@]}" -t "$root/status" -m rogue-status; then
  fail "a client certificate from an untrusted CA was accepted"
elif log_since "$n" "certificate verify failed"; then
  pass "a client certificate from an untrusted CA is refused in the TLS handshake"
else
  fail "the untrusted certificate failed, but not in certificate verification: $(cat "$work/2.out")"
fi

# --- 3. no client certificate at all is refused
n=$(log_lines)
if pub "$work/3.out" "${base[@]}" -u station-central-library -P "$station_pw" -t "$root/status" -m nocert-status; then
  fail "a client without a certificate was accepted"
elif log_since "$n" "peer did not return a certificate"; then
  pass "a client without a certificate is refused in the TLS handshake"
else
  fail "a client without a certificate failed, but not for the missing certificate: $(cat "$work/3.out")"
fi

# --- 4. a wrong password is refused (right certificate)
wrong=("${base[@]}" --cert "$certs/station.crt" --key "$certs/station.key" -u station-central-library -P "not-$station_pw")
if pub "$work/4.out" "${wrong[@]}" -t "$root/status" -m wrong-pw-status; then
  fail "a wrong password was accepted"
elif grep -qiE 'not authori[sz]ed|bad user name or password' "$work/4.out"; then
  pass "a wrong password is refused ($(tr '\n' ' ' < "$work/4.out" | cut -c1-100))"
else
  fail "a wrong password failed, but not as an authentication refusal: $(cat "$work/4.out")"
fi
# and an unknown user
if pub "$work/4b.out" "${base[@]}" --cert "$certs/pc.crt" --key "$certs/pc.key" -u someone -P "$pc_pw" -t x -m x; then
  fail "an unknown user was accepted"
else
  pass "an unknown user is refused"
fi

# --- 5. the station cannot publish outside its prefix; the PC (who reads all of
# sanjo) sees none of it, while the marker published after it arrives.
pub "$work/5a.out" "${station[@]}" -t kazasu/v1/sanjo/other-station/status -m forged-other-station
pub "$work/5b.out" "${station[@]}" -t kazasu/v1/sanjo/central-library-annex/status -m forged-annex
pub "$work/5c.out" "${station[@]}" -t kazasu/v1/sanjo/forged -m forged-site-level
pub "$work/5d.out" "${station[@]}" -t "$root/status" -m marker-5
if ! wait_for "$work/pc-watch.out" "|marker-5|"; then
  fail "the station's marker publish did not arrive; cannot judge the ACL"
elif grep -qE 'forged-(other-station|annex|site-level)' "$work/pc-watch.out"; then
  fail "the station published outside its own prefix: $(grep forged- "$work/pc-watch.out")"
else
  pass "the station cannot publish outside $root/ (other station, look-alike prefix, site level)"
fi

# --- 6. the PC can send a command (with an MQTT v5 response topic and correlation
# data) and the station receives it
reply_topic="$root/replies/library-pc/req-1"
if pub "$work/6.out" "${pc[@]}" -t "$root/example/cmd/ping" -m '{"hello":1}' \
    -D publish response-topic "$reply_topic" -D publish correlation-data req-1; then
  if wait_for "$work/station-cmds.out" "$root/example/cmd/ping|{\"hello\":1}|$reply_topic|req-1"; then
    pass "the PC publishes a command and the station receives it with its response topic and correlation data"
  else
    fail "the PC's command did not reach the station: $(cat "$work/station-cmds.out")"
  fi
else
  fail "the PC could not publish a command: $(cat "$work/6.out")"
fi

# --- 7. the station answers on the response topic and publishes outcomes; the PC reads both
pub "$work/7a.out" "${station[@]}" -t "$reply_topic" -m reply-1 -D publish correlation-data req-1
pub "$work/7b.out" "${station[@]}" -t "$root/example/seen" -m outcome-1
if wait_for "$work/pc-watch.out" "$reply_topic|reply-1||req-1" && wait_for "$work/pc-watch.out" "$root/example/seen|outcome-1|"; then
  pass "the PC reads the station's reply on its response topic and the station's outcomes"
else
  fail "the PC did not receive the reply and the outcome: $(cat "$work/pc-watch.out")"
fi

# --- 8. the PC cannot forge outcomes, status or replies, only commands
pub "$work/8a.out" "${pc[@]}" -t "$root/example/seen" -m pc-forged-outcome
pub "$work/8b.out" "${pc[@]}" -t "$root/status" -m pc-forged-status
pub "$work/8c.out" "${pc[@]}" -t "$reply_topic" -m pc-forged-reply
pub "$work/8d.out" "${station[@]}" -t "$root/status" -m marker-8
if ! wait_for "$work/pc-watch.out" "|marker-8|"; then
  fail "the marker publish did not arrive; cannot judge the ACL"
elif grep -q 'pc-forged-' "$work/pc-watch.out"; then
  fail "the PC published outside commands: $(grep pc-forged- "$work/pc-watch.out")"
else
  pass "the PC cannot publish outcomes, status or replies"
fi

# --- 9. the station cannot send commands to another station (it reads only its own)
sub other-cmds "kazasu/v1/sanjo/+/+/cmd/+" "${pc[@]}"
wait_for "$work/other-cmds.out" "received SUBACK" || die "subscription got no SUBACK"
pub "$work/9a.out" "${station[@]}" -t kazasu/v1/sanjo/other-station/example/cmd/ping -m station-forged-cmd
pub "$work/9b.out" "${pc[@]}" -t kazasu/v1/sanjo/other-station/example/cmd/ping -m marker-9
if ! wait_for "$work/other-cmds.out" "|marker-9|"; then
  fail "the PC's command to another station did not arrive; cannot judge the ACL"
elif grep -q 'station-forged-cmd' "$work/other-cmds.out"; then
  fail "the station sent a command to another station"
else
  pass "the station cannot send commands to another station"
fi

kill -0 "$broker_pid" 2>/dev/null || fail "mosquitto died during the test"
if [ $failures -ne 0 ]; then
  echo "--- mosquitto log"
  sed 's/^/  /' "$work/mosquitto.log" 2>/dev/null
  echo "$failures check(s) failed"
  exit 1
fi
echo "all broker config checks passed"
