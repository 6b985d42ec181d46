#!/usr/bin/env bash
# Runs the system locally: Azurite (data in .data/azurite, kept across restarts), the silo with its dashboard,
# and the REST API. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")"

AZURITE_PORT="${AZURITE_TABLE_PORT:-10002}"
SILO_URL="${SILO_URL:-http://127.0.0.1:5081}"
API_URL="${API_URL:-http://127.0.0.1:5080}"
export Storage__ConnectionString="${Storage__ConnectionString:-DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1;}"

if [ ! -x node_modules/.bin/azurite-table ]; then
  echo "Installing Azurite (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  # The API and the silo first (the silo marks itself dead in the membership table on the way out), Azurite last.
  # Azurite saves its on-disk database only on SIGINT (SIGTERM would lose the last seconds of writes).
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    if [ "$i" -eq 0 ]; then kill -INT "${pids[$i]}" 2>/dev/null || true; else kill "${pids[$i]}" 2>/dev/null || true; fi
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap stop_all INT TERM EXIT

wait_for() { # url, name: any HTTP answer means the process is serving (Azurite answers 403 to an unsigned call)
  for _ in $(seq 1 240); do
    if curl -sS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "$2 exited; see its output above." >&2; exit 1; }; done
    sleep 0.5
  done
  echo "$2 did not answer at $1" >&2; exit 1
}

mkdir -p .data/azurite .data/logs
node_modules/.bin/azurite-table --location .data/azurite --tableHost 127.0.0.1 --tablePort "$AZURITE_PORT" \
  --skipApiVersionCheck --disableTelemetry --silent &
pids+=($!)
wait_for "http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1/Tables" "Azurite"

dotnet build Orleans.sln -c Release -v quiet -nologo
dotnet silo/bin/Release/net10.0/Billing.Silo.dll --urls "$SILO_URL" --contentRoot "$PWD/silo" &
pids+=($!)
wait_for "$SILO_URL/dashboard" "Silo"

dotnet api/bin/Release/net10.0/Billing.Api.dll --urls "$API_URL" --contentRoot "$PWD/api" --environment Development &
pids+=($!)
wait_for "$API_URL/health/live" "API"

cat <<MSG

Billing is running:
  API            $API_URL            (ready: $API_URL/health/ready, OpenAPI: $API_URL/openapi/v1.json)
  Dashboard      $SILO_URL/dashboard
  Azurite table  http://127.0.0.1:${AZURITE_PORT}  (data in .data/azurite)
Get a local token:  dotnet user-jwts create --project api --audience billing-api
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
