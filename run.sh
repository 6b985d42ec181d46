#!/usr/bin/env bash
# Runs the system locally: Azurite (data in .data/azurite, kept across restarts), the silo with its dashboard,
# and the REST API. Ctrl-C stops all of it in a few seconds: the API, then the silo, then Azurite (which saves its data).
# Ports move with AZURITE_TABLE_PORT, SILO_URL, API_URL and Orleans__SiloPort / Orleans__GatewayPort (environment).
# --silos N (or SILOS=N) runs N silo processes in one cluster: silo i (from 0) serves its dashboard on SILO_URL's port
# + i and takes silo port Orleans__SiloPort + i and gateway port Orleans__GatewayPort + i.
# Everything runs in the Development environment: outside it the silo and the API refuse Azurite and the sandbox.
set -euo pipefail
cd "$(dirname "$0")"

SILOS="${SILOS:-1}"
while [ $# -gt 0 ]; do
  case "$1" in
    --silos) SILOS="${2:?--silos takes a number}"; shift 2 ;;
    --silos=*) SILOS="${1#--silos=}"; shift ;;
    *) echo "Unknown option $1 (usage: ./run.sh [--silos N])" >&2; exit 2 ;;
  esac
done
if ! [[ "$SILOS" =~ ^[1-9][0-9]?$ ]]; then echo "--silos takes a number from 1 to 99 (is '$SILOS')." >&2; exit 2; fi

AZURITE_PORT="${AZURITE_TABLE_PORT:-10002}"
SILO_URL="${SILO_URL:-http://127.0.0.1:5081}"
API_URL="${API_URL:-http://127.0.0.1:5080}"
SILO_PORT="${Orleans__SiloPort:-11111}"
GATEWAY_PORT="${Orleans__GatewayPort:-30000}"
export Storage__ConnectionString="${Storage__ConnectionString:-DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1;}"

source scripts/local-processes.sh
ensure_azurite
ensure_debian_packages fonts-dejavu-core
# Ctrl-C: the API, then every silo at once (each leaves the cluster gracefully, in parallel, so three take no longer
# than one), then Azurite, which saves its data on SIGINT.
stop_run() {
  trap - INT TERM EXIT
  echo "Stopping..." >&2
  [ -n "${api_pid:-}" ] && stop_process "$api_pid" TERM 30
  local stoppers=()
  for pid in "${silo_pids[@]}"; do stop_process "$pid" TERM 30 & stoppers+=($!); done
  for stopper in "${stoppers[@]}"; do wait "$stopper" 2>/dev/null || true; done
  stop_process "${pids[0]}" INT 30
}
silo_pids=()
trap stop_run INT TERM EXIT

mkdir -p .data/azurite .data/logs
start_detached node_modules/.bin/azurite-table --location .data/azurite --tableHost 127.0.0.1 --tablePort "$AZURITE_PORT" \
  --skipApiVersionCheck --disableTelemetry --silent
wait_for "http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1/Tables" "Azurite"

dotnet build Orleans.sln -c Release -v quiet -nologo
dashboards=()
for ((i = 0; i < SILOS; i++)); do
  url="${SILO_URL%:*}:$(( ${SILO_URL##*:} + i ))"
  start_detached dotnet silo/bin/Release/net10.0/Billing.Silo.dll --urls "$url" --contentRoot "$PWD/silo" --environment Development \
    --Orleans:SiloPort=$(( SILO_PORT + i )) --Orleans:GatewayPort=$(( GATEWAY_PORT + i ))
  silo_pids+=("${pids[-1]}")
  dashboards+=("$url/dashboard")
done
# Started together, they join the cluster together; each is waited for.
for ((i = 0; i < SILOS; i++)); do wait_for "${dashboards[$i]}" "Silo $i"; done

start_detached dotnet api/bin/Release/net10.0/Billing.Api.dll --urls "$API_URL" --contentRoot "$PWD/api" --environment Development
api_pid="${pids[-1]}"
wait_for "$API_URL/health/live" "API"

cat <<MSG

Billing is running:
  API            $API_URL            (ready: $API_URL/health/ready, OpenAPI: $API_URL/openapi/v1.json)
  API reference  $API_URL/scalar
  Dashboard      ${dashboards[*]}  ($SILOS silo(s) in cluster billing-local)
  Azurite table  http://127.0.0.1:${AZURITE_PORT}  (data in .data/azurite)
  Emails         .data/mail/*.eml  (every email the outbox sends; set Notifications:Smtp:Host to use SMTP)
Get a local token:  dotnet user-jwts create --project api --audience billing-api
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
