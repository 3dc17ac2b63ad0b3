#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_key
short_description: Manage a crypto key of an Apinizer project and its deployment to environments
version_added: 1.0.0
description:
  - Creates, updates or deletes a crypto key (secret key, private key or public key) of an Apinizer project
    through the API Ops management API, and keeps it deployed to exactly the environments listed in O(environments).
  - Each environment can carry its own key material and alias.
  - The server never returns key material in a form that can be compared (it answers it encrypted), so the module
    compares the description, the key type, the set of environments and each environment's alias, and sends the
    content on create, with O(update_content=always), with O(force=true), and with every update.
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
      - Reads the server as a real run does and predicts the result; sends no write.
  diff_mode:
    support: full
    details:
      - Shows the changed fields among description, key type, and environments with their aliases.
      - "Key material never appears in a diff; a content-only update shows C(content: stored) becoming C(content: replaced)."
  idempotent:
    support: partial
    details:
      - With O(update_content=on_create) (the default), a second run with the same options changes nothing.
      - A change of the key material alone is not detected, because the server cannot return it; use
        O(update_content=always) or O(force=true) to send new material.
      - With O(update_content=always), every run updates the key and reports a change.
options:
  name:
    description:
      - Name of the key, unique in the project.
      - Letters, digits, V(_), V(-) and V(.), at most 128 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the key; V(absent) deletes and undeploys it everywhere.
    type: str
    choices: [present, absent]
    default: present
  key_type:
    description:
      - V(secret_key) is a symmetric key (DES, DESede, AES) of 8, 16, 24 or 32 bytes.
      - V(private_key) is a PEM RSA private key; an encrypted one needs O(passphrase) and is sent decrypted, as
        PKCS#8.
      - V(public_key) is a PEM RSA public key.
      - The API holds private and public keys as RSA only; an EC, Ed25519 or other key is refused before any
        request.
      - Required with O(state=present).
    type: str
    choices: [secret_key, private_key, public_key]
  content:
    description:
      - The key material for every environment that does not give its own.
      - For V(private_key) and V(public_key), PEM text. For V(secret_key), the raw key bytes written as base64 text.
      - Mutually exclusive with O(content_path).
    type: str
  content_path:
    description:
      - A file holding the key material. For V(secret_key), the file holds the raw key bytes.
      - Mutually exclusive with O(content).
    type: path
  passphrase:
    description:
      - Passphrase of an encrypted private key given in O(content) or O(content_path).
    type: str
  alias:
    description:
      - Alias of the key in every environment that does not give its own. Optional.
    type: str
  description:
    description:
      - Description of the key.
    type: str
    default: ''
  environments:
    description:
      - The exact set of environments the key is deployed to; an environment the server holds but this list leaves
        out loses the key.
      - Each element is either an environment name, which gets O(content) or O(content_path) and O(alias), or a
        mapping with C(name) and its own C(content) or C(content_path), C(passphrase) and C(alias) (key material
        that differs per environment). Both forms can be mixed.
      - Every environment needs key material. Required with O(state=present).
    type: list
    elements: raw
  update_content:
    description:
      - V(on_create) sends the key material only when the key is created or has to be updated anyway.
      - V(always) sends it on every run, which rotates the key now and always reports a change.
    type: str
    choices: [on_create, always]
    default: on_create
  jwk_update_action:
    description:
      - What happens, on an update, to the JWKs made from this key. V(nullify) clears their reference;
        V(update) re-parses them.
    type: str
    choices: [nullify, update]
    default: nullify
  jwk_update_scope:
    description:
      - Which JWKs are updated when O(jwk_update_action=update).
      - Sent as C(updateScope). With O(jwk_update_action=update) and no scope, V(same_project) is sent, since older
        servers refuse C(updateReferencedJwks=true) without one.
    type: str
    choices: [same_project, all_projects]
  force:
    description:
      - Update and redeploy the key, with its material, even when nothing differs, for example to deploy it again
        after a failed deployment.
    type: bool
    default: false
notes:
  - Key material cannot be read back from Apinizer, so this module cannot see that the material on the server
    differs from O(content). To rotate a key, run once with O(update_content=always) (or O(force=true)) and the new
    material; later runs with the default O(update_content=on_create) stay idempotent.
  - Every update carries the material of every environment, because the server replaces the whole environment list.
  - What is checked when. Before any request -- the PEM structure, key type and passphrase of a private or public
    key, that such a key is RSA, and a secret key's base64 and length. Before the write, and only when the material is about to be sent
    -- the consistency check of a private key itself (for RSA, that its numbers belong together -- n = p q,
    e d = 1 modulo p - 1 and q - 1, and the CRT values; p and q are not tested for primality).
  - A deployment that fails in any environment fails the task and names each failed environment with the
    server's message. The server keeps the key stored there, so a plain rerun finds nothing to do and reports
    it unchanged while it stays undeployed; run again with O(force=true) to deploy it again.
seealso:
  - module: apinizer.apiops.apinizer_key_info
    description: Read keys without their material.
  - module: apinizer.apiops.apinizer_certificate
    description: Manage one certificate and its environments.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Deploy an AES-256 key, different in production and staging
  apinizer.apiops.apinizer_key:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    name: token-encryption
    key_type: secret_key
    environments:
      - name: production
        content: "{{ vault_production_aes_key_b64 }}"
        alias: token-aes
      - name: staging
        content_path: files/staging-aes.bin
        alias: token-aes

- name: Deploy the private key of the API certificate
  apinizer.apiops.apinizer_key:
    name: api-example-com
    key_type: private_key
    content_path: files/api.example.com.key
    passphrase: "{{ vault_key_passphrase }}"
    environments: [production, staging]

- name: Rotate the key material now
  apinizer.apiops.apinizer_key:
    name: api-example-com
    key_type: private_key
    content_path: files/api.example.com-2027.key
    environments: [production, staging]
    update_content: always

- name: Remove a key everywhere
  apinizer.apiops.apinizer_key:
    name: old-key
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, unchanged]
key:
  description:
    - The key after the run, without any key material. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the key.
      type: str
      sample: token-encryption
    description:
      description: Description of the key.
      type: str
      sample: AES key for token encryption
    key_type:
      description: V(secret_key), V(private_key) or V(public_key).
      type: str
      sample: secret_key
    environments:
      description: The environments the key is deployed to, sorted by name.
      type: list
      elements: dict
      contains:
        name:
          description: Environment name.
          type: str
          sample: production
        alias:
          description: Alias of the key in this environment; empty when none.
          type: str
          sample: token-aes
        public_key_sha256:
          description: SHA-256 of the public key (DER SubjectPublicKeyInfo), upper-case hex.
          type: str
          returned: for private and public keys given in this run
          sample: 6B9F0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B
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


from ansible_collections.apinizer.apiops.plugins.module_utils import _keys
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, manage_one, run_and_exit
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import (
    check_environment_mapping,
    check_name,
    read_input_file,
)

ENVIRONMENT_KEYS = frozenset(['name', 'alias', 'content', 'content_path', 'passphrase'])


def environment_entries(module):
    """The environments option as dicts, each with the material it uses and the option that gave it (prefix).
    The secrets inside mappings were masked when the parameters were read (ApinizerModule)."""
    params = module.params
    shared = dict(alias=params['alias'], content=params['content'], content_path=params['content_path'],
                  passphrase=params['passphrase'], prefix='')
    entries = []
    for index, item in enumerate(params['environments'] or []):
        where = 'environments[%d]' % index
        if isinstance(item, str):
            entries.append(dict(shared, name=item))
            continue
        check_environment_mapping(item, where, ENVIRONMENT_KEYS)
        if item.get('content') and item.get('content_path'):
            raise InvalidInput('%s: content and content_path are mutually exclusive.' % where)
        entry = dict(shared, name=str(item['name']), alias=item.get('alias', shared['alias']))
        if item.get('content') or item.get('content_path'):
            entry.update(content=item.get('content'), content_path=item.get('content_path'),
                         passphrase=item.get('passphrase', shared['passphrase']), prefix=where + '.')
        entries.append(entry)
    return entries


def read_material(key_type, entry):
    """The Material of one environment's key, or an empty one."""
    option = entry['prefix'] + ('content_path' if entry['content_path'] else 'content')
    if entry['content_path']:
        return _keys.key_material(key_type, content_bytes=read_input_file(entry['content_path'], option),
                                  passphrase=entry['passphrase'], option=option)
    if entry['content']:
        return _keys.key_material(key_type, content=entry['content'], passphrase=entry['passphrase'], option=option)
    return _keys.Material(None, None, None)


def desired_from_params(module):
    params = module.params
    check_name(params['name'])
    if params['state'] == 'absent':
        return _keys.absent(params['name'])
    materials = {}  # each distinct material is read and checked once
    environments = []
    for entry in environment_entries(module):
        source = (entry['content'], entry['content_path'], entry['passphrase'])
        if source not in materials:
            materials[source] = read_material(params['key_type'], entry)
        material = materials[source]
        environments.append(dict(name=entry['name'], alias=entry['alias'] or '', content=material.content,
                                 public_key_sha256=material.public_key_sha256, check=material.check))
    return _keys.desired_key(params['name'], params['key_type'], environments, params['description'])


def manage_key(module):
    params = module.params
    options = _keys.KeyOptions(params['project'], state=params['state'], force=params['force'],
                               update_content=params['update_content'], jwk_update_action=params['jwk_update_action'],
                               jwk_update_scope=params['jwk_update_scope'])
    return manage_one(module, 'key', desired_from_params, options, 'key')


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        key_type=dict(type='str', choices=sorted(_keys.KEY_TYPES), no_log=False),
        content=dict(type='str', no_log=True),
        content_path=dict(type='path'),
        passphrase=dict(type='str', no_log=True),
        alias=dict(type='str'),
        description=dict(type='str', default=''),
        environments=dict(type='list', elements='raw'),
        update_content=dict(type='str', default='on_create', choices=list(_keys.UPDATE_CONTENT), no_log=False),
        jwk_update_action=dict(type='str', default='nullify', choices=['nullify', 'update']),
        jwk_update_scope=dict(type='str', choices=['same_project', 'all_projects']),
        force=dict(type='bool', default=False),
    )
    module = ApinizerModule(**module_kwargs(
        argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('content', 'content_path')],
        required_if=[('state', 'present', ('key_type', 'environments'))],
    ))
    run_and_exit(module, manage_key)


if __name__ == '__main__':
    main()
