#!/usr/bin/env bash
# Runs the load generator (bench/Billing.Benchmark) against a real silo, in one command: builds Release, starts an
# in-memory Azurite and a silo on their own ports (so ./run.sh can keep running), runs the benchmark, stops all.
# Options go to the benchmark, e.g. ./bench.sh --duration 5 --out bench-report.md (see README, "Benchmark").
# The Markdown report goes to stdout; progress to stderr; the silo's output to .data/logs/bench-silo.log.
set -euo pipefail
cd "$(dirname "$0")"

AZURITE_PORT="${BENCH_AZURITE_PORT:-10012}"
SILO_URL="${BENCH_SILO_URL:-http://127.0.0.1:5091}"
SILO_PORT="${BENCH_SILO_PORT:-11112}"
GATEWAY_PORT="${BENCH_GATEWAY_PORT:-30010}"
CLUSTER_ID=bench
STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1;"

if [ ! -x node_modules/.bin/azurite-table ]; then
  echo "Installing Azurite (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

for port in "$AZURITE_PORT" "$SILO_PORT" "$GATEWAY_PORT" "${SILO_URL##*:}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is in use; stop what uses it or set BENCH_*_PORT (see README)." >&2; exit 1
  fi
done

# Only what the benchmark runs: the silo and the load generator (not the tests), to keep the build short.
dotnet build silo/Billing.Silo.csproj -c Release -v quiet -nologo >&2
dotnet build bench/Billing.Benchmark/Billing.Benchmark.csproj -c Release -v quiet -nologo >&2

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "Stopping the silo and Azurite..." >&2
  # The silo first (it marks itself dead in the membership table on the way out), Azurite last, with SIGINT.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    if [ "$i" -eq 0 ]; then kill -INT "${pids[$i]}" 2>/dev/null || true; else kill "${pids[$i]}" 2>/dev/null || true; fi
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap stop_all INT TERM EXIT

wait_for() { # url, name: any HTTP answer means the process is serving (Azurite answers 403 to an unsigned call)
  for _ in $(seq 1 240); do
    if curl -sS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "$2 exited; see $3." >&2; exit 1; }; done
    sleep 0.5
  done
  echo "$2 did not answer at $1; see $3." >&2; exit 1
}

# In memory: every run starts from empty tables, and the on-disk mode's save stalls stay out of the figures.
mkdir -p .data/logs
node_modules/.bin/azurite-table --inMemoryPersistence --tableHost 127.0.0.1 --tablePort "$AZURITE_PORT" \
  --skipApiVersionCheck --disableTelemetry --silent >.data/logs/bench-azurite.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1/Tables" "Azurite" ".data/logs/bench-azurite.log"

dotnet silo/bin/Release/net10.0/Billing.Silo.dll --urls "$SILO_URL" --contentRoot "$PWD/silo" \
  "--Storage:ConnectionString=$STORAGE" --Orleans:ClusterId=$CLUSTER_ID \
  --Orleans:SiloPort="$SILO_PORT" --Orleans:GatewayPort="$GATEWAY_PORT" >.data/logs/bench-silo.log 2>&1 &
pids+=($!)
wait_for "$SILO_URL/dashboard" "Silo" ".data/logs/bench-silo.log"
echo "Silo up (dashboard $SILO_URL/dashboard); running the benchmark..." >&2

rc=0
dotnet bench/Billing.Benchmark/bin/Release/net10.0/Billing.Benchmark.dll \
  "--Storage:ConnectionString=$STORAGE" --Orleans:ClusterId=$CLUSTER_ID "$@" || rc=$?
exit "$rc"
