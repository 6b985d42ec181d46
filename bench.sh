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

source scripts/local-processes.sh
ensure_azurite

for port in "$AZURITE_PORT" "$SILO_PORT" "$GATEWAY_PORT" "${SILO_URL##*:}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is in use; stop what uses it or set BENCH_*_PORT (see README)." >&2; exit 1
  fi
done

# Only what the benchmark runs: the silo and the load generator (not the tests), to keep the build short.
dotnet build silo/Billing.Silo.csproj -c Release -v quiet -nologo >&2
dotnet build bench/Billing.Benchmark/Billing.Benchmark.csproj -c Release -v quiet -nologo >&2

trap stop_all INT TERM EXIT

# In memory: every run starts from empty tables, and the on-disk mode's save stalls stay out of the figures.
mkdir -p .data/logs
node_modules/.bin/azurite-table --inMemoryPersistence --tableHost 127.0.0.1 --tablePort "$AZURITE_PORT" \
  --skipApiVersionCheck --disableTelemetry --silent >.data/logs/bench-azurite.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1/Tables" "Azurite" ".data/logs/bench-azurite.log"

dotnet silo/bin/Release/net10.0/Billing.Silo.dll --urls "$SILO_URL" --contentRoot "$PWD/silo" --environment Development \
  "--Storage:ConnectionString=$STORAGE" --Orleans:ClusterId=$CLUSTER_ID \
  --Orleans:SiloPort="$SILO_PORT" --Orleans:GatewayPort="$GATEWAY_PORT" >.data/logs/bench-silo.log 2>&1 &
pids+=($!)
# Not the dashboard page: opening it switches on the dashboard's per-call grain profiler for a minute or more, and
# the benchmark measures the silo as it runs when no operator is watching (docs/benchmarks.md).
wait_for "$SILO_URL/" "Silo" ".data/logs/bench-silo.log"
echo "Silo up (dashboard $SILO_URL/dashboard); running the benchmark..." >&2

rc=0
dotnet bench/Billing.Benchmark/bin/Release/net10.0/Billing.Benchmark.dll \
  "--Storage:ConnectionString=$STORAGE" --Orleans:ClusterId=$CLUSTER_ID "--Bench:Watch=azurite:${pids[0]},silo:${pids[1]}" "$@" || rc=$?
exit "$rc"
