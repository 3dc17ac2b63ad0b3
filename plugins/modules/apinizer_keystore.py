#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_keystore
short_description: Manage a keystore (JKS or PKCS12) of an Apinizer project and its deployment to environments
version_added: 1.0.0
description:
  - Creates, updates or deletes a keystore of an Apinizer project through the API Ops management API, and keeps it
    deployed to exactly the environments listed in O(environments).
  - Each environment can carry its own keystore file, password, type and alias.
  - Before any request, every keystore file is opened with its password and checked; see the notes for how far.
  - The server answers each environment's file, so files are compared by their bytes. The password, and on
    documented servers the alias, never come back; a change of either alone needs O(force=true).
author:
  - apinizer.apiops maintainers (@apinizer)
extends_documentation_fragment:
  - apinizer.apiops._connection
  - apinizer.apiops._cryptography
  - apinizer.apiops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the server as a real run does, checks every file, and predicts the result; sends no write.
  diff_mode:
    support: full
    details:
      - Shows the changed fields among description and environments, each environment with its type, alias and
        the certificates inside its file (alias, SHA-256 fingerprint, subject, expiry).
      - "The file and the password never appear in a diff; a resend of files the server did not answer shows
        C(file: stored) becoming C(file: replaced)."
  idempotent:
    support: partial
    details:
      - A second run with the same options changes nothing; a different file is seen by its bytes wherever the
        server answers the stored file.
      - A change of the password alone, or of the alias on servers that do not answer it, is not detected; use
        O(force=true).
      - Where the server answers no file, the file is compared as key content is (not at all); use
        O(update_content=always) or O(force=true) to send a new one.
options:
  name:
    description:
      - Name of the keystore, unique in the project.
      - Letters, digits, V(_), V(-) and V(.), at most 128 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the keystore; V(absent) deletes and undeploys it everywhere.
    type: str
    choices: [present, absent]
    default: present
  file:
    description:
      - The keystore file, as base64 text, for every environment that does not give its own.
      - Mutually exclusive with O(file_path).
    type: str
  file_path:
    description:
      - A keystore file (JKS or PKCS12) for every environment that does not give its own.
      - Mutually exclusive with O(file).
    type: path
  keystore_password:
    description:
      - Password of the keystore file, for every environment that does not give its own. Sent with the file, as the
        API asks for it; never returned.
      - Named so because O(password) is the password of the API user.
    type: str
  keystore_type:
    description:
      - V(jks) or V(pkcs12). Detected from the file when not given; when given, it must match the file.
    type: str
    choices: [jks, pkcs12]
  alias:
    description:
      - Default alias of the keystore in every environment that does not give its own. Optional.
    type: str
  description:
    description:
      - Description of the keystore.
    type: str
    default: ''
  environments:
    description:
      - The exact set of environments the keystore is deployed to; an environment the server holds but this list
        leaves out loses the keystore.
      - Each element is either an environment name, which gets O(file) or O(file_path), O(keystore_password),
        O(keystore_type) and O(alias), or a mapping with C(name) and any of C(file) or C(file_path),
        C(keystore_password), C(keystore_type) and C(alias) of its own. Both forms can be mixed.
      - Every environment needs a file and its password. Required with O(state=present).
    type: list
    elements: raw
  update_content:
    description:
      - Matters only where the server answers no file, so that files cannot be compared.
      - V(on_create) sends the file only when the keystore is created or has to be updated anyway.
      - V(always) sends it on every run, and always reports a change.
    type: str
    choices: [on_create, always]
    default: on_create
  jwk_update_action:
    description:
      - What happens, on an update, to the JWKs parsed from this keystore. V(nullify) clears their reference;
        V(update) re-parses them.
    type: str
    choices: [nullify, update]
    default: nullify
  jwk_update_scope:
    description:
      - Which JWKs are updated when O(jwk_update_action=update); with no scope, V(same_project) is sent.
    type: str
    choices: [same_project, all_projects]
  force:
    description:
      - Update and redeploy the keystore, with every file and password, even when nothing differs, for example to
        send a new password or alias, or to deploy it again after a failed deployment.
    type: bool
    default: false
notes:
  - What is checked before any request, for every file. The type, from the file's first bytes (JKS, PKCS12; a JCEKS
    file is refused), against O(keystore_type) when given. A PKCS12 file is opened with its password by
    C(cryptography) -- a wrong password fails naming O(keystore_password) -- and must hold a private key with its
    certificate. A JKS file is read by the collection's own pure-Python reader (no extra library) -- its structure,
    its integrity digest, which proves the password, and its certificates, which a JKS file holds in clear; it must
    hold a private key entry with a certificate chain. The private key of a JKS entry stays encrypted, so whether
    it matches its certificate, or opens with the keystore password when Java gave it a key password of its own,
    is not checked. In both types, every certificate inside must be valid now (neither expired nor not yet valid).
  - The server does not show whether file, type and password fit together (a 200 proves nothing), which is why the
    module opens the file itself.
  - Every update carries every environment's file and password, because the server replaces the whole environment
    list; an update that changes only the description sends no environment list.
  - A deployment that fails in any environment fails the task and names each failed environment with the
    server's message; run again with O(force=true) to deploy it again.
  - Servers that name environments by id in keystore requests (the oldest API pages) are not supported.
seealso:
  - module: apinizer.apiops.apinizer_keystore_info
    description: Read keystores without their files.
  - module: apinizer.apiops.apinizer_key
    description: Manage one crypto key and its material per environment.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, keystores, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Deploy one PKCS12 keystore to production and staging
  apinizer.apiops.apinizer_keystore:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    name: mtls-client
    description: Client certificate for the bank's API
    file_path: files/mtls-client.p12
    keystore_password: "{{ vault_mtls_client_p12_password }}"
    alias: mtls-client
    environments: [production, staging]

- name: A different JKS file per environment
  apinizer.apiops.apinizer_keystore:
    name: signing
    keystore_type: jks
    environments:
      - name: production
        file_path: files/signing-production.jks
        keystore_password: "{{ vault_signing_production_password }}"
      - name: staging
        file: "{{ lookup('ansible.builtin.file', 'files/signing-staging.jks.b64') }}"
        keystore_password: "{{ vault_signing_staging_password }}"

- name: Send a new password for the same file
  apinizer.apiops.apinizer_keystore:
    name: mtls-client
    file_path: files/mtls-client.p12
    keystore_password: "{{ vault_mtls_client_p12_new_password }}"
    environments: [production, staging]
    force: true

- name: Remove a keystore everywhere
  apinizer.apiops.apinizer_keystore:
    name: old-keystore
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, unchanged]
keystore:
  description:
    - The keystore after the run, without any file or password. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the keystore.
      type: str
      sample: mtls-client
    description:
      description: Description of the keystore.
      type: str
      sample: Client certificate for the bank's API
    environments:
      description: The environments the keystore is deployed to, sorted by name.
      type: list
      elements: dict
      contains:
        name:
          description: Environment name.
          type: str
          sample: production
        keystore_type:
          description: V(jks) or V(pkcs12).
          type: str
          sample: pkcs12
        alias:
          description: Default alias of the keystore in this environment; empty when none.
          type: str
          sample: mtls-client
        certificates:
          description: The certificates inside the file, the key entry's first.
          type: list
          elements: dict
          contains:
            alias:
              description: The entry's alias (friendly name); empty when it has none.
              type: str
              sample: mtls-client
            private_key:
              description: Whether this is the certificate of the private key entry.
              type: bool
              sample: true
            sha256_fingerprint:
              description: SHA-256 of the certificate's DER bytes, upper-case hex.
              type: str
              sample: 0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9
            subject:
              description: The certificate's subject, RFC 4514.
              type: str
              sample: CN=client.example.com
            not_after:
              description: End of validity, ISO 8601 UTC.
              type: str
              sample: '2027-06-30T12:00:00Z'
deployment:
  description:
    - The deployment report of the write, per environment. Absent when nothing was written.
  returned: when a write was sent
  type: dict
  contains:
    success:
      description: Whether the deployment succeeded in every environment.
      type: bool
      sample: true
    message:
      description: The server's summary.
      type: str
      sample: Deployment completed successfully
    environments:
      description: One entry per environment.
      type: list
      elements: dict
      contains:
        name:
          description: Environment name.
          type: str
          sample: production
        success:
          description: Whether the deployment to this environment succeeded.
          type: bool
          sample: true
        message:
          description: The server's message for this environment.
          type: str
          sample: Deployed successfully
"""


from ansible_collections.apinizer.apiops.plugins.module_utils import _keystores
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, manage_one, run_and_exit
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import (
    check_environment_mapping,
    check_name,
    read_input_file,
)

ENVIRONMENT_KEYS = frozenset(['name', 'alias', 'file', 'file_path', 'keystore_password', 'keystore_type'])
SHARED_FIELDS = ('alias', 'file', 'file_path', 'keystore_password', 'keystore_type')


def environment_entries(module):
    """The environments option as dicts, each with the file, password, type and alias it uses and, in prefixes, the
    option prefix that gave each. The secrets inside mappings were masked when the parameters were read."""
    params = module.params
    shared = dict((field, params[field]) for field in SHARED_FIELDS)
    entries = []
    for index, item in enumerate(params['environments'] or []):
        where = 'environments[%d]' % index
        if isinstance(item, str):
            entries.append(dict(shared, name=item))
            continue
        check_environment_mapping(item, where, ENVIRONMENT_KEYS)
        if item.get('file') and item.get('file_path'):
            raise InvalidInput('%s: file and file_path are mutually exclusive.' % where)
        if item.get('keystore_type') not in (None, 'jks', 'pkcs12'):
            raise InvalidInput('%s.keystore_type must be jks or pkcs12.' % where)
        entry = dict(shared, name=str(item['name']))
        entry.update((field, item[field]) for field in ('alias', 'keystore_password', 'keystore_type') if field in item)
        # Messages name the option each value came from: this mapping's, or the shared one.
        entry['prefixes'] = dict((field, where + '.' if field in item else '') for field in SHARED_FIELDS)
        if item.get('file') or item.get('file_path'):
            entry.update(file=item.get('file'), file_path=item.get('file_path'))
            entry['prefixes'].update(file=where + '.', file_path=where + '.')
        entries.append(entry)
    return entries


def read_material(entry):
    """The Material of one environment's file, checked, or None when it has no file."""
    prefixes = entry.get('prefixes') or {}
    field = 'file_path' if entry['file_path'] else 'file'
    option = prefixes.get(field, '') + field
    if entry['file_path']:
        data = read_input_file(entry['file_path'], option)
    elif entry['file']:
        data = _keystores.decode_file_option(entry['file'], option)
    else:
        return None
    return _keystores.keystore_material(data, entry['keystore_password'], entry['keystore_type'], option=option,
                                        password_option=prefixes.get('keystore_password', '') + 'keystore_password',
                                        type_option=prefixes.get('keystore_type', '') + 'keystore_type')


def desired_from_params(module):
    params = module.params
    check_name(params['name'])
    if params['state'] == 'absent':
        return _keystores.absent(params['name'])
    materials = {}  # each distinct file, password and type is opened once
    environments = []
    for entry in environment_entries(module):
        source = (entry['file'], entry['file_path'], entry['keystore_password'], entry['keystore_type'])
        if source not in materials:
            materials[source] = read_material(entry)
        material = materials[source]
        environment = dict(name=entry['name'], alias=entry['alias'] or '', password=entry['keystore_password'])
        if material is not None:
            environment.update(material._asdict())
        environments.append(environment)
    return _keystores.desired_keystore(params['name'], environments, params['description'])


def manage_keystore(module):
    params = module.params
    options = _keystores.KeystoreOptions(params['project'], state=params['state'], force=params['force'],
                                         update_content=params['update_content'],
                                         jwk_update_action=params['jwk_update_action'],
                                         jwk_update_scope=params['jwk_update_scope'])
    return manage_one(module, 'keystore', desired_from_params, options, 'keystore')


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        file=dict(type='str', no_log=True),
        file_path=dict(type='path'),
        keystore_password=dict(type='str', no_log=True),
        keystore_type=dict(type='str', choices=sorted(_keystores.KEYSTORE_TYPES), no_log=False),
        alias=dict(type='str'),
        description=dict(type='str', default=''),
        environments=dict(type='list', elements='raw'),
        update_content=dict(type='str', default='on_create', choices=list(_keystores.UPDATE_CONTENT), no_log=False),
        jwk_update_action=dict(type='str', default='nullify', choices=['nullify', 'update']),
        jwk_update_scope=dict(type='str', choices=['same_project', 'all_projects']),
        force=dict(type='bool', default=False),
    )
    module = ApinizerModule(**module_kwargs(
        argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('file', 'file_path')],
        required_if=[('state', 'present', ('environments',))],
    ))
    run_and_exit(module, manage_keystore)


if __name__ == '__main__':
    main()
