# shellcheck shell=bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by emulator.sh and pebble.sh:
#
#   stop_process PID    # TERM, up to 10 s to end, then KILL; reaped. Nothing for an empty or ended PID.

stop_process() {
    local pid=$1 tries
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2> /dev/null || return 0
    for (( tries = 0; tries < 100; tries++ )); do
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
}
