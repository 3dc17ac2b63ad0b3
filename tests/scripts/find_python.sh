#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Print the path of a CPython X.Y interpreter, or fail saying how to get one.
#
#   tests/scripts/find_python.sh X.Y [WHAT]
#
# Looks, in this order, for pythonX.Y on PATH and for pyenv's builds
# ($(pyenv root), else $PYENV_ROOT, else ~/.pyenv: versions/X.Y*/bin/pythonX.Y, the
# newest patch release first). A candidate counts only when it runs and reports X.Y (a
# pyenv shim for a version that is not installed does not). WHAT names the purpose in
# the error message (e.g. "ansible-core 2.16").
set -euo pipefail

version=${1:?usage: find_python.sh X.Y [WHAT]}
what=${2:-this step}

works() {
    [[ -x $1 ]] && [[ $("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2> /dev/null) == "$version" ]]
}

candidates=()
if path=$(command -v "python$version" 2> /dev/null); then
    candidates+=("$path")
fi
if command -v pyenv > /dev/null 2>&1 && root=$(pyenv root 2> /dev/null); then
    roots=("$root")
else
    roots=()
fi
fallback=${PYENV_ROOT:-$HOME/.pyenv}
if (( ${#roots[@]} == 0 )) || [[ ${roots[0]} != "$fallback" ]]; then
    roots+=("$fallback")
fi
for root in "${roots[@]}"; do
    # The newest patch release first (3.10.13 before 3.10.9).
    while IFS= read -r dir; do
        [[ -n $dir ]] && candidates+=("$dir/bin/python$version")
    done < <(compgen -G "$root/versions/$version.*" | sort -t. -k3,3nr || true)
done

for candidate in "${candidates[@]}"; do
    if works "$candidate"; then
        # The interpreter itself, not a pyenv shim in front of it.
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done

cat >&2 <<EOF
No Python $version found for $what: python$version is not on PATH and no pyenv
build runs (looked in: ${roots[*]/%//versions/$version.*}).
Get one with  pyenv install $version  (pyenv root: ${roots[0]}), or your system's package
(e.g. apt-get install python$version), or put an interpreter named python$version on PATH.
EOF
exit 1
