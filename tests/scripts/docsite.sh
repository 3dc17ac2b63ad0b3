#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make docs: the docs site of the installed collection, offline.
#
#   tests/scripts/docsite.sh TOOLS_BIN COLLECTIONS_PATH DEST
#
# antsibull-docs sphinx-init --use-current writes a Sphinx project into DEST for the
# apinizer.apiops that ansible-doc finds in COLLECTIONS_PATH (the one installed from the
# tarball), with its plugins, role, guides (docs/docsite/extra-docs.yml) and links
# (docs/docsite/links.yml); its build.sh renders the RST (antsibull-docs collection) and runs
# sphinx-build -W (warnings are errors). Offline: the intersphinx inventory of
# docs.ansible.com cannot be fetched, so conf.py's intersphinx_mapping is replaced by a local
# inventory (written here) of the few docs.ansible.com targets the generated pages refer to
# (the common return values, the configuration settings); the links still point at
# docs.ansible.com. Any other unresolved reference still fails the build. The HTML lands in
# DEST/build/html.
set -euo pipefail

tools_bin=$(cd "$1" && pwd)
collections=$(cd "$2" && pwd)
dest=$3

rm -rf "$dest"
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

export PATH="$tools_bin:$PATH" ANSIBLE_COLLECTIONS_PATH=$collections
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
    --dest-dir "$dest" apinizer.apiops > /dev/null

# Offline: a local inventory for docs.ansible.com instead of fetching its objects.inv.
python - "$dest/conf.py" "$dest/ansible_devel.inv" <<'PY'
import re
import sys
import zlib

conf, inventory = sys.argv[1:3]
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
# name, role, URI (relative to ANSIBLE_DOCS), title
TARGETS = [
    ('common_return_values', 'std:label', 'reference_appendices/common_return_values.html#common-return-values',
     'Return Values'),
    ('ansible_configuration_settings', 'std:label', 'reference_appendices/config.html#ansible-configuration-settings',
     'Ansible Configuration Settings'),
]
with open(inventory, 'wb') as handle:
    handle.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                 b'# The remainder of this file is compressed using zlib.\n')
    handle.write(zlib.compress(''.join('%s %s -1 %s %s\n' % target for target in TARGETS).encode('utf-8')))
with open(conf) as handle:
    text = handle.read()
text, count = re.subn(r'(?ms)^intersphinx_mapping = \{.*?^\}$',
                      "intersphinx_mapping = {'ansible_devel': ('%s', %r)}" % (ANSIBLE_DOCS, inventory),
                      text)
if count != 1:
    sys.exit('%s: no intersphinx_mapping to replace' % conf)
with open(conf, 'w') as handle:
    handle.write(text)
PY

cd "$dest"
./build.sh
test -s build/html/index.html
for guide in guide_connection guide_bundles guide_key_rotation guide_awx guide_emulator; do
    test -s "build/html/docsite/$guide.html" || { echo "the guide $guide is missing from the site" >&2; exit 1; }
done
echo "docs site: $dest/build/html/index.html"
