#!/usr/bin/env bash
# make demo: run examples/demo.yml twice with the collection installed from the built
# tarball, show that the second run changes nothing, and summarise.
#
#   tests/scripts/demo.sh COLLECTIONS_PATH
#
# Talks to a fresh emulator on 127.0.0.1, stopped at the end, unless APINIZER_URL and
# APINIZER_TOKEN are set: then to that Apinizer (project APINIZER_PROJECT, default demo;
# environments APINIZER_ENVIRONMENTS, default production,staging,development).
set -euo pipefail

collections=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
demo_dir="$root/build/demo"
python=$(command -v python)

# shellcheck source=tests/scripts/emulator.sh
. "$root/tests/scripts/emulator.sh"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    emulator_stop
    if (( rc != 0 )); then
        emulator_log
        echo "demo FAILED (logs in $demo_dir)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$demo_dir"
rm -rf "$demo_dir/export"
"$python" "$root/examples/demo_certificate.py" "$demo_dir/demo.pem"

if [[ -n ${APINIZER_URL:-} && -n ${APINIZER_TOKEN:-} ]]; then
    target="Apinizer at $APINIZER_URL"
else
    emulator_start "$root/tests/emulator" "$python" "$demo_dir"
    target="emulator at $EMULATOR_URL"
    export APINIZER_URL=$EMULATOR_URL APINIZER_TOKEN=$EMULATOR_TOKEN
    # The emulator's project "demo" has exactly the default environments.
    unset APINIZER_ENVIRONMENTS APINIZER_USERNAME APINIZER_PASSWORD
fi
export APINIZER_PROJECT=${APINIZER_PROJECT:-demo}

# Only the collection installed from the tarball is visible.
export ANSIBLE_COLLECTIONS_PATH=$collections
# The play runs on the implicit localhost (with this Python): no inventory needed.
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

run_playbook() {
    echo
    echo "==> ansible-playbook examples/demo.yml ($1 run, $target)"
    ansible-playbook "$root/examples/demo.yml" \
        -e "demo_certificate_path=$demo_dir/demo.pem" -e "demo_export_dir=$demo_dir/export" \
        | tee "$demo_dir/$1-run.log"
}

recap() {
    awk '/^PLAY RECAP/ { found = 1; next } found && NF { print } found && !NF { exit }' "$demo_dir/$1-run.log"
}

run_playbook first
run_playbook second

second=$(recap second)
if ! grep -Eq 'changed=0 .*failed=0' <<< "$second"; then
    echo "the second run was expected to change nothing: $second" >&2
    exit 1
fi

echo
echo "==> demo summary: project $APINIZER_PROJECT on the $target"
echo "first run:  $(recap first | sed 's/  */ /g; s/ $//')"
echo "second run: $(recap second | sed 's/  */ /g; s/ $//')"
echo "files written by apinizer.apiops.apinizer_certificate_export:"
for file in "$demo_dir"/export/*; do
    printf '  %s (%s bytes)\n' "${file#"$root"/}" "$(wc -c < "$file" | tr -d ' ')"
done
