#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make acme: `molecule test` of the apinizer_acme role's scenario (extensions/molecule/apinizer_acme)
# against pebble, pebble-challtestsrv and the bundled emulator, on 127.0.0.1.
#
#   tests/scripts/acme.sh COLLECTION_DIR COLLECTIONS_PATH ACME_COLLECTIONS_PATH WORK_DIR
#
# COLLECTIONS_PATH holds apinizer.apiops installed from the tarball (make build),
# ACME_COLLECTIONS_PATH community.crypto (tests/scripts/acme_collections.py). This script makes
# a new ACME account key, starts pebble and challtestsrv (tests/scripts/pebble.sh), runs the
# scenario through tests/scripts/molecule.sh at verbosity -vvv, then checks its whole output
# for key material: no "PRIVATE KEY" PEM, no line of the account key, no line of pebble's TLS
# key. Logs in WORK_DIR. Non-zero when anything fails.
set -euo pipefail

collection=$(cd "$1" && pwd)
collections=$(cd "$2" && pwd)
acme_collections=$(cd "$3" && pwd)
mkdir -p "$4"
work=$(cd "$4" && pwd)
scripts=$(cd "$(dirname "$0")" && pwd)
python=$(command -v python)

# shellcheck source=tests/scripts/pebble.sh
. "$scripts/pebble.sh"
trap pebble_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$work/pebble" && mkdir -p "$work/pebble"
ACME_ACCOUNT_KEY=$work/pebble/account.key
PYTHONPATH="$collection/tests/emulator" "$python" - "$ACME_ACCOUNT_KEY" <<'PY'
import os
import sys
from apinizer_emulator import testcerts
descriptor = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(descriptor, 'w') as handle:
    handle.write(testcerts.private_key_text(testcerts.new_key('rsa', 2048)))
PY
export ACME_ACCOUNT_KEY
pebble_start "$python" "$collection/tests/emulator" "$work/pebble"

log=$work/molecule.log
status=0
MOLECULE_SCENARIO=apinizer_acme EXTRA_COLLECTIONS_PATH=$acme_collections ANSIBLE_VERBOSITY=3 \
    "$scripts/molecule.sh" "$collection" "$collections" > "$log" 2>&1 || status=$?
grep -E '^(PLAY RECAP|localhost +:|INFO|WARNING|ERROR)|molecule test|"msg": "(first run|check mode|renewed api|ACME order)' "$log" || true
if (( status != 0 )); then
    echo "the apinizer_acme scenario FAILED (exit $status); last lines of $log:" >&2
    tail -n 60 "$log" >&2
    exit "$status"
fi

echo "==> key material in the -vvv output ($log, $(wc -l < "$log") lines)"
leaks=0
if grep -n 'PRIVATE KEY' "$log" > "$work/leaks.txt"; then
    echo "a PEM private key appears in $log:" >&2
    head -n 5 "$work/leaks.txt" >&2
    leaks=1
fi
for key in "$ACME_ACCOUNT_KEY" "$work/pebble/pebble.key"; do
    if grep -F -f <(grep -v -- '-----' "$key") "$log" > "$work/leaks.txt"; then
        echo "a line of $key appears in $log" >&2
        leaks=1
    fi
done
(( leaks == 0 )) || exit 1
echo "no private key, no line of the account key in the output"
