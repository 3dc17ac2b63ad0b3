# shellcheck shell=bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Start and stop the bundled Apinizer emulator (package apinizer_emulator in
# tests/emulator) on 127.0.0.1, on a free port, with new random tokens. Sourced by
# integration.sh:
#
#   . tests/scripts/emulator.sh
#   emulator_start EMULATOR_DIR PYTHON WORK_DIR    # sets EMULATOR_URL, EMULATOR_TOKEN,
#                                                  # EMULATOR_READ_ONLY_TOKEN, EMULATOR_PID
#   emulator_stop                                  # safe to call more than once
#
# EMULATOR_ARGS, when set, adds options to the emulator's command line (split on white
# space), e.g. EMULATOR_ARGS='--variant strict' or '--not-found-status 404': the server
# variants of tests/emulator/README.md.
# The emulator's output goes to WORK_DIR/emulator.log (emulator_log prints its tail).

# shellcheck source=tests/scripts/processes.sh
. "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

EMULATOR_PID=
EMULATOR_LOG=

# A long random secret: hex, so it never looks like an option or needs YAML quoting.
emulator_token() {
    "$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(40))'
}

# Succeeds when GET URL answers 200 within 2 seconds.
emulator_get_ok() {
    "$EMULATOR_PYTHON" - "$1" <<'PY'
import sys
import urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:  # pylint: disable=broad-except
    sys.exit(1)
PY
}

emulator_start() {
    local emulator_dir=$1 work_dir=$3
    local port_file="$work_dir/emulator.port" port="" tries
    local -a extra_args=()
    read -r -a extra_args <<< "${EMULATOR_ARGS:-}"
    EMULATOR_PYTHON=$2
    EMULATOR_LOG="$work_dir/emulator.log"
    EMULATOR_TOKEN=$(emulator_token)
    EMULATOR_READ_ONLY_TOKEN=$(emulator_token)
    rm -f "$port_file"

    PYTHONPATH="$emulator_dir${PYTHONPATH:+:$PYTHONPATH}" "$EMULATOR_PYTHON" -m apinizer_emulator \
        --host 127.0.0.1 --port 0 --port-file "$port_file" \
        --token "$EMULATOR_TOKEN" --read-only-token "$EMULATOR_READ_ONLY_TOKEN" \
        --project demo=production,staging,development \
        --project other=production,staging \
        "${extra_args[@]}" \
        > "$EMULATOR_LOG" 2>&1 < /dev/null &
    EMULATOR_PID=$!

    # Up to 30 seconds for the port file, then for the health check.
    for (( tries = 0; tries < 300; tries++ )); do
        if ! kill -0 "$EMULATOR_PID" 2> /dev/null; then
            echo "the emulator exited before it was ready:" >&2
            emulator_log >&2
            EMULATOR_PID=
            return 1
        fi
        if [[ -s $port_file ]]; then
            port=$(< "$port_file")
            if [[ $port =~ ^[0-9]+$ ]] && emulator_get_ok "http://127.0.0.1:$port/_emulator/health"; then
                EMULATOR_URL="http://127.0.0.1:$port"
                export EMULATOR_URL EMULATOR_TOKEN EMULATOR_READ_ONLY_TOKEN
                echo "emulator (pid $EMULATOR_PID) listening on $EMULATOR_URL${EMULATOR_ARGS:+ ($EMULATOR_ARGS)}"
                return 0
            fi
        fi
        sleep 0.1
    done
    echo "the emulator did not become ready within 30 seconds:" >&2
    emulator_log >&2
    emulator_stop
    return 1
}

emulator_stop() {
    local pid=$EMULATOR_PID
    EMULATOR_PID=
    [[ -n $pid ]] || return 0
    stop_process "$pid"
    echo "emulator (pid $pid) stopped"
}

emulator_log() {
    if [[ -n $EMULATOR_LOG && -s $EMULATOR_LOG ]]; then
        echo "--- last lines of $EMULATOR_LOG"
        tail -n 40 "$EMULATOR_LOG"
        echo "---"
    fi
}
