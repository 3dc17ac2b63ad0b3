#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_certificate_export
short_description: Write the certificate of each environment of an Apinizer certificate to files
version_added: 1.0.0
description:
  - Calls the export endpoint of a certificate, which answers a ZIP holding one DER certificate per environment,
    and writes each environment's certificate into O(dest), as DER or PEM.
  - A file is written only when its content differs, so a second run reports no change.
author:
  - apinizer.apiops maintainers (@apinizer)
extends_documentation_fragment:
  - apinizer.apiops._connection
  - apinizer.apiops._cryptography
  - apinizer.apiops._attributes
  - apinizer.apiops._attributes.FILES
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details:
      - Downloads the export and compares it with the files; writes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the certificate to export.
    type: str
    required: true
  dest:
    description:
      - Directory the files are written to. It is created when missing.
    type: path
    required: true
  format:
    description:
      - V(der) writes the files as the server names them, C(<name>-<environment>.cer), in binary DER.
      - V(pem) converts each to PEM and names it C(<name>-<environment>.pem).
    type: str
    choices: [der, pem]
    default: der
  environments:
    description:
      - Write only these environments' certificates. By default every environment of the export is written.
      - Naming an environment the export does not hold fails the task.
    type: list
    elements: str
seealso:
  - module: apinizer.apiops.apinizer_certificate
    description: Manage one certificate and its environments.
  - module: apinizer.apiops.apinizer_certificate_info
    description: Read certificates, their validity and expiry, without changing anything.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Save the certificate of every environment as PEM files
  apinizer.apiops.apinizer_certificate_export:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    name: api-example-com
    dest: /etc/pki/apinizer
    format: pem
    mode: '0644'

- name: Save the production certificate as the server exports it (DER)
  apinizer.apiops.apinizer_certificate_export:
    name: api-example-com
    dest: exported
    environments: [production]
"""

RETURN = r"""
dest:
  description: The directory the files were written to.
  returned: always
  type: str
  sample: /etc/pki/apinizer
files:
  description: One entry per exported environment, sorted by environment.
  returned: always
  type: list
  elements: dict
  contains:
    environment:
      description: Environment name.
      type: str
      sample: production
    path:
      description: Path of the file.
      type: str
      sample: /etc/pki/apinizer/api-example-com-production.pem
    sha1_thumbprint:
      description: SHA-1 of the DER certificate, upper-case hex.
      type: str
      sample: 3F2A9C0D1E4B5A6978C8D7E6F5A4B3C2D1E0F9A8
    changed:
      description: Whether this file was written (or would be, in check mode).
      type: bool
      sample: true
"""

import os
import tempfile
import zipfile
import zlib


from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates, _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, ApinizerError, module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._module import (
    ApinizerModule,
    TaskFailed,
    require_libraries,
    run_and_exit,
)
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import check_name


# No certificate comes near this size; a larger entry in the export is not read.
MAX_CERTIFICATE_BYTES = 1024 * 1024


def certificates_in_export(archive_file, name, where):
    """{environment: DER bytes} from the export ZIP (a file object), whose entries are named
    <name>-<environment>.cer; where names the call that answered it."""
    prefix = name + '-'
    found = {}
    try:
        archive = zipfile.ZipFile(archive_file)
    except (zipfile.BadZipfile, zipfile.LargeZipFile, ValueError):
        raise TaskFailed('The export of certificate %s (%s) is not a ZIP archive.' % (name, where))
    for entry in archive.infolist():
        base = os.path.basename(entry.filename)
        if entry.filename != base or not base.startswith(prefix) or not base.endswith('.cer'):
            continue
        if entry.file_size > MAX_CERTIFICATE_BYTES:
            raise TaskFailed('The export of certificate %s (%s) holds %s of %d bytes, too large for a certificate.'
                             % (name, where, base, entry.file_size))
        try:
            found[base[len(prefix):-len('.cer')]] = archive.read(entry)
        except (zipfile.BadZipfile, zipfile.LargeZipFile, ValueError, EOFError, zlib.error, NotImplementedError) as exc:
            raise TaskFailed('The export of certificate %s (%s) holds %s, which cannot be read: %s.'
                             % (name, where, base, exc))
    return found


def file_content(der, output_format):
    if output_format == 'der':
        return der
    return _pem.certificate_pem(_pem.load_certificates(der)[0]).encode('ascii')


def write_if_different(module, path, content):
    """Atomically replace path when its bytes differ; returns whether it (would have) changed."""
    try:
        with open(path, 'rb') as handle:
            if handle.read() == content:
                return False
    except (IOError, OSError):
        pass
    if not module.check_mode:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.apinizer-export-')
        with os.fdopen(handle, 'wb') as output:
            output.write(content)
        module.atomic_move(temporary, path)
    return True


def download_export(client, project, name, handle):
    """The export ZIP of one certificate, streamed into handle (a temporary file)."""
    try:
        client.download(_certificates.export_path(project, name), handle)
    except ApinizerError as exc:
        if exc.is_not_found:
            raise TaskFailed('Certificate %s is not found in project %s (the server said: %s).'
                             % (name, project, exc.description), **exc.result_fields())
        raise


def export(module):
    require_libraries()
    params = module.params
    name, dest = params['name'], params['dest']
    check_name(name)
    client = ApinizerClient.from_module(module)
    with tempfile.TemporaryFile() as handle:
        download_export(client, params['project'], name, handle)
        handle.seek(0)
        certificates = certificates_in_export(handle, name, 'GET %s' % _certificates.export_path(params['project'], name))
    wanted = params['environments'] or sorted(certificates)
    missing = sorted(set(wanted) - set(certificates))
    if missing:
        raise InvalidInput('environments: the export of certificate %s holds no certificate for %s; it holds %s.'
                           % (name, ', '.join(missing), ', '.join(sorted(certificates)) or 'none'))
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise InvalidInput('dest: %s exists and is not a directory.' % dest)
    try:
        contents = dict((environment, file_content(certificates[environment], params['format']))
                        for environment in sorted(set(wanted)))
    except _pem.PemError as exc:
        raise TaskFailed('The export of certificate %s holds a file that is not a certificate: %s' % (name, exc))
    try:
        changed, files = write_files(module, name, dest, contents, certificates)
    except (IOError, OSError) as exc:
        raise TaskFailed('dest: cannot write into %s: %s.' % (dest, exc.strerror or exc))
    return dict(changed=changed, dest=dest, files=files)


def write_files(module, name, dest, contents, certificates):
    """Write each environment's file; file attributes are compared in check mode too, when the file exists."""
    changed = not os.path.isdir(dest)
    if changed and not module.check_mode:
        os.makedirs(dest)
    extension = '.cer' if module.params['format'] == 'der' else '.pem'
    files = []
    for environment, content in sorted(contents.items()):
        path = os.path.join(dest, '%s-%s%s' % (name, environment, extension))
        file_changed = write_if_different(module, path, content)
        if os.path.exists(path):
            file_args = module.load_file_common_arguments(module.params, path=path)
            file_changed = module.set_fs_attributes_if_different(file_args, file_changed)
        files.append(dict(environment=environment, path=path, sha1_thumbprint=_pem.sha1_thumbprint(certificates[environment]),
                          changed=file_changed))
        changed = changed or file_changed
    return changed, files


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        dest=dict(type='path', required=True),
        format=dict(type='str', default='der', choices=['der', 'pem']),
        environments=dict(type='list', elements='str'),
    )
    module = ApinizerModule(**module_kwargs(argument_spec, supports_check_mode=True, add_file_common_args=True))
    run_and_exit(module, export)


if __name__ == '__main__':
    main()
