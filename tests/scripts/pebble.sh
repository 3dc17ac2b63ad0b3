# shellcheck shell=bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Start and stop pebble (the ACME test server Let's Encrypt publishes; Debian package pebble)
# and pebble-challtestsrv (its DNS and HTTP challenge server, same package) on 127.0.0.1, on
# free ports. Sourced by tests/scripts/acme.sh:
#
#   . tests/scripts/pebble.sh
#   pebble_start PYTHON EMULATOR_DIR WORK_DIR   # sets PEBBLE_DIRECTORY_URL, PEBBLE_CA_FILE,
#                                               # PEBBLE_MANAGEMENT_URL, CHALLTESTSRV_URL
#   pebble_stop                                 # safe to call more than once
#
# pebble's validation is real: it asks challtestsrv's DNS server for the _acme-challenge TXT
# records (dns-01) and for the A record of a name (127.0.0.1), then fetches the http-01 token
# from challtestsrv's HTTP server (pebble's httpPort). A test publishes challenges through
# challtestsrv's management API (CHALLTESTSRV_URL: /set-txt, /clear-txt, /add-http01,
# /del-http01). pebble's TLS certificate is made with apinizer_emulator.testcerts
# (EMULATOR_DIR); PEBBLE_CA_FILE is its CA, for SSL_CERT_FILE. Issued certificates are valid
# PEBBLE_VALIDITY_SECONDS (default 20 days). Logs: WORK_DIR/pebble.log, WORK_DIR/challtestsrv.log.
#
# With PEBBLE_HTTP01_ROOT set to a directory, pebble fetches http-01 tokens from a plain web
# server serving that directory (python -m http.server) instead of challtestsrv: a tasks file
# that writes <root>/.well-known/acme-challenge/<token>, as a user's does, is validated for real.

# shellcheck source=tests/scripts/processes.sh
. "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

PEBBLE_PID=
CHALLTESTSRV_PID=
WEB_ROOT_PID=

# N free TCP ports of 127.0.0.1, one a line.
pebble_free_ports() {
    "$PEBBLE_PYTHON" - "$1" <<'PY'
import socket
import sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    sockets.append(s)
for s in sockets:
    print(s.getsockname()[1])
PY
}

pebble_wait_port() {
    local port=$1 pid=$2 name=$3 log=$4 tries
    for (( tries = 0; tries < 300; tries++ )); do
        if ! kill -0 "$pid" 2> /dev/null; then
            echo "$name exited before it was ready:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        if "$PEBBLE_PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
            "$port" 2> /dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "$name did not listen on port $port within 30 seconds:" >&2
    tail -n 20 "$log" >&2
    return 1
}

pebble_start() {
    local emulator_dir=$2 work_dir=$3 ports
    PEBBLE_PYTHON=$1
    for binary in pebble pebble-challtestsrv; do
        command -v "$binary" > /dev/null || {
            echo "$binary not found: apt-get install pebble (make acme installs it)" >&2
            return 1
        }
    done
    mkdir -p "$work_dir"
    mapfile -t ports < <(pebble_free_ports 5)
    local acme_port=${ports[0]} management_port=${ports[1]} dns_port=${ports[2]} http_port=${ports[3]}
    local challtestsrv_port=${ports[4]}

    # pebble's own TLS certificate, for 127.0.0.1 and localhost.
    PYTHONPATH="$emulator_dir${PYTHONPATH:+:$PYTHONPATH}" "$PEBBLE_PYTHON" - "$work_dir" <<'PY'
import pathlib
import sys
from apinizer_emulator import testcerts
work = pathlib.Path(sys.argv[1])
ca = testcerts.make_ca('pebble test CA')
testcerts.make_server_certificate(ca).write(work, 'pebble')
(work / 'pebble-ca.pem').write_bytes(ca.cert_pem)
PY
    cat > "$work_dir/pebble-config.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$acme_port",
    "managementListenAddress": "127.0.0.1:$management_port",
    "certificate": "$work_dir/pebble.crt",
    "privateKey": "$work_dir/pebble.key",
    "httpPort": $http_port,
    "tlsPort": 5001,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "certificateValidityPeriod": ${PEBBLE_VALIDITY_SECONDS:-1728000}
  }
}
JSON
    local challtestsrv_http01=127.0.0.1:$http_port
    if [[ -n ${PEBBLE_HTTP01_ROOT:-} ]]; then
        challtestsrv_http01=''
        mkdir -p "$PEBBLE_HTTP01_ROOT"
        "$PEBBLE_PYTHON" -m http.server --bind 127.0.0.1 --directory "$PEBBLE_HTTP01_ROOT" "$http_port" \
            > "$work_dir/web-root.log" 2>&1 < /dev/null &
        WEB_ROOT_PID=$!
        pebble_wait_port "$http_port" "$WEB_ROOT_PID" "the web root's server" "$work_dir/web-root.log" \
            || { pebble_stop; return 1; }
    fi
    # -defaultIPv6 "": no AAAA answers, else pebble dials ::1 for http-01.
    pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
        -dns01 "127.0.0.1:$dns_port" -http01 "$challtestsrv_http01" -https01 "" -tlsalpn01 "" \
        -management "127.0.0.1:$challtestsrv_port" \
        > "$work_dir/challtestsrv.log" 2>&1 < /dev/null &
    CHALLTESTSRV_PID=$!
    pebble_wait_port "$challtestsrv_port" "$CHALLTESTSRV_PID" pebble-challtestsrv "$work_dir/challtestsrv.log" \
        || { pebble_stop; return 1; }
    # NOSLEEP: no random wait before validating; NONCEREJECT=0: no nonce refused at random.
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
        pebble -config "$work_dir/pebble-config.json" -dnsserver "127.0.0.1:$dns_port" \
        > "$work_dir/pebble.log" 2>&1 < /dev/null &
    PEBBLE_PID=$!
    pebble_wait_port "$acme_port" "$PEBBLE_PID" pebble "$work_dir/pebble.log" || { pebble_stop; return 1; }
    PEBBLE_DIRECTORY_URL="https://127.0.0.1:$acme_port/dir"
    PEBBLE_MANAGEMENT_URL="https://127.0.0.1:$management_port"
    PEBBLE_CA_FILE="$work_dir/pebble-ca.pem"
    PEBBLE_LOG="$work_dir/pebble.log"
    CHALLTESTSRV_URL="http://127.0.0.1:$challtestsrv_port"
    export PEBBLE_DIRECTORY_URL PEBBLE_MANAGEMENT_URL PEBBLE_CA_FILE PEBBLE_LOG CHALLTESTSRV_URL
    echo "pebble (pid $PEBBLE_PID) at $PEBBLE_DIRECTORY_URL, challtestsrv (pid $CHALLTESTSRV_PID) at $CHALLTESTSRV_URL"
}

pebble_stop() {
    local pebble=$PEBBLE_PID challtestsrv=$CHALLTESTSRV_PID web_root=$WEB_ROOT_PID
    PEBBLE_PID=''
    CHALLTESTSRV_PID=''
    WEB_ROOT_PID=''
    stop_process "$pebble"
    stop_process "$challtestsrv"
    stop_process "$web_root"
    [[ -z $pebble$challtestsrv ]] || echo "pebble and challtestsrv stopped"
}
