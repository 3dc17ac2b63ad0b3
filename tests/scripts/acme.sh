#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make acme: the apinizer_acme role against pebble, pebble-challtestsrv and the bundled emulator,
# on 127.0.0.1, in two phases:
#
#   1. `molecule test` of the role's scenario (extensions/molecule/apinizer_acme), its whole -vvv
#      output then scanned for key material with apinizer_emulator.leaks: the account key and
#      pebble's TLS key in every form, and any PEM private key;
#   2. the examples of roles/apinizer_acme/README.md, run as written
#      (tests/examples/test_acme_role_readme.py): pebble restarted to fetch http-01 tokens
#      from a plain web root, the directory the README's tasks file writes to.
#
#   tests/scripts/acme.sh COLLECTION_DIR COLLECTIONS_PATH ACME_COLLECTIONS_PATH WORK_DIR
#
# COLLECTIONS_PATH holds apinizer.apiops installed from the tarball (make build),
# ACME_COLLECTIONS_PATH community.crypto (tests/scripts/acme_collections.py). This script makes
# a new ACME account key and starts pebble and challtestsrv (tests/scripts/pebble.sh). Logs in
# WORK_DIR. Non-zero when anything fails.
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
PYTHONPATH="$collection/tests/emulator" "$python" - "$log" "$ACME_ACCOUNT_KEY" "$work/pebble/pebble.key" <<'PY'
import sys
from apinizer_emulator import leaks
log, account_key, pebble_key = sys.argv[1:]
with open(log, encoding='utf-8', errors='replace') as handle:
    if 'PRIVATE KEY' in handle.read():
        sys.exit('a PEM private key appears in %s' % log)
known = leaks.Secrets()
for name, path in (('the ACME account key', account_key), ("pebble's TLS key", pebble_key)):
    with open(path, encoding='utf-8') as handle:
        known.add_private_key(name, handle.read())
leaks.scan([log], known, markers=[leaks.VERBOSE, leaks.RECAP]).check()
print('no PEM private key, no form of the account key or of pebble\'s key in the output')
PY

echo "==> the examples of roles/apinizer_acme/README.md, as written (pebble with a web root for http-01)"
pebble_stop
PEBBLE_HTTP01_ROOT=$work/web-root
rm -rf "$PEBBLE_HTTP01_ROOT"
export PEBBLE_HTTP01_ROOT
# 90 days, as Let's Encrypt issues: the README keeps the default renewal window of 30 days.
PEBBLE_VALIDITY_SECONDS=7776000 pebble_start "$python" "$collection/tests/emulator" "$work/pebble-readme"
ANSIBLE_COLLECTIONS_PATH="$collections:$acme_collections" PYTHONPATH="$collection/tests/emulator" \
    "$python" -m pytest -p apinizer_emulator.pytest_plugin -p no:cacheprovider -q \
    --rootdir "$collection/tests/examples" "$collection/tests/examples/test_acme_role_readme.py"
