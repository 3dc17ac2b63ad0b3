#!/usr/bin/env bash
# make matrix: units, sanity and integration on every tested ansible-core, each in its
# own venv (make units-<core> sanity-<core> integration-<core>), then a table.
#
#   tests/scripts/matrix.sh REPORT CORE...
#
# Runs every step even after a failure. Prints the table and writes it, with the date and
# the machine, to REPORT (build/matrix.md); `make matrix-docs` copies the last one into
# docs/development.md. Non-zero when any step failed.
set -euo pipefail

report=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
make=${MAKE:-make}

rows=()
failed=()
for core in "$@"; do
    results=()
    start=$(date +%s)
    for step in units sanity integration; do
        echo
        echo "==> matrix: $step on ansible-core $core"
        if "$make" -C "$root" "$step-$core"; then
            results+=(passed)
        else
            results+=(FAILED)
            failed+=("$step-$core")
        fi
    done
    seconds=$(( $(date +%s) - start ))
    venv_python=$root/.venv-$core/bin/python
    if version=$("$venv_python" -c 'from ansible.release import __version__; print(__version__)' 2> /dev/null); then
        python=$("$venv_python" -c 'import platform; print(platform.python_version())')
    else
        version="$core (not installed)"
        python=missing
    fi
    rows+=("| $version | $python | ${results[0]} | ${results[1]} | ${results[2]} | $seconds |")
done

mkdir -p "$(dirname "$report")"
{
    echo "\`make matrix\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores:"
    echo
    echo '| ansible-core | Python | units | sanity | integration | seconds |'
    echo '|---|---|---|---|---|---|'
    printf '%s\n' "${rows[@]}"
} > "$report"

echo
echo "==> make matrix ($report)"
cat "$report"
if (( ${#failed[@]} )); then
    echo "make matrix: FAILED: ${failed[*]}"
    exit 1
fi
echo 'make matrix: every step passed on every core'
