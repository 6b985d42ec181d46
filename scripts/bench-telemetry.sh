#!/usr/bin/env bash
# What exporting telemetry costs the metering decision (docs/benchmarks.md, "Telemetry"): rounds of ./bench.sh with
# nothing configured ("off") and with OTLP export to a local sink that reads and discards every post ("on"), the order
# flipped every round so that a drift of the machine falls on both arms. One line per run, then the medians per arm.
# Usage: scripts/bench-telemetry.sh [rounds, default 6] [-- bench options]
#   default bench options: --calls meter --apps 1 --prime true --modes paced --rate 9000 --duration 10 --warmup 3 (a pace both arms
#   sustain, so the silo's CPU per decision compares work per call, not a throughput that fell)
#   ON_ENV adds settings to the "on" arm only, e.g. ON_ENV="OTEL_TRACES_SAMPLER=always_on" or OTEL_METRICS_EXPORTER=none
# Reports land in .data/bench/telemetry/<arm>-<round>.md; the silo's output in .data/logs/bench-silo.log.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${1:-6}"
[[ $# -gt 0 ]] && shift
[[ "${1:-}" == "--" ]] && shift
options=("$@")
[[ ${#options[@]} -eq 0 ]] && options=(--calls meter --apps 1 --prime true --modes paced --rate 9000 --duration 10 --warmup 3)
sink_port="${TELEMETRY_SINK_PORT:-14318}"

# The collector stand-in: answers every OTLP/HTTP post with 200 and an empty protobuf body.
node -e "require('http').createServer((q, r) => { q.resume(); q.on('end', () => { r.writeHead(200, { 'content-type': 'application/x-protobuf' }); r.end(); }); }).listen($sink_port, '127.0.0.1')" &
sink=$!
trap 'kill "$sink" 2>/dev/null || true' EXIT

dir=.data/bench/telemetry
mkdir -p "$dir"
: >"$dir/runs.txt"

# decision calls/s, decision p99 ms, silo and Azurite µs per decision, from one report
figures() {
  awk -F'|' '
    function trim(s) { gsub(/^ +| +$/, "", s); return s }
    /^\| call \| mode \| answered/ { results = 1; next }
    results && $2 ~ /decision/ { rate = trim($5); gsub(/,/, "", rate); p99 = trim($7); results = 0 }
    /^\| call \| mode \| load generator/ { for (i = 1; i <= NF; i++) { h = trim($i); if (h == "silo") sc = i; if (h == "azurite") ac = i } cpu = 1; next }
    cpu && $2 ~ /decision/ { split(trim($sc), s, " "); split(trim($ac), a, " "); silo = s[1]; azurite = a[1]; cpu = 0 }
    END { printf "%s %s %s %s\n", rate, p99, silo, azurite }' "$1"
}

for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then order=(off on); else order=(on off); fi
  for arm in "${order[@]}"; do
    report="$dir/$arm-$round.md"
    if [[ "$arm" == on ]]; then
      # shellcheck disable=SC2086 # ON_ENV is a list of NAME=value words
      env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf ${ON_ENV:-} \
        ./bench.sh "${options[@]}" --out "$report" >/dev/null 2>"$dir/$arm-$round.log"
    else
      ./bench.sh "${options[@]}" --out "$report" >/dev/null 2>"$dir/$arm-$round.log"
    fi
    read -r rate p99 silo azurite < <(figures "$report")
    echo "$arm $round $rate $p99 $silo $azurite" >>"$dir/runs.txt"
    printf '%-3s round %2d: %8s decisions/s, p99 %7s ms, silo %6s µs/decision, azurite %6s µs/decision (load %s)\n' \
      "$arm" "$round" "$rate" "$p99" "$silo" "$azurite" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

echo
echo "Medians over $rounds rounds:"
for arm in off on; do
  awk -v arm="$arm" '$1 == arm { print $3, $4, $5, $6 }' "$dir/runs.txt" | awk -v arm="$arm" '
    { for (i = 1; i <= 4; i++) v[i, NR] = $i }
    END {
      for (i = 1; i <= 4; i++) {
        n = 0; for (r = 1; r <= NR; r++) col[++n] = v[i, r] + 0
        for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (col[y] < col[x]) { t = col[x]; col[x] = col[y]; col[y] = t }
        m[i] = (n % 2) ? col[(n + 1) / 2] : (col[n / 2] + col[n / 2 + 1]) / 2
      }
      printf "%-3s %8.0f decisions/s, p99 %7.1f ms, silo %6.1f µs/decision, azurite %6.1f µs/decision\n", arm, m[1], m[2], m[3], m[4]
    }'
done
