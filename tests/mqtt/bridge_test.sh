#!/usr/bin/env bash
# Runs two real brokers on free loopback ports: a station broker (the facility
# broker of config/mosquitto/mosquitto.conf, plus the bridge of
# config/mosquitto/bridge-to-city.conf) and a city broker
# (config/mosquitto/city-broker.conf with city-acl), from the sample files with
# only addresses, ports, paths, the service user and the bridge's password
# substituted. Checks with mosquitto_pub/mosquitto_sub what README.md promises:
#
#   1. the station's status, readers, daemon and outcome topics, published QoS 1
#      on the station broker, arrive on the city broker (retained stay retained);
#   2. facility PCs' commands and the replies to them stay in the facility;
#   3. a city system's command reaches the station with its Response Topic and
#      Correlation Data, and the station's reply comes back to the city;
#   4. nothing of another station crosses into the station broker;
#   5. the city ACL keeps the bridge's user inside its own station's topics;
#   6. with the city broker stopped, what the station publishes meanwhile is
#      queued by the bridge and reaches a city system's persistent session after
#      the city broker restarts.
#
#   bridge_test.sh SOURCE_DIR
#
# Every "does not arrive" is checked against a marker sent after it that does.
set -uo pipefail
src=$(cd "${1:?usage: bridge_test.sh SOURCE_DIR}" && pwd)
conf="$src/config/mosquitto"

# shellcheck source=harness.sh
. "$src/tests/mqtt/harness.sh" kazasu-bridge-test
show_logs() {
  for side in station city; do
    [ -f "$work/$side/mosquitto.log" ] || continue
    echo "--- $side broker log"
    sed 's/^/  /' "$work/$side/mosquitto.log"
  done
}
die() { echo "FAIL: $*"; show_logs; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# refuse_unsubstituted FILE: a path outside the test's directory, a well-known
# port, the sample's host name or placeholder left in FILE would point the test
# at the host's files or another broker: refuse rather than test something else.
refuse_unsubstituted() {
  if grep -nE '^[^#]*([[:space:]]/|\b(1883|8883)\b|city-broker\.sanjo\.lan|CHANGE-ME)' "$1" | grep -vF "$work/" >&2; then
    die "$1 has a path, port, host or placeholder this test does not substitute (above)"
  fi
}

# --- the station broker: the facility broker, made as config/mosquitto/README.md says
station="$work/station"
"$src/tests/fixtures/tls/prepare-facility-broker.sh" "$src" "$station" || die "preparing the station broker failed"
st_etc="$station/etc"
st_port=$(cat "$station/port")

# --- the city broker: its own CA, certificates, users and ACL ---------------
city="$work/city"
ct_etc="$city/etc"
mkdir -p "$ct_etc" "$city/data"
# make-certs.sh makes a CA of its own in each directory: this one is the city
# CA. Its "station" certificate becomes the bridge's client certificate, its
# "pc" certificate the city systems'.
"$src/tests/fixtures/tls/make-certs.sh" "$ct_etc/certs" || die "making the city certificates failed"
for u in bridge east ops; do openssl rand -hex 16 > "$city/$u.pw"; done
bridge_pw=$(cat "$city/bridge.pw")
east_pw=$(cat "$city/east.pw")
ops_pw=$(cat "$city/ops.pw")
mosquitto_passwd -c -b "$ct_etc/passwd" bridge-sanjo-central-library "$bridge_pw" || die "mosquitto_passwd failed"
mosquitto_passwd -b "$ct_etc/passwd" bridge-sanjo-east-branch "$east_pw"
mosquitto_passwd -b "$ct_etc/passwd" city-ops "$ops_pw"
chmod 600 "$ct_etc/passwd"
cp "$conf/city-acl" "$ct_etc/acl"
ct_port=$(free_port)
case "$ct_port" in 1883 | 8883 | "$st_port" | "") die "no usable free port for the city broker ($ct_port)" ;; esac
sed -e "s#^listener 8883\$#listener $ct_port 127.0.0.1#" \
    -e "s#/etc/mosquitto/kazasu/#$ct_etc/#g" \
    -e "s#^persistence_location /var/lib/mosquitto/\$#persistence_location $city/data/#" \
    -e "s#^log_dest file /var/log/mosquitto/mosquitto.log\$#log_dest file $city/mosquitto.log#" \
    -e "s#^pid_file /run/mosquitto/mosquitto.pid\$#pid_file $city/mosquitto.pid#" \
    -e "s#^user mosquitto\$#user $(id -un)#" \
    "$conf/city-broker.conf" > "$city/mosquitto.conf"
# The debug log shows what the bridge sends and subscribes to (check 7).
echo "log_type all" >> "$city/mosquitto.conf"
refuse_unsubstituted "$city/mosquitto.conf"
grep -q "^listener $ct_port 127.0.0.1\$" "$city/mosquitto.conf" || die "the city listener line was not substituted"

# --- the bridge, installed on the station broker as README.md says ----------
# The station gets the city CA and its bridge certificate from the city.
mkdir -p "$st_etc/city" "$st_etc/bridge"
cp "$ct_etc/certs/ca.crt" "$st_etc/city/ca.crt"
cp "$ct_etc/certs/station.crt" "$st_etc/city/bridge.crt"
cp "$ct_etc/certs/station.key" "$st_etc/city/bridge.key"
sed -e "s#^address city-broker\.sanjo\.lan:8883\$#address 127.0.0.1:$ct_port#" \
    -e "s#/etc/mosquitto/kazasu/#$st_etc/#g" \
    -e "s#^remote_password CHANGE-ME-bridge-password\$#remote_password $bridge_pw#" \
    "$conf/bridge-to-city.conf" > "$st_etc/bridge/bridge-to-city.conf"
chmod 600 "$st_etc/bridge/bridge-to-city.conf"
refuse_unsubstituted "$st_etc/bridge/bridge-to-city.conf"
grep -q "^address 127.0.0.1:$ct_port\$" "$st_etc/bridge/bridge-to-city.conf" || die "the bridge's address line was not substituted"
grep -q "^remote_password $bridge_pw\$" "$st_etc/bridge/bridge-to-city.conf" || die "the bridge's password line was not substituted"
grep -q '^include_dir' "$station/mosquitto.conf" && die "mosquitto.conf already has an include_dir; README.md's install step assumes it does not"
echo "include_dir $st_etc/bridge" >> "$station/mosquitto.conf"

# --- helpers ----------------------------------------------------------------
# pub OUTFILE ARGS...: a QoS 1 publish that waits for the broker's PUBACK.
pub() {
  local out=$1
  shift
  timeout 10 mosquitto_pub -q 1 "$@" > "$out" 2>&1
}

# sub NAME TOPIC ARGS...: a background subscriber writing
# "topic|payload|response-topic|correlation-data|retained" to WORK/NAME.out.
sub() {
  local name=$1 topic=$2
  shift 2
  stdbuf -oL mosquitto_sub -d -q 1 -t "$topic" -F '%t|%p|%R|%D|%r' "$@" > "$work/$name.out" 2>&1 &
  pids+=($!)
  last_sub=$!
}

# wait_for FILE FIXED-STRING [SECONDS]
wait_for() {
  local deadline=$((SECONDS + ${3:-10}))
  while [ $SECONDS -lt $deadline ]; do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_suback NAME: the subscriber NAME got a SUBACK that grants its subscription.
wait_suback() {
  wait_for "$work/$1.out" "received SUBACK" || die "subscriber $1 got no SUBACK: $(cat "$work/$1.out")"
  if grep -qE '^Subscribed \(mid: [0-9]+\): (12[89]|1[3-9][0-9]|2[0-9][0-9])' "$work/$1.out"; then
    die "subscriber $1 was refused: $(cat "$work/$1.out")"
  fi
}

# stop PID: SIGTERM one process this test started and wait (at most 10 s) for it.
stop() {
  kill "$1" 2>/dev/null || return 0
  local deadline=$((SECONDS + 10))
  while kill -0 "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "process $1 did not stop within 10 s"
    sleep 0.1
  done
  wait "$1" 2>/dev/null || true
}

# log_lines SIDE / wait_log SIDE LINE PATTERN [SECONDS]: PATTERN (ERE) appears in
# SIDE's broker log after line LINE.
log_lines() { wc -l < "$work/$1/mosquitto.log" 2>/dev/null || echo 0; }
wait_log() {
  local deadline=$((SECONDS + ${4:-10}))
  while [ $SECONDS -lt $deadline ]; do
    tail -n +"$(($2 + 1))" "$work/$1/mosquitto.log" 2>/dev/null | grep -qE -- "$3" && return 0
    sleep 0.2
  done
  return 1
}

# Clients. On the station broker: kazasud's user and the facility PC (facility CA).
st_certs="$st_etc/certs"
st_base=(-h 127.0.0.1 -p "$st_port" -V mqttv5 --cafile "$st_certs/ca.crt")
kazasud=("${st_base[@]}" --cert "$st_certs/station.crt" --key "$st_certs/station.key" -u station-central-library -P "$(cat "$station/station.pw")")
fpc=("${st_base[@]}" --cert "$st_certs/pc.crt" --key "$st_certs/pc.key" -u library-pc -P "$(cat "$station/pc.pw")")
# On the city broker (city CA): the city's operations system, the bridge's own
# user (to probe the city ACL), and the user of another station's bridge.
ct_certs="$ct_etc/certs"
ct_base=(-h 127.0.0.1 -p "$ct_port" -V mqttv5 --cafile "$ct_certs/ca.crt")
ops=("${ct_base[@]}" --cert "$ct_certs/pc.crt" --key "$ct_certs/pc.key" -u city-ops -P "$ops_pw")
as_bridge=("${ct_base[@]}" --cert "$ct_certs/station.crt" --key "$ct_certs/station.key" -u bridge-sanjo-central-library -P "$bridge_pw")
east=("${ct_base[@]}" --cert "$ct_certs/pc.crt" --key "$ct_certs/pc.key" -u bridge-sanjo-east-branch -P "$east_pw")

root=kazasu/v1/sanjo/central-library
other=kazasu/v1/sanjo/east-branch

# start_city: starts the city broker and waits (10 s) until city-ops can subscribe.
start_city() {
  /usr/sbin/mosquitto -c "$city/mosquitto.conf" >> "$city/mosquitto.out" 2>&1 &
  pids+=($!)
  city_pid=$!
  local i
  for i in $(seq 50); do
    kill -0 "$city_pid" 2>/dev/null || break
    if timeout 5 mosquitto_sub "${ops[@]}" -t bridges/probe -E > "$work/city-probe.out" 2>&1; then return 0; fi
    sleep 0.2
  done
  cat "$city/mosquitto.out" "$work/city-probe.out" 2>/dev/null
  die "the city broker did not accept city-ops within 10 s"
}

# --- start both brokers -----------------------------------------------------
start_city
pass "city broker runs from config/mosquitto/city-broker.conf on 127.0.0.1:$ct_port"
sub city-watch "kazasu/v1/#" "${ops[@]}" -t 'bridges/#'
wait_suback city-watch

/usr/sbin/mosquitto -c "$station/mosquitto.conf" > "$station/mosquitto.out" 2>&1 &
pids+=($!)
station_pid=$!
ready=0
for _ in $(seq 50); do
  kill -0 "$station_pid" 2>/dev/null || break
  if pub "$work/probe.out" "${kazasud[@]}" -t "$root/probe" -m probe; then ready=1; break; fi
  sleep 0.2
done
[ $ready -eq 1 ] || { cat "$station/mosquitto.out" "$work/probe.out" 2>/dev/null; die "the station broker did not accept kazasud's user within 10 s"; }
pass "station broker runs from mosquitto.conf + bridge-to-city.conf on 127.0.0.1:$st_port"

# The bridge logs in on the city broker over the city listener's TLS (with its
# client certificate: the listener takes nothing else) as its own user, with
# MQTT v5 (p5) and a persistent session (c0).
login="New (client|bridge) connected from .* as bridge-sanjo-central-library \(p[0-9]+, c[01], .*u'bridge-sanjo-central-library'"
wait_log city 0 "$login" 20 || die "the bridge did not log in on the city broker within 20 s"
if grep -E "$login" "$city/mosquitto.log" | grep -qF '(p5, c0,'; then
  pass "the bridge logs in on the city broker: TLS with the city CA's client certificate, user bridge-sanjo-central-library, MQTT v5, clean session off"
else
  fail "the bridge logs in, but not with MQTT v5 and clean session off: $(grep -E "$login" "$city/mosquitto.log")"
fi
if wait_for "$work/city-watch.out" "bridges/sanjo/central-library|1|" 10; then
  pass "the link's state is published on the city broker: bridges/sanjo/central-library = 1"
else
  fail "no bridge notification bridges/sanjo/central-library = 1 on the city broker: $(cat "$work/city-watch.out")"
fi

# The facility PC watches its whole site on the station broker; kazasud's user
# listens for its commands with kazasud's filter.
sub fac-watch "kazasu/v1/sanjo/#" "${fpc[@]}"
wait_suback fac-watch
sub station-cmds "$root/+/cmd/+" "${kazasud[@]}"
wait_suback station-cmds

# --- 0. the city broker does not take the facility CA's certificates ---------
n=$(log_lines city)
if pub "$work/0.out" "${ct_base[@]}" --cert "$st_certs/station.crt" --key "$st_certs/station.key" \
    -u bridge-sanjo-central-library -P "$bridge_pw" -t "$root/status" -m facility-cert; then
  fail "the city broker accepted a client certificate of the facility CA"
elif wait_log city "$n" "certificate verify failed" 3; then
  pass "the city broker refuses a certificate of the facility CA (only the city CA's bridge certificate opens it)"
else
  fail "a facility certificate failed on the city broker, but not in certificate verification: $(cat "$work/0.out")"
fi

# --- 1. station -> city: status, readers, daemon alarm, an outcome (QoS 1) ---
pub "$work/1a.out" "${kazasud[@]}" -r -t "$root/status" -m status-1 || fail "kazasud's user could not publish status: $(cat "$work/1a.out")"
pub "$work/1b.out" "${kazasud[@]}" -r -t "$root/readers/desk" -m reader-1 || fail "could not publish readers/desk"
pub "$work/1c.out" "${kazasud[@]}" -r -t "$root/daemon/alarm" -m alarm-1 || fail "could not publish daemon/alarm"
pub "$work/1d.out" "${kazasud[@]}" -t "$root/example/seen" -m outcome-1 || fail "could not publish example/seen"
missing=""
for want in "$root/status|status-1|" "$root/readers/desk|reader-1|" "$root/daemon/alarm|alarm-1|" "$root/example/seen|outcome-1|"; do
  wait_for "$work/city-watch.out" "$want" 15 || missing="$missing ${want%%|*}"
done
if [ -z "$missing" ]; then
  pass "status, readers/desk, daemon/alarm and example/seen published QoS 1 on the station broker arrive on the city broker"
else
  fail "did not arrive on the city broker:$missing"
fi
# retained stay retained: a city system that subscribes now gets them
# (-W 3: collect for 3 s, then exit)
timeout 10 mosquitto_sub "${ops[@]}" -q 1 -t "$root/status" -t "$root/readers/+" -F '%t|%p|%r' -W 3 > "$work/1r.out" 2>&1
if grep -qxF "$root/status|status-1|1" "$work/1r.out" && grep -qxF "$root/readers/desk|reader-1|1" "$work/1r.out"; then
  pass "status and readers are retained on the city broker"
else
  fail "status and readers are not retained on the city broker: $(cat "$work/1r.out")"
fi

# --- 2. facility PCs' commands and their replies stay in the facility -------
pub "$work/2a.out" "${fpc[@]}" -t "$root/example/cmd/ping" -m local-cmd \
  -D publish response-topic "$root/replies/library-pc/req-0" -D publish correlation-data req-0
wait_for "$work/station-cmds.out" "|local-cmd|" || fail "the facility PC's command did not reach kazasud's user"
pub "$work/2b.out" "${kazasud[@]}" -t "$root/replies/library-pc/req-0" -m local-reply -D publish correlation-data req-0
pub "$work/2c.out" "${kazasud[@]}" -t "$root/example/seen" -m marker-2
if ! wait_for "$work/city-watch.out" "|marker-2|" 15; then
  fail "the marker did not reach the city broker; cannot judge what stays local"
elif grep -qE '\|local-(cmd|reply)\|' "$work/city-watch.out"; then
  fail "a facility PC's command or its reply went out to the city: $(grep -E 'local-' "$work/city-watch.out")"
else
  pass "a facility PC's command and the reply to it stay on the station broker"
fi

# --- 3. city -> station: a command with Response Topic and Correlation Data, and its reply back
reply_topic="$root/replies/city/city-ops/req-1"
if pub "$work/3a.out" "${ops[@]}" -t "$root/example/cmd/ping" -m '{"from":"city"}' \
    -D publish response-topic "$reply_topic" -D publish correlation-data req-1; then
  if wait_for "$work/station-cmds.out" "$root/example/cmd/ping|{\"from\":\"city\"}|$reply_topic|req-1|" 15; then
    pass "a city-ops command reaches the station broker with its Response Topic and Correlation Data"
  else
    fail "the city's command did not reach the station broker intact: $(grep -F '|{"from":"city"}|' "$work/station-cmds.out" || echo nothing)"
  fi
else
  fail "city-ops could not publish a command: $(cat "$work/3a.out")"
fi
pub "$work/3b.out" "${kazasud[@]}" -t "$reply_topic" -m reply-1 -D publish correlation-data req-1
if wait_for "$work/city-watch.out" "$reply_topic|reply-1||req-1|" 15; then
  pass "the station's reply on replies/city/... reaches city-ops with its Correlation Data"
else
  fail "the station's reply did not reach the city broker: $(grep -F replies "$work/city-watch.out")"
fi

# --- 4. nothing of another station crosses into the station broker ---------
pub "$work/4a.out" "${ops[@]}" -t "$other/example/cmd/ping" -m east-cmd || fail "city-ops could not command east-branch: $(cat "$work/4a.out")"
pub "$work/4b.out" "${east[@]}" -t "$other/example/seen" -m east-outcome || fail "east-branch's bridge user could not publish: $(cat "$work/4b.out")"
pub "$work/4c.out" "${east[@]}" -r -t "$other/status" -m east-status
pub "$work/4d.out" "${ops[@]}" -t "$root/example/cmd/ping" -m marker-4
if ! wait_for "$work/city-watch.out" "$other/example/seen|east-outcome|" 10; then
  fail "east-branch's outcome did not reach the city broker (control); cannot judge"
elif ! wait_for "$work/fac-watch.out" "|marker-4|" 15; then
  fail "city-ops' marker command did not reach the station broker; cannot judge"
elif grep -qE '\|east-(cmd|outcome|status)\|' "$work/fac-watch.out" "$work/station-cmds.out"; then
  fail "another station's messages crossed into the station broker: $(grep -hE 'east-' "$work/fac-watch.out" "$work/station-cmds.out")"
else
  pass "east-branch's command, outcome and status on the city broker do not cross into central-library's broker"
fi

# --- 5. the city ACL keeps the bridge's user inside its own station ---------
sub bridge-reads "kazasu/v1/sanjo/+/+/cmd/+" "${as_bridge[@]}"
wait_suback bridge-reads
pub "$work/5a.out" "${as_bridge[@]}" -r -t "$other/status" -m forged-east-status
pub "$work/5b.out" "${as_bridge[@]}" -t "$other/example/seen" -m forged-east-outcome
pub "$work/5c.out" "${as_bridge[@]}" -t "$other/example/cmd/ping" -m forged-east-cmd
pub "$work/5d.out" "${as_bridge[@]}" -t "$root/example/cmd/ping" -m forged-own-cmd
pub "$work/5e.out" "${as_bridge[@]}" -t "$root/replies/library-pc/x" -m forged-pc-reply
pub "$work/5f.out" "${as_bridge[@]}" -r -t bridges/sanjo/east-branch -m forged-notification
pub "$work/5g.out" "${as_bridge[@]}" -t kazasu/v1/sanjo/status -m forged-site-level
pub "$work/5h.out" "${ops[@]}" -t "$other/example/cmd/ping" -m east-cmd-2
pub "$work/5i.out" "${as_bridge[@]}" -t "$root/example/seen" -m marker-5
pub "$work/5j.out" "${ops[@]}" -t "$root/example/cmd/ping" -m marker-5b
if ! wait_for "$work/city-watch.out" "|marker-5|" 10 || ! wait_for "$work/bridge-reads.out" "|marker-5b|" 10; then
  fail "the markers did not arrive; cannot judge the city ACL"
else
  if grep -q 'forged-' "$work/city-watch.out" "$work/fac-watch.out"; then
    fail "the bridge's user published outside its station's topics on the city broker: $(grep -h forged- "$work/city-watch.out" "$work/fac-watch.out")"
  else
    pass "on the city broker the bridge's user cannot write another station's topics, commands (even its own), facility replies, another bridge's state or the site level"
  fi
  if grep -q 'east-cmd' "$work/bridge-reads.out"; then
    fail "the bridge's user can read east-branch's commands on the city broker"
  else
    pass "on the city broker the bridge's user reads only its own station's commands"
  fi
fi
stop "$last_sub"

# --- 6. the city broker away: the bridge queues, the city delivers after restart
# A city system with a persistent session (clean start off, fixed client id).
aggregator=("${ops[@]}" -c -i city-aggregator)
sub agg-1 "kazasu/v1/sanjo/+/example/seen" "${aggregator[@]}"
agg_pid=$last_sub
wait_suback agg-1
pub "$work/6a.out" "${kazasud[@]}" -t "$root/example/seen" -m before-outage
wait_for "$work/agg-1.out" "|before-outage|" 15 || die "the aggregator did not receive the station's outcome before the outage: $(cat "$work/agg-1.out")"
stop "$agg_pid"
stop "$city_pid"
pass "city broker stopped (pid $city_pid), the aggregator away"

sent=()
for i in 1 2 3 4 5; do
  if pub "$work/6b-$i.out" "${kazasud[@]}" -t "$root/example/seen" -m "offline-$i"; then
    sent+=("offline-$i")
  else
    fail "the station broker did not acknowledge offline-$i while the city was away: $(cat "$work/6b-$i.out")"
  fi
done
pub "$work/6c.out" "${kazasud[@]}" -r -t "$root/status" -m status-offline-period
kill -0 "$station_pid" 2>/dev/null || die "the station broker died while the city was away"
[ ${#sent[@]} -eq 5 ] && pass "the station broker acknowledged offline-1..5 and a retained status while the city was away"

n=$(log_lines city)
start_city
pass "city broker restarted (same data directory)"
if wait_log city "$n" "$login" 90; then
  pass "the bridge reconnected to the city broker on its own"
else
  die "the bridge did not reconnect within 90 s of the city broker's restart"
fi
# A marker published after the reconnection: once a live city watcher has it,
# everything the bridge had queued before it has been delivered too.
sub city-watch-2 "kazasu/v1/#" "${ops[@]}"
wait_suback city-watch-2
pub "$work/6d.out" "${kazasud[@]}" -t "$root/example/seen" -m after-restart
wait_for "$work/city-watch-2.out" "|after-restart|" 15 || die "a message published after the reconnection did not reach the city broker"
# The aggregator comes back with the same client id: its session, kept by the
# city broker's persistence across the restart, holds what arrived meanwhile.
sub agg-2 "kazasu/v1/sanjo/+/example/seen" "${aggregator[@]}"
if wait_for "$work/agg-2.out" "|after-restart|" 20; then
  got=$(grep -oE '\|(offline-[0-9]|after-restart)\|' "$work/agg-2.out" | tr -d '|' | awk '!seen[$0]++' | tr '\n' ' ')
  if [ "$got" = "offline-1 offline-2 offline-3 offline-4 offline-5 after-restart " ]; then
    pass "offline-1..5, published while the city broker was down, reach the aggregator's persistent session after the restart, in order"
  else
    fail "after the restart the aggregator got [$got], want [offline-1 .. offline-5 after-restart]: $(cat "$work/agg-2.out")"
  fi
else
  fail "the aggregator's persistent session did not survive the city broker's restart (no after-restart): $(cat "$work/agg-2.out")"
fi
timeout 10 mosquitto_sub "${ops[@]}" -q 1 -t "$root/status" -t bridges/sanjo/central-library -F '%t|%p|%r' -W 3 > "$work/6r.out" 2>&1
if grep -qxF "$root/status|status-offline-period|1" "$work/6r.out" && grep -qxF "bridges/sanjo/central-library|1|1" "$work/6r.out"; then
  pass "the status published during the outage is the retained status on the city broker, and the link's state is 1 again"
else
  fail "retained status / link state after the restart: $(cat "$work/6r.out")"
fi

# --- 7. the bridge's own topic list, apart from the city ACL -----------------
# Checks 2, 4 and 5 hold by the bridge's topics and the city ACL together. The
# city broker's debug log (log_type all, added by this test) shows what the
# bridge itself sent and subscribed to over the whole test: only its
# station's outgoing topics, and only its station's commands.
# ("Denied PUBLISH" is what the city ACL dropped: the bridge sent it all the same.)
bridge_pubs=$(grep -oE "(Received|Denied) PUBLISH from bridge-sanjo-central-library \(.*, '[^']*'" "$city/mosquitto.log" | sed -E "s/.*'([^']*)'\$/\1/" | sort -u)
bad_pubs=$(printf '%s\n' "$bridge_pubs" | grep -vxE "bridges/sanjo/central-library|$root/status|$root/[^/]+/[^/]+|$root/replies/city/.+" || true)
if [ -z "$bridge_pubs" ]; then
  fail "no PUBLISH from the bridge in the city broker's log; cannot check the bridge's topics"
elif [ -n "$bad_pubs" ]; then
  fail "the bridge sent topics outside its out list: $(tr '\n' ' ' <<< "$bad_pubs")"
else
  pass "the bridge itself sends only status, two-level topics and replies/city/... of its station ($(echo "$bridge_pubs" | wc -l) topics)"
fi
bridge_q0=$(grep -E "(Received|Denied) PUBLISH from bridge-sanjo-central-library \(d[01], q0," "$city/mosquitto.log" || true)
if [ -z "$bridge_q0" ]; then
  pass "everything the bridge sends to the city broker is QoS 1"
else
  fail "the bridge sent QoS 0 messages: $bridge_q0"
fi
bridge_subs=$(grep -A1 "Received SUBSCRIBE from bridge-sanjo-central-library" "$city/mosquitto.log" | grep -oE $'\t.*' | tr -d '\t' | sort -u)
if [ "$bridge_subs" = "$root/+/cmd/+ (QoS 1)" ]; then
  pass "the bridge itself subscribes on the city broker only to $root/+/cmd/+, QoS 1"
else
  fail "the bridge subscribes on the city broker to [$(tr '\n' ';' <<< "$bridge_subs")], want only $root/+/cmd/+ (QoS 1)"
fi

kill -0 "$station_pid" 2>/dev/null || fail "the station broker died during the test"
kill -0 "$city_pid" 2>/dev/null || fail "the city broker died during the test"
if [ $failures -ne 0 ]; then
  show_logs
  echo "$failures check(s) failed"
  exit 1
fi
echo "all bridge checks passed"
