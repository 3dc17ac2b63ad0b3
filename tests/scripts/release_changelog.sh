#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Release notes of the version in galaxy.yml, made in a COPY of the collection (the arranged
# tree of `make arrange`), never in the working tree:
#
#   tests/scripts/release_changelog.sh COLLECTION_COPY [OUT_DIR]
#
# When changelogs/changelog.yaml has no entry for that version yet (the version is still to
# be released), `antsibull-changelog release` folds every fragment into it and removes the
# fragments, as the release itself will; otherwise `antsibull-changelog generate` renders
# what is there. Either way the copy then holds CHANGELOG.md and changelogs/changelog.yaml
# and no fragment, which is what the tarball ships. OUT_DIR, if given, receives CHANGELOG.md
# and changelog.yaml too. The release date is today's (UTC) until the release is cut.
set -euo pipefail

copy=$(cd "$1" && pwd)
out=${2:-}

case $copy in
    */build/ansible_collections/apinizer/apiops) ;;
    *) echo "refusing to release the changelog in $copy: not an arranged copy under build/" >&2; exit 1 ;;
esac

cd "$copy"
version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
released=$(python -c 'import sys, yaml; print("yes" if sys.argv[1] in ((yaml.safe_load(open("changelogs/changelog.yaml")) or {}).get("releases") or {}) else "no")' "$version")

if [[ $released == no ]]; then
    antsibull-changelog release -v --version "$version" --date "$(date -u +%Y-%m-%d)"  # -v: a traceback on failure
else
    antsibull-changelog generate -v
fi
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
rm -f changelogs/.plugin-cache.yaml
leftover=$(find changelogs/fragments -type f ! -name .keep 2> /dev/null || true)
if [[ -n $leftover ]]; then
    echo "fragments left after the release of $version:" >&2
    echo "$leftover" >&2
    exit 1
fi
test -s CHANGELOG.md || { echo "antsibull-changelog wrote no CHANGELOG.md" >&2; exit 1; }

if [[ -n $out ]]; then
    mkdir -p "$out"
    cp CHANGELOG.md "$out/CHANGELOG.md"
    cp changelogs/changelog.yaml "$out/changelog.yaml"
    echo "release notes of $version: $out/CHANGELOG.md"
else
    echo "release notes of $version: $copy/CHANGELOG.md"
fi
