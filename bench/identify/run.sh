#!/bin/bash
# APDUs and milliseconds per identification at each level, with a per-APDU
# delay of 0 ms and 10 ms, through pcscd + vpcd + kazasu-cardsim.
#   bench/identify/run.sh [BUILD_DIR] [COUNT]
# Needs root (pcscd) and Debian's vsmartcard-vpcd. Starts pcscd -f if none runs
# and stops only the one it started.
set -euo pipefail
BUILD=${1:-build}
COUNT=${2:-50}
SIM=$BUILD/tools/cardsim/kazasu-cardsim
BENCH=$BUILD/bench/identify/kazasu-identify-bench
READER="Virtual PCD 00 00"
PORT=35963
WORK=$(mktemp -d)
PCSCD_PID=""
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  [ -n "$PCSCD_PID" ] && kill "$PCSCD_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! pgrep -x pcscd >/dev/null; then
  pcscd -f >"$WORK/pcscd.log" 2>&1 &
  PCSCD_PID=$!
  sleep 1
fi
"$SIM" make-ca --out "$WORK/ca" >/dev/null
"$SIM" make-card --ca "$WORK/ca" --out "$WORK/card" >/dev/null

echo "delay_ms level apdus median_ms p95_ms (n=$COUNT)"
for delay in 0 10; do
  "$SIM" run --card "$WORK/card" --port $PORT --delay-ms "$delay" >/dev/null 2>&1 &
  SIM_PID=$!
  sleep 1.5  # pcscd polls vpcd for presence every 400 ms
  for level in fast verified possession; do
    line=$("$BENCH" --reader "$READER" --level $level --count "$COUNT" --trust "$WORK/ca/auth_ca_cert.pem")
    echo "$delay $line"
  done
  line=$("$BENCH" --reader "$READER" --level fast --basic-info --count "$COUNT" --trust "$WORK/ca/auth_ca_cert.pem")
  echo "$delay $line"
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  SIM_PID=""
  sleep 1
done
