#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test sanity of the arranged collection, with ansible-test's caches inside the
# project instead of the shared ~/.ansible/test.
#
#   tests/scripts/sanity.sh COLLECTION_DIR PYTHON_VERSION ANSIBLE_TEST_HOME [ansible-test options...]
#
# COLLECTION_DIR is build/.../ansible_collections/apinizer/apiops (make arrange).
# ansible-test keeps the pip bootstrap script in ~/.ansible/test/cache and one virtualenv
# per sanity test in ~/.ansible/test/venv, both found with os.path.expanduser() and
# configurable no other way; so it runs here with HOME=ANSIBLE_TEST_HOME (the Makefile
# uses <venv>/ansible-test-home: one per ansible-core, removed with its venv). The
# stand-in get-pip of ansible_test_pip_bootstrap.py is written there. What depends on the
# real home is handed over explicitly: pip's download cache and the user's pip
# configuration (index, proxy, certificates), so the sanity venvs install from the same
# places as everything else.
set -euo pipefail

collection=$(cd "$1" && pwd)
python_version=$2
test_home=$3
shift 3
scripts=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$test_home"
test_home=$(cd "$test_home" && pwd)

# pip, as it would run with the real HOME: the same cache, the same user configuration.
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}
if [[ -z ${PIP_CONFIG_FILE:-} ]]; then
    for config in "${XDG_CONFIG_HOME:-$HOME/.config}/pip/pip.conf" "$HOME/.pip/pip.conf"; do
        if [[ -f $config ]]; then
            export PIP_CONFIG_FILE=$config
            break
        fi
    done
fi

python "$scripts/ansible_test_pip_bootstrap.py" --home "$test_home"

cd "$collection"
HOME=$test_home ansible-test sanity --venv --python "$python_version" --color no "$@"
