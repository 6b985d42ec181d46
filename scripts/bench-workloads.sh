#!/usr/bin/env bash
# Runs the four metering workloads of docs/benchmarks.md one after the other through ./bench.sh, each against a fresh
# silo and Azurite, and writes one report per workload to .data/bench/<name>.md (stdout shows them too).
#   a  one-app:    1 app, 10,000 end users, each one's first message sent before measuring (--prime)
#   b  many-apps:  1,000 apps, 10 end users each, primed the same way
#   c  mix:        1,000 apps, conversations of 8 messages, new end users arriving (1 message in 8 opens a session)
#   d  burst:      1,000 apps, every message a new conversation (session openings only)
# Usage: scripts/bench-workloads.sh [a b c d] [-- extra bench options, e.g. --duration 20 --warmup 5]
# Defaults: paced at 10,000 calls/s (the target's pace), 10 s measured after 3 s of warm-up per phase.
set -euo pipefail
cd "$(dirname "$0")/.."

workloads=()
while [[ $# -gt 0 && "$1" != "--" ]]; do workloads+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
[[ ${#workloads[@]} -eq 0 ]] && workloads=(a b c d)

mkdir -p .data/bench
for w in "${workloads[@]}"; do
  case "$w" in
    a) name=one-app;   preset=(--apps 1 --users 10000 --conversation 0 --prime true) ;;
    b) name=many-apps; preset=(--apps 1000 --users 10000 --conversation 0 --prime true) ;;
    c) name=mix;       preset=(--apps 1000 --users 10000 --conversation 8) ;;
    d) name=burst;     preset=(--apps 1000 --users 10000 --conversation 1) ;;
    *) echo "Unknown workload '$w' (a, b, c or d)." >&2; exit 2 ;;
  esac
  echo "== workload $w ($name), load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  ./bench.sh --rate 10000 --duration 10 --warmup 3 "${preset[@]}" "$@" --out ".data/bench/$name.md"
done
