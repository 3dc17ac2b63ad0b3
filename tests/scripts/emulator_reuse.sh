#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make emulator-reuse: the emulator as a user reuses it, from the collection installed from
# the built tarball (make build), as docs/docsite/rst/guide_emulator.rst describes:
#
#   tests/scripts/emulator_reuse.sh COLLECTIONS_PATH WORK_DIR
#
# 1. ansible-galaxy collection verify (offline): the installed collection is as installed;
# 2. a new venv in WORK_DIR: pip install <installed collection>/tests/emulator, pytest,
#    ansible-core and the collection's requirements.txt (versions as in requirements-dev.txt);
# 3. the worked example docs/docsite/examples/emulator_tests, copied from the installed
#    collection into a "user project" in WORK_DIR, run with pytest: the emulator's pytest
#    plugin gives the fixtures, the tests run the role against it and assert its state;
# 4. ansible-galaxy collection verify again, and no build/ or *.egg-info appeared: the pip
#    install (and the tests) changed nothing in the installed collection.
set -euo pipefail

collections=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
installed=$collections/ansible_collections/apinizer/apiops
python=$(command -v python)

test -f "$installed/MANIFEST.json" || { echo "apinizer.apiops is not installed in $collections (make build)" >&2; exit 1; }

verify() {
    ANSIBLE_COLLECTIONS_PATH=$collections ansible-galaxy collection verify --offline \
        --collections-path "$collections" apinizer.apiops
}

echo "--- ansible-galaxy collection verify (before)"
verify

rm -rf "$work/venv" "$work/project"
echo "--- pip install $installed/tests/emulator (into $work/venv)"
"$python" -m venv "$work/venv"
# The build backend (hatchling) comes from PyPI in pip's isolated build environment.
"$work/venv/bin/python" -m pip install --quiet -c "$root/requirements-dev.txt" \
    "$installed/tests/emulator" pytest ansible-core -r "$installed/requirements.txt"

echo "--- pytest of the worked example (a user project with its own playbook)"
cp -R "$installed/docs/docsite/examples/emulator_tests" "$work/project"
(
    cd "$work/project"
    # Only the installed collection, and only the emulator of the venv: no PYTHONPATH from make.
    env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH="$collections" PATH="$work/venv/bin:$PATH" \
        "$work/venv/bin/python" -m pytest -p no:cacheprovider -ra test_deploy.py
)

echo "--- ansible-galaxy collection verify (after)"
verify
leftovers=$(find "$installed" \( -name '*.egg-info' -o -name build -o -name .ansible \) -print)
if [[ -n $leftovers ]]; then
    echo "the installed collection has new files:" >&2
    echo "$leftovers" >&2
    exit 1
fi
echo "the emulator installed from $installed and ran the example; the collection is unchanged"
