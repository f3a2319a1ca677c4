#!/usr/bin/env bash
# How long a newcomer waits: clone this checkout afresh, run `make run`, and time the moment
# /readyz first answers 200. Prints the machine load before and after, and the time each
# step of `make run` started (from its own output), then stops everything it started.
#
#   bash bench/fresh_run.sh              # PORT 8795, clone into a temp directory
#   FRESH_PORT=8796 bash bench/fresh_run.sh
#   FRESH_REF=d4995b5 bash bench/fresh_run.sh   # an earlier commit, for a before/after
#
# Downloads come from the package caches (pip's and uv's, under ~/.cache): run it twice and the
# second run is the "downloads are cached" figure. DATABASE_URL and REDIS_URL are unset, as on a
# newcomer's machine: SQLite and the embedded broker under the clone's var/.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${FRESH_PORT:-8795}"
WORK="$(mktemp -d /tmp/stratum-fresh.XXXXXX)"
LOG="$WORK/make-run.log"
MAKE_PID=""

# Every process `make run` started: they all run in the clone (honcho gives each of web, worker
# and beat a session of its own, and their children can outlive it).
clone_pids() {
  local proc
  for proc in /proc/[0-9]*; do
    case "$(readlink "$proc/cwd" 2>/dev/null)" in "$WORK/stratum"*) echo "${proc#/proc/}" ;; esac
  done
}

cleanup() {
  if [ -n "$MAKE_PID" ]; then
    kill -TERM -- "-$MAKE_PID" $(clone_pids) 2>/dev/null || true
    for _ in $(seq 1 75); do [ -z "$(clone_pids)" ] && break; sleep 0.2; done
    kill -KILL $(clone_pids) 2>/dev/null || true
  fi
  [ "${FRESH_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
git clone --quiet "$SRC" "$WORK/stratum"
[ -n "${FRESH_REF:-}" ] && git -C "$WORK/stratum" checkout --quiet "$FRESH_REF"
echo "commit: $(git -C "$WORK/stratum" log --oneline -1 | cut -c1-80)"
# This script stays outside the clone, so only what make started runs (and is counted) there.
cd "$WORK"
start=$(date +%s.%N)
# Each line of make's output gets the seconds since start, so the slow step shows.
export START="$start" PORT
setsid bash -c 'env -u DATABASE_URL -u REDIS_URL -u VIRTUAL_ENV make -C stratum --no-print-directory run 2>&1 |
  while IFS= read -r line; do
    printf "%6.1fs  %s\n" "$(echo "$(date +%s.%N) - $START" | bc)" "$line"
  done' >"$LOG" &
MAKE_PID=$!

# CPU seconds spent by everything `make run` started, up to now: every live process in the
# clone, with what its finished children used (a process's cutime counts them once waited).
# Unlike the wall time it hardly depends on what else the machine is doing.
cpu_seconds() {
  local total=0 pid f
  for pid in $(clone_pids); do
    # After "(command) ": state ppid ... utime(12) stime(13) cutime(14) cstime(15), 1-based.
    read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + f[11] + f[12] + f[13] + f[14]))
  done
  echo "scale=1; $total / $(getconf CLK_TCK)" | bc
}

ready=""
for _ in $(seq 1 1200); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then
    ready=$(echo "$(date +%s.%N) - $start" | bc)
    cpu=$(cpu_seconds)
    break
  fi
  kill -0 "$MAKE_PID" 2>/dev/null || break
  sleep 0.25
done
echo "--- make run, seconds since start ---"
# The steps: make's commands, the end of seeding, and when web, worker and beat started and were
# ready.
grep -E 's  (python|\.venv/bin|Demo data ready|.*(started \(pid|Starting development server|ready\.|beat: Starting))' "$LOG" \
  | cut -c1-150 || true
if [ -z "$ready" ]; then
  echo "FAIL: /readyz never answered 200 (log above)"
  exit 1
fi
printf 'fresh clone to /readyz 200: %.1f s wall, %s s of CPU\n' "$ready" "$cpu"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
