#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make test leaves the working tree as it found it: what git status shows at the end is what
# it showed at the start (a tree that was dirty at the start may stay so).
#
#   tests/scripts/tree_check.sh save FILE      record the status of the working tree in FILE
#   tests/scripts/tree_check.sh compare FILE   fail when it differs from FILE now
#
# Compared: changes to tracked files (staged or not) and untracked files that are not
# ignored, file by file (git status --porcelain --untracked-files=all), and their content (a
# hash of git diff HEAD and of each untracked file), so a file that was already modified at
# the start and is rewritten in between is noticed too.
# Ignored paths that appear are listed as a note, not a failure, except build/ (everything
# make writes), .venv/ (the tools) and .ansible/ (ansible-lint's cache of the project, in the
# project directory by ansible-lint's design): each of those is ignored and removed by
# make clean or make distclean. Outside a git work tree there is nothing to compare.
set -euo pipefail

action=${1:-}
file=${2:-}
if [[ -z $file || ( $action != save && $action != compare ) ]]; then
    echo "usage: $0 save|compare FILE" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
expected_ignored='^!! (build|\.venv|\.ansible)/$'

status() {
    git -C "$root" status --porcelain=v1 --untracked-files=all
}
contents() {
    echo "git diff HEAD: $(git -C "$root" diff HEAD --binary 2> /dev/null | sha256sum | cut -d' ' -f1)"
    git -C "$root" ls-files -z --others --exclude-standard | (cd "$root" && xargs -0 -r sha256sum)
}
ignored() {
    git -C "$root" status --porcelain=v1 --ignored=traditional --untracked-files=normal | { grep '^!! ' || true; }
}

if [[ $(git -C "$root" rev-parse --is-inside-work-tree 2> /dev/null) != true ||
      $(git -C "$root" rev-parse --show-prefix) != "" ]]; then
    if [[ $action == compare ]]; then
        echo "tree check: $root is not the top of a git work tree; nothing to compare"
    fi
    : > "$file"
    exit 0
fi

if [[ $action == save ]]; then
    { status; echo '--- contents'; contents; echo '--- ignored'; ignored; } > "$file"
    exit 0
fi

section() {
    awk -v name="$1" '/^--- (contents|ignored)$/ { part = $2; next } part == name' "$file"
}
before_status=$(section '')
before_contents=$(section contents)
before_ignored=$(section ignored)
now_status=$(status)
now_contents=$(contents)
now_ignored=$(ignored)

new_ignored=$(comm -13 <(sort <<< "$before_ignored") <(sort <<< "$now_ignored") | { grep -Ev "$expected_ignored" || true; })
if [[ -n $new_ignored ]]; then
    echo "tree check: note: new ignored paths in the working tree (not a failure; better under build/):"
    while IFS= read -r line; do
        echo "  ${line#!! }"
    done <<< "$new_ignored"
fi

if [[ $before_status == "$now_status" && $before_contents == "$now_contents" ]]; then
    echo "tree check: the working tree is as make test found it (git status --porcelain, and the content of what it lists)"
    exit 0
fi
if [[ $before_status != "$now_status" ]]; then
    echo "tree check: FAILED: make test changed the working tree (git status --porcelain, - before, + after):" >&2
    diff <(echo "$before_status") <(echo "$now_status") | { grep -E '^[<>] .' || true; } | sed 's/^</  -/; s/^>/  +/' >&2
else
    echo "tree check: FAILED: make test rewrote files that were already changed or untracked (sha256, - before, + after):" >&2
    diff <(echo "$before_contents") <(echo "$now_contents") | { grep -E '^[<>] .' || true; } | sed 's/^</  -/; s/^>/  +/' >&2
fi
echo "every step must write under build/ only; restore the files above (git checkout / git clean) after fixing the step" >&2
exit 1
