#!/usr/bin/env bash
# Runs the whole test suite: unit tests, provider conformance suites against Azurite, cluster and API tests.
# Tests start their own in-memory Azurite on a free loopback port; nothing else needs to be running.
set -euo pipefail
cd "$(dirname "$0")"

source scripts/local-processes.sh
ensure_azurite
ensure_debian_packages fonts-dejavu-core chromium

results_dir="$PWD/TestResults"
rm -rf "$results_dir"
dotnet test --solution Orleans.sln -c Release \
  --results-directory "$results_dir" --report-xunit-xml --report-xunit-xml-filename results.xml "$@"
