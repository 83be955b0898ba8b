#!/usr/bin/env bash
# Outcomes per second through the durable outbox to broker acknowledgment,
# and p50/p99 from outcome to PUBACK, at offered loads of 1, 100 and 5000
# taps/s: a real mosquitto on loopback, kazasud with the example plugin on a
# simulated reader, SQLite with synchronous=FULL.
#
#   bench/outbox/run.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nset_tcp_nodelay true\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
pids+=($!)
sleep 0.3

run_load() {  # RATE SECONDS
  local rate=$1 seconds=$2 dir="$work/r$1"
  mkdir -p "$dir"
  "$build/tools/kazasuctl/kazasuctl" secret init "$dir/site.secret" >/dev/null
  cat > "$dir/kazasud.toml" <<TOML
[station]
site = "bench"
name = "station"
data_dir = "$dir/data"
secret_file = "$dir/site.secret"
control_socket = "$dir/control.sock"
plugin_dir = "$build/lib/kazasu/plugins"
log_level = "warning"
[mqtt]
uri = "tcp://127.0.0.1:$port"
[plugins.example]
[readers.counter-1]
driver = "sim"
plugins = ["example"]
[sim.cards.alice]
kind = "jpki"
serial = "0x01"
[diagnostics]
stage_log = "$dir/stages.csv"
TOML
  "$build/daemon/kazasud" --config "$dir/kazasud.toml" 2> "$dir/kazasud.log" &
  local pid=$!
  pids+=("$pid")  # stopped by cleanup too if a step below fails
  for _ in $(seq 100); do [ -S "$dir/control.sock" ] && break; sleep 0.05; done
  sleep 0.3
  local load
  load=$("$build/bench/outbox/kazasu-tap-load" "$dir/control.sock" counter-1 alice "$rate" "$seconds")
  # Wait for the queue to drain before reading the figures.
  for _ in $(seq 200); do
    [ "$("$build/tools/kazasuctl/kazasuctl" --socket "$dir/control.sock" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["queued"])')" = 0 ] && break
    sleep 0.05
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local elapsed
  elapsed=$(echo "$load" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
  printf '%-6s taps/s offered | %s | %s\n' "$rate" "$load" "$(python3 "$root/bench/outbox/stages.py" "$dir/stages.csv" "$elapsed")"
}

run_load 1 10
run_load 100 10
run_load 5000 4
