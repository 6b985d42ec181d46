# Sourced by run.sh, bench.sh and test.sh: installs Azurite when missing, waits for local processes to serve, and
# stops them in reverse order of start. Whoever sources it appends each started process to `pids`, Azurite first.

pids=()

# Azurite comes from the committed, pinned package-lock.json.
ensure_azurite() {
  if [ ! -x node_modules/.bin/azurite-table ]; then
    echo "Installing Azurite (npm ci)..." >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

# Debian packages the tests and invoice PDFs need, installed when missing (apt-get needs root, as on CI):
# fonts-dejavu-core is the invoice PDFs' font.
ensure_debian_packages() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
  echo "Installing ${missing[*]} (apt-get)..." >&2
  { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } || { echo "Could not install ${missing[*]}." >&2; exit 1; }
}

# Stops what was started, newest first: the API and the silo (which marks itself dead in the membership table on the
# way out) before Azurite. Azurite saves its on-disk database only on SIGINT: SIGTERM would lose the last seconds of
# writes, so pids[0] gets SIGINT.
stop_all() {
  trap - INT TERM EXIT
  echo "Stopping..." >&2
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    if [ "$i" -eq 0 ]; then kill -INT "${pids[$i]}" 2>/dev/null || true; else kill "${pids[$i]}" 2>/dev/null || true; fi
    wait "${pids[$i]}" 2>/dev/null || true
  done
}

# wait_for URL NAME [WHERE-ITS-OUTPUT-IS]: any HTTP answer means the process serves (Azurite answers 403 to an
# unsigned call); gives up when a started process exits, or after two minutes.
wait_for() {
  for _ in $(seq 1 240); do
    if curl -sS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "$2 exited; see ${3:-its output above}." >&2; exit 1; }; done
    sleep 0.5
  done
  echo "$2 did not answer at $1${3:+; see $3}." >&2; exit 1
}
