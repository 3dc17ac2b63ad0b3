# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Extract one collection from PyPI's ansible wheel into a collections path (make acme).

  python acme_collections.py WHEEL DEST [NAMESPACE.NAME]   # default community.crypto

Writes DEST/ansible_collections/NAMESPACE/NAME (replacing what was there) from the wheel's
ansible_collections/NAMESPACE/NAME/ and prints the collection's version from its MANIFEST.json.
"""

import json
import os
import shutil
import sys
import zipfile


def main(argv):
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    wheel, dest = argv[0], argv[1]
    namespace, name = (argv[2] if len(argv) == 3 else 'community.crypto').split('.')
    prefix = 'ansible_collections/%s/%s/' % (namespace, name)
    target = os.path.join(dest, 'ansible_collections', namespace, name)
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        members = [member for member in archive.namelist() if member.startswith(prefix)]
        if not members:
            raise SystemExit('%s holds no %s' % (wheel, prefix))
        archive.extractall(dest, members)
    with open(os.path.join(target, 'MANIFEST.json')) as handle:
        version = json.load(handle)['collection_info']['version']
    print('%s.%s %s in %s (%d files, from %s)' % (namespace, name, version, target, len(members), os.path.basename(wheel)))


if __name__ == '__main__':
    main(sys.argv[1:])
