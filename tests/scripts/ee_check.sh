#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make ee: check tests/ee/execution-environment.yml with `ansible-builder create`. No
# image is built and no container runtime is needed.
#
#   tests/scripts/ee_check.sh DIST_DIR COLLECTIONS_PATH
#
# DIST_DIR holds the built apinizer-apiops-<version>.tar.gz (build/dist) and
# COLLECTIONS_PATH the collection installed from it (build/collections); `make build`
# makes both. In a temporary directory, beside a copy of the definition, the tarball is
# placed where the definition expects it (apinizer-apiops.tar.gz), then:
#   1. `ansible-builder create` generates the build context;
#   2. the context must hold the Containerfile (base image, ansible-core and
#      ansible-runner, the galaxy, introspect and final stages), the tarball and the
#      galaxy requirements naming it;
#   3. the galaxy stage is replayed here: `ansible-galaxy collection install -r
#      requirements.yml` from the context's _build directory (the image's /build);
#   4. the builder stage's dependency scan is replayed: the context's own
#      scripts/introspect.py on that installation must find requests and cryptography,
#      attributed to apinizer.apiops (our meta/execution-environment.yml and
#      requirements.txt), and no system package;
#   5. `ansible-builder introspect COLLECTIONS_PATH` must report the same.
set -euo pipefail

dist=$(cd "$1" && pwd)
collections=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
definition="$root/tests/ee/execution-environment.yml"
python=$(command -v python)
for tool in ansible-builder ansible-galaxy; do
    command -v "$tool" > /dev/null || { echo "$tool is not on PATH (requirements-dev.txt pins it; make venv)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/apinizer-ee.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
check() {
    # check DESCRIPTION COMMAND...: runs COMMAND quietly and reports the outcome.
    local description=$1
    shift
    if "$@" > /dev/null 2>&1; then
        echo "  ok: $description"
    else
        echo "  FAILED: $description" >&2
        failures=$(( failures + 1 ))
    fi
}

tarballs=("$dist"/apinizer-apiops-*.tar.gz)
if (( ${#tarballs[@]} != 1 )) || [[ ! -f ${tarballs[0]} ]]; then
    echo "expected exactly one apinizer-apiops-*.tar.gz in $dist (make build)" >&2
    exit 1
fi
tarball=${tarballs[0]}
version=$(basename "$tarball" .tar.gz)
version=${version#apinizer-apiops-}

mkdir -p "$work/ee"
cp "$definition" "$work/ee/execution-environment.yml"
cp "$tarball" "$work/ee/apinizer-apiops.tar.gz"
context="$work/context"
build="$context/_build"

echo "==> ansible-builder create (apinizer-apiops $version)"
ansible-builder create --file "$work/ee/execution-environment.yml" --context "$context" \
    --output-filename Containerfile -v1

echo "==> the generated build context"
containerfile="$context/Containerfile"
check "Containerfile generated" test -s "$containerfile"
check "base image quay.io/centos/centos:stream9" grep -Fqx 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' "$containerfile"
check "ansible-core and ansible-runner installed" grep -Eq '^ARG ANSIBLE_INSTALL_REFS=".*ansible-core.*ansible-runner' "$containerfile"
check "galaxy stage installs requirements.yml" \
    grep -Eq '^RUN .*ansible-galaxy collection install .*-r requirements\.yml' "$containerfile"
# shellcheck disable=SC2016  # $PYCMD is a literal of the Containerfile
check "builder stage runs the dependency scan" grep -Eq '^RUN \$PYCMD /output/scripts/introspect\.py introspect' "$containerfile"
# shellcheck disable=SC2016  # $PYCMD is a literal of the Containerfile
check "final stage checks ansible and ansible-runner" grep -Fqx 'RUN /output/scripts/check_ansible $PYCMD' "$containerfile"
check "the tarball is in the context" cmp "$tarball" "$build/collections/apinizer-apiops.tar.gz"
check "requirements.yml names the tarball" \
    grep -Fqx -- '- name: collections/apinizer-apiops.tar.gz' "$build/requirements.yml"
check "the tarball carries meta/execution-environment.yml" \
    tar -xzf "$build/collections/apinizer-apiops.tar.gz" -O meta/execution-environment.yml
check "the tarball carries requirements.txt" tar -xzf "$build/collections/apinizer-apiops.tar.gz" -O requirements.txt

# --no-deps: an image build fetches the dependency community.crypto (galaxy.yml) from Galaxy;
# this replay stays offline and checks apinizer.apiops only.
echo "==> galaxy stage, replayed: ansible-galaxy collection install --no-deps -r requirements.yml"
(
    cd "$build"
    ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 ANSIBLE_COLLECTIONS_PATH="$work/galaxy/collections" \
        ansible-galaxy collection install --no-deps \
            -r requirements.yml --collections-path "$work/galaxy/collections"
)
check "apinizer.apiops $version installed from the context" \
    grep -Fq "\"version\": \"$version\"" "$work/galaxy/collections/ansible_collections/apinizer/apiops/MANIFEST.json"

echo "==> builder stage, replayed: introspect.py from the context"
"$python" "$build/scripts/introspect.py" introspect "$work/galaxy/collections" \
    --write-pip "$work/requirements.txt" --write-bindep "$work/bindep.txt"
for requirement in requests cryptography; do
    check "Python requirement $requirement from apinizer.apiops" \
        grep -Eq "^$requirement([<>=!~ ].*)?# from collection apinizer\.apiops\$" "$work/requirements.txt"
done
check "no system package required" test ! -s "$work/bindep.txt"

echo "==> ansible-builder introspect $collections"
ansible-builder introspect "$collections" | tee "$work/introspect.txt"
for requirement in requests cryptography; do
    check "ansible-builder introspect lists $requirement" \
        grep -Eq "^- '${requirement}[<>=!~].*# from collection apinizer\.apiops'\$" "$work/introspect.txt"
done

if (( failures )); then
    echo "ee check: $failures check(s) FAILED" >&2
    exit 1
fi
echo "ee check: passed"
