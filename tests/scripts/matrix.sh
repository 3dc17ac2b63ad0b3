#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make matrix: units, sanity and integration on every tested ansible-core, each in its
# own venv (make units-<core> sanity-<core> integration-<core>), then a table.
#
#   tests/scripts/matrix.sh REPORT "ALL CORES" CORE...
#
# Runs the three steps of each CORE given (every step, even after a failure) and keeps
# each core's row in REPORT's directory (matrix-<core>.row, with when it ran), so that
# `make matrix MATRIX_CORES=2.17` reruns one row. Then writes the table of ALL CORES to
# REPORT (build/matrix.md; a core never run shows "not run") and prints it;
# `make matrix-docs` copies it into docs/development.md. Non-zero when a step failed.
set -euo pipefail

report=$1
all_cores=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
make=${MAKE:-make}
rows_dir=$(dirname "$report")
mkdir -p "$rows_dir"

failed=()
for core in "$@"; do
    results=()
    times=()
    start=$(date +%s)
    for step in units sanity integration; do
        echo
        echo "==> matrix: $step on ansible-core $core"
        step_start=$(date +%s)
        if "$make" -C "$root" "$step-$core"; then
            results+=(passed)
        else
            results+=(FAILED)
            failed+=("$step-$core")
        fi
        times+=("$step $(( $(date +%s) - step_start ))s")
    done
    seconds=$(( $(date +%s) - start ))
    venv_python=$root/.venv-$core/bin/python
    if version=$("$venv_python" -c 'from ansible.release import __version__; print(__version__)' 2> /dev/null); then
        python=$("$venv_python" -c 'import platform; print(platform.python_version())')
    else
        version="$core (not installed)"
        python=missing
    fi
    echo "| $version | $python | ${results[0]} | ${results[1]} | ${results[2]} | $seconds |" > "$rows_dir/matrix-$core.row"
    date -u "+%Y-%m-%d %H:%M UTC" >> "$rows_dir/matrix-$core.row"
    echo "==> matrix: ansible-core $version (Python $python): ${times[*]}, ${seconds}s in all"
done

{
    echo "\`make matrix\` on $(nproc) cores (seconds: units + sanity + integration of that core):"
    echo
    echo '| ansible-core | Python | units | sanity | integration | seconds | run |'
    echo '|---|---|---|---|---|---|---|'
    for core in $all_cores; do
        row=$rows_dir/matrix-$core.row
        if [[ -s $row ]]; then
            echo "$(sed -n 1p "$row") $(sed -n 2p "$row") |"
        else
            echo "| $core | | not run | not run | not run | | |"
        fi
    done
} > "$report"

echo
echo "==> make matrix ($report)"
cat "$report"
if (( ${#failed[@]} )); then
    echo "make matrix: FAILED: ${failed[*]}"
    exit 1
fi
echo "make matrix: every step passed on ansible-core $*"
