#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Check the collection built into DIST and installed into COLLECTIONS_PATH:
# the tarball holds no development files, and every module of the source tree is
# installed and documented (ansible-doc loads it from the installed copy only).
# Usage: tests/scripts/check_installed.sh DIST COLLECTIONS_PATH
set -euo pipefail

dist=$1
collections=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
installed="$collections/ansible_collections/apinizer/apiops"

shopt -s nullglob
tarballs=("$dist"/apinizer-apiops-*.tar.gz)
if (( ${#tarballs[@]} != 1 )); then
    echo "expected one apinizer-apiops tarball in $dist, found ${#tarballs[@]}" >&2
    exit 1
fi
tarball=${tarballs[0]}

unwanted=$(tar -tzf "$tarball" | grep -E '^(\./)?(\.venv|\.git|build|dist|tests/output|\.pytest_cache|\.ansible)(/|$)|__pycache__|\.pyc$|integration_config\.yml$' || true)
if [[ -n $unwanted ]]; then
    echo "$tarball holds development files:" >&2
    echo "$unwanted" >&2
    exit 1
fi

test -f "$installed/MANIFEST.json" || { echo "not installed: $installed/MANIFEST.json" >&2; exit 1; }

modules=()
for path in "$root"/plugins/modules/*.py; do
    name=$(basename "$path" .py)
    [[ $name == __init__ ]] && continue
    test -f "$installed/plugins/modules/$name.py" || { echo "module $name missing from $installed" >&2; exit 1; }
    modules+=("apinizer.apiops.$name")
done
if (( ${#modules[@]} == 0 )); then
    echo "no modules in plugins/modules yet: nothing to check with ansible-doc" >&2
    exit 1
fi

# Only the installed copy is visible: ANSIBLE_COLLECTIONS_PATH holds nothing else.
ANSIBLE_COLLECTIONS_PATH=$collections ansible-doc -t module "${modules[@]}" > /dev/null
ANSIBLE_COLLECTIONS_PATH=$collections ansible-doc -t module -l apinizer.apiops
echo "$(basename "$tarball"): installed into $collections; ${#modules[@]} module(s) documented"
