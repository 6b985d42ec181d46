#!/usr/bin/env bash
# Runs the system locally: Azurite (data in .data/azurite, kept across restarts), the silo with its dashboard,
# and the REST API. Ctrl-C stops all of it in a few seconds: the API, then the silo, then Azurite (which saves its data).
# Ports move with AZURITE_TABLE_PORT, SILO_URL, API_URL and Orleans__SiloPort / Orleans__GatewayPort (environment).
set -euo pipefail
cd "$(dirname "$0")"

AZURITE_PORT="${AZURITE_TABLE_PORT:-10002}"
SILO_URL="${SILO_URL:-http://127.0.0.1:5081}"
API_URL="${API_URL:-http://127.0.0.1:5080}"
export Storage__ConnectionString="${Storage__ConnectionString:-DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1;}"

source scripts/local-processes.sh
ensure_azurite
ensure_debian_packages fonts-dejavu-core
trap stop_all INT TERM EXIT

mkdir -p .data/azurite .data/logs
start_detached node_modules/.bin/azurite-table --location .data/azurite --tableHost 127.0.0.1 --tablePort "$AZURITE_PORT" \
  --skipApiVersionCheck --disableTelemetry --silent
wait_for "http://127.0.0.1:${AZURITE_PORT}/devstoreaccount1/Tables" "Azurite"

dotnet build Orleans.sln -c Release -v quiet -nologo
start_detached dotnet silo/bin/Release/net10.0/Billing.Silo.dll --urls "$SILO_URL" --contentRoot "$PWD/silo"
wait_for "$SILO_URL/dashboard" "Silo"

start_detached dotnet api/bin/Release/net10.0/Billing.Api.dll --urls "$API_URL" --contentRoot "$PWD/api" --environment Development
wait_for "$API_URL/health/live" "API"

cat <<MSG

Billing is running:
  API            $API_URL            (ready: $API_URL/health/ready, OpenAPI: $API_URL/openapi/v1.json)
  API reference  $API_URL/scalar
  Dashboard      $SILO_URL/dashboard
  Azurite table  http://127.0.0.1:${AZURITE_PORT}  (data in .data/azurite)
  Emails         .data/mail/*.eml  (every email the outbox sends; set Notifications:Smtp:Host to use SMTP)
Get a local token:  dotnet user-jwts create --project api --audience billing-api
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
