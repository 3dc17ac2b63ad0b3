#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make galaxy-importer: run galaxy-importer (what Galaxy and Automation Hub run on every
# upload) on the built tarball, with tests/galaxy_importer/galaxy-importer.cfg (required
# tags, changelog, flake8, ansible-doc, ansible-lint; no ansible-test, which needs a
# container runtime). Fails when the import fails or prints any WARNING or ERROR line.
#
#   tests/scripts/galaxy_importer.sh TOOLS_BIN DIST WORK_DIR
#
# TOOLS_BIN holds galaxy-importer and the flake8 and ansible-lint it runs (its PATH comes
# first, so those are the ones found). The full output is kept in WORK_DIR/galaxy-importer.log.
set -euo pipefail

tools_bin=$(cd "$1" && pwd)
dist=$(cd "$2" && pwd)
mkdir -p "$3"
work=$(cd "$3" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)

shopt -s nullglob
tarballs=("$dist"/apinizer-apiops-*.tar.gz)
if (( ${#tarballs[@]} != 1 )); then
    echo "expected one apinizer-apiops tarball in $dist, found ${#tarballs[@]} (make build)" >&2
    exit 1
fi

# The release notes ship rendered, not as fragments (make build folds them in).
listing=$(tar -tzf "${tarballs[0]}")
grep -qx 'CHANGELOG.md' <<< "$listing" || { echo "${tarballs[0]} has no CHANGELOG.md" >&2; exit 1; }
if grep -q '^changelogs/fragments/.' <<< "$listing"; then
    echo "${tarballs[0]} ships changelog fragments:" >&2
    grep '^changelogs/fragments/.' <<< "$listing" >&2
    exit 1
fi

log=$work/galaxy-importer.log
rm -rf "$work/tmp" && mkdir -p "$work/tmp"
status=0
# galaxy-importer writes importer_result.json into its working directory.
(
    cd "$work"
    env PATH="$tools_bin:$PATH" \
        GALAXY_IMPORTER_CONFIG="$root/tests/galaxy_importer/galaxy-importer.cfg" \
        GALAXY_IMPORTER_TMP_ROOT_DIR="$work/tmp" \
        GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$work/tmp/ansible" \
        "$tools_bin/python" -m galaxy_importer.main "${tarballs[0]}"
) > "$log" 2>&1 || status=$?

# The one finding let through: galaxy-importer lints with only the uploaded collection on
# ANSIBLE_COLLECTIONS_PATH (it installs no galaxy.yml dependency), so ansible-lint cannot resolve
# the modules of the dependency community.crypto in roles/apinizer_acme. make lint checks those
# files with community.crypto installed.
dependency='^WARNING: roles/apinizer_acme/tasks/[a-z]+\.yml:[0-9]+:[0-9]+: syntax-check\[unknown-module\]: '
dependency+="couldn't resolve module/action 'community\.crypto\.[a-z_]+'\."
findings=$(grep -E '^(WARNING|ERROR|CRITICAL)\b|Traceback' "$log" | grep -vE "$dependency" || true)
allowed=$(grep -cE "$dependency" "$log" || true)
grep -vE '^(Loading|Linting) ' "$log" | grep -vE '^(WARNING|ERROR|CRITICAL)\b' || true
if (( status != 0 )) || [[ -n $findings ]] || ! grep -q '^Importer processing completed successfully' "$log"; then
    echo
    echo "galaxy-importer: $(printf '%s\n' "$findings" | grep -c . || true) finding(s), exit status $status (full output: $log):" >&2
    printf '%s\n' "$findings" >&2
    exit 1
fi
echo "galaxy-importer: $(basename "${tarballs[0]}") imports with no warning" \
    "(besides $allowed for community.crypto modules, a dependency galaxy-importer does not install)"
