# Sourced by run.sh, bench.sh and test.sh: installs Azurite when missing, waits for local processes to serve, and
# stops them in reverse order of start. Whoever sources it appends each started process to `pids`, Azurite first.

pids=()

# Azurite comes from the committed, pinned package-lock.json, with the portal's chart library (the API's build copies
# it into api/wwwroot) and axe-core (the portal's browser tests run it in each page).
ensure_azurite() {
  if [ ! -x node_modules/.bin/azurite-table ] || [ ! -f node_modules/chart.js/package.json ] || [ ! -f node_modules/axe-core/axe.min.js ]; then
    echo "Installing Azurite, Chart.js and axe-core (npm ci)..." >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

# Debian packages the tests and invoice PDFs need, installed when missing (apt-get needs root, as on CI):
# fonts-dejavu-core is the invoice PDFs' font; chromium is the browser the portal's tests drive (Playwright's own
# browser download is not used).
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

# start_detached COMMAND...: starts a local process in a session of its own and appends its pid to `pids`. The
# terminal's Ctrl-C (SIGINT to its foreground process group) then reaches only the script, whose trap stops the
# processes in order (stop_all); otherwise Azurite would also get it and quit while the silo still writes to it.
start_detached() {
  setsid "$@" &
  pids+=($!)
}

# stop_process PID SIGNAL SECONDS: sends SIGNAL and waits for the process to end, at most SECONDS, then kills it.
stop_process() {
  local pid=$1 signal=$2 limit=$3
  kill -"$signal" "$pid" 2>/dev/null || return 0
  for ((tick = 0; tick < limit * 10; tick++)); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; return 0; fi
    sleep 0.1
  done
  echo "Process $pid did not stop within ${limit}s; killing it." >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops what was started, newest first, each bounded: the API, then the silo (which marks itself dead in the
# membership table on the way out, so it needs storage until it is gone), then Azurite. Azurite saves its on-disk
# database only on SIGINT (SIGTERM would lose the last seconds of writes), so pids[0] gets SIGINT.
stop_all() {
  trap - INT TERM EXIT
  echo "Stopping..." >&2
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    if [ "$i" -eq 0 ]; then stop_process "${pids[$i]}" INT 30; else stop_process "${pids[$i]}" TERM 30; fi
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
