#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test integration of the arranged collection against a fresh emulator.
#
#   tests/scripts/integration.sh COLLECTION_DIR [PYTHON_VERSION [ansible-test options...]]
#
# COLLECTION_DIR is build/ansible_collections/apinizer/apiops (make arrange). The
# emulator gets new random tokens; tests/integration/integration_config.yml in
# COLLECTION_DIR hands them to the targets (apinizer_url, apinizer_token,
# apinizer_read_only_token, apinizer_project), with apinizer_emulator_dir (the
# emulator's package directory, for the test PKI apinizer_emulator.testcerts), and is
# removed afterwards. EMULATOR_ARGS (e.g. '--variant strict') starts the emulator as
# another server variant (tests/scripts/emulator.sh). The emulator
# is stopped however this script ends. Runs locally, no containers; the modules run
# with the Python that runs this script's "python" (make puts .venv/bin first in PATH).
set -euo pipefail

collection=$(cd "$1" && pwd)
python_version=${2:-3.11}
shift $(( $# < 2 ? $# : 2 ))
scripts=$(cd "$(dirname "$0")" && pwd)
python=$(command -v python)
config="$collection/tests/integration/integration_config.yml"

# shellcheck source=tests/scripts/emulator.sh
. "$scripts/emulator.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/apinizer-integration.XXXXXX")
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    emulator_stop
    if (( rc != 0 )); then
        emulator_log
    fi
    rm -f "$config"
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

emulator_start "$collection/tests/emulator" "$python" "$work"

(
    umask 077
    cat > "$config" <<YAML
---
apinizer_url: '$EMULATOR_URL'
apinizer_token: '$EMULATOR_TOKEN'
apinizer_read_only_token: '$EMULATOR_READ_ONLY_TOKEN'
apinizer_project: demo
apinizer_emulator_dir: '$collection/tests/emulator'
YAML
)

cd "$collection"
ansible-test integration --python "$python_version" --python-interpreter "$python" \
    --color no --continue-on-error "$@"
