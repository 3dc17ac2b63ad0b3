#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_key_info
short_description: Read the crypto keys of an Apinizer project, without their material
version_added: 1.0.0
description:
  - Returns one key by name, or every key of a project, with its description, key type, and the environments it is
    deployed to with their aliases.
  - Never returns key content, not even the encrypted form the server answers.
  - Never changes anything.
author:
  - apinizer.apiops maintainers (@apinizer)
extends_documentation_fragment:
  - apinizer.apiops._connection
  - apinizer.apiops._attributes
  - apinizer.apiops._attributes.INFO_MODULE
options:
  name:
    description:
      - Name of one key. Without it, every key of the project is returned.
      - A key that does not exist gives an empty RV(crypto_keys) list, not a failure.
    type: str
notes:
  - The key list names environments by internal id; the module resolves them to names through the get endpoint,
    reading as few keys one by one as it needs to learn every id.
seealso:
  - module: apinizer.apiops.apinizer_key
    description: Manage one crypto key and its material per environment.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Read every key of the project
  apinizer.apiops.apinizer_key_info:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
  register: project_keys

- name: Show where the token-encryption key is deployed
  ansible.builtin.debug:
    msg: "{{ project_keys.crypto_keys | selectattr('name', 'equalto', 'token-encryption') | map(attribute='environments') | first }}"
"""

RETURN = r"""
crypto_keys:
  description:
    - The keys, sorted by name.
    - Named C(crypto_keys), not C(keys), because C(result.keys) would be the dictionary method in Jinja.
  returned: always
  type: list
  elements: dict
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
      description:
        - V(secret_key), V(private_key) or V(public_key); any other type the server reports (older servers say
          C(RSA) or C(EC)) is returned as the server spells it.
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
"""


from ansible_collections.apinizer.apiops.plugins.module_utils import _keys
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, read_one_or_all, run_and_exit


def read_keys(module):
    keys = read_one_or_all(module, 'key', cryptography=False)
    return dict(changed=False, crypto_keys=sorted((_keys.public_fields(key) for key in keys), key=lambda k: k['name']))


def main():
    module = ApinizerModule(**module_kwargs(dict(name=dict(type='str')), supports_check_mode=True))
    run_and_exit(module, read_keys)


if __name__ == '__main__':
    main()
