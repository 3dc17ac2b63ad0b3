#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make molecule: `molecule test` of the apinizer_deploy role's scenario
# (extensions/molecule/apinizer_deploy) against the bundled emulator, on this machine,
# no containers.
#
#   tests/scripts/molecule.sh COLLECTION_DIR COLLECTIONS_PATH [molecule test options...]
#
# MOLECULE_SCENARIO names another scenario (tests/scripts/acme.sh: apinizer_acme), and
# EXTRA_COLLECTIONS_PATH adds collections the scenario needs after COLLECTIONS_PATH.
#
# The scenario runs from the collection installed from the built tarball (make build) in
# COLLECTIONS_PATH, as a user runs it (docs/docsite/rst/guide_emulator.rst): from a project
# directory of its own (build/molecule-project; molecule keeps .ansible/ there), with
# MOLECULE_GLOB pointing at the installed extensions/molecule. That installed copy is the only
# apinizer.apiops the playbooks see (the scenario sets prerun: false, so molecule installs
# nothing itself). The scenario's prepare starts the emulator, its cleanup and destroy stop it,
# also after a failure. Afterwards `ansible-galaxy collection verify` checks that the run
# changed nothing in the installed collection. COLLECTION_DIR (the arranged copy) only places
# the project directory beside it. Non-zero when any step fails.
set -euo pipefail

collection=$(cd "$1" && pwd)
collections=$(cd "$2" && pwd)
shift 2
scenario=${MOLECULE_SCENARIO:-apinizer_deploy}
python=$(command -v python)

if [[ ! -f $collections/ansible_collections/apinizer/apiops/roles/apinizer_deploy/tasks/main.yml ]]; then
    echo "the role apinizer_deploy is not installed in $collections (make build)" >&2
    exit 1
fi
installed=$collections/ansible_collections/apinizer/apiops
if [[ ! -f $installed/extensions/molecule/$scenario/molecule.yml ]]; then
    echo "no molecule scenario $scenario in $installed/extensions/molecule (make build)" >&2
    exit 1
fi
project=$(dirname "$(dirname "$(dirname "$(dirname "$collection")")")")/molecule-project
rm -rf "$project" && mkdir -p "$project"

export ANSIBLE_COLLECTIONS_PATH=$collections${EXTRA_COLLECTIONS_PATH:+:$EXTRA_COLLECTIONS_PATH}
# Its own ephemeral directory per run; molecule removes what it made there on destroy.
MOLECULE_EPHEMERAL_DIRECTORY=$(mktemp -d "${TMPDIR:-/tmp}/apinizer-molecule.XXXXXX")
export MOLECULE_EPHEMERAL_DIRECTORY
cleanup() {
    # Normally destroy has stopped the emulator already; this covers an interrupted run.
    "$python" "$installed/extensions/molecule/apinizer_deploy/files/emulator_ctl.py" stop \
        "$MOLECULE_EPHEMERAL_DIRECTORY" > /dev/null 2>&1 || true
    rm -rf "$MOLECULE_EPHEMERAL_DIRECTORY"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_FORCE_COLOR=false PY_COLORS=0 NO_COLOR=1

cd "$project"
export MOLECULE_GLOB="$installed/extensions/molecule/*/molecule.yml"
start=$(date +%s)
status=0
molecule test --scenario-name "$scenario" "$@" || status=$?
elapsed=$(( $(date +%s) - start ))
if (( status != 0 )); then
    echo "molecule test -s $scenario FAILED (exit $status) after ${elapsed}s" >&2
    exit "$status"
fi
ANSIBLE_COLLECTIONS_PATH=$collections ansible-galaxy collection verify --offline --collections-path "$collections" apinizer.apiops
echo "molecule test -s $scenario passed in ${elapsed}s (from $installed, which it left unchanged)"
