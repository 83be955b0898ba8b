# The common start of the broker tests, sourced after `src` is set:
#   . "$src/tests/mqtt/harness.sh" NAME
# makes $work (removed at exit unless KEEP_WORK is set), $pids (every process
# the test starts; stopped and reaped at exit, and nothing else), and the
# pass/fail counters.
work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=0
pass() { echo "ok:   $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
