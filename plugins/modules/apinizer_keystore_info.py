#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_keystore_info
short_description: Read the keystores of an Apinizer project, without their files or passwords
version_added: 1.0.0
description:
  - Returns one keystore by name, or every keystore of a project, with its description and the environments it is
    deployed to with each one's keystore type (and alias, where the server answers one).
  - Never returns a keystore file or a password, although the server answers the files.
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
      - Name of one keystore. Without it, every keystore of the project is returned.
      - A keystore that does not exist gives an empty RV(keystores) list, not a failure.
    type: str
notes:
  - The certificates inside a file are not returned, since a file cannot be opened without its password; the
    M(apinizer.apiops.apinizer_keystore) result shows them for the files it is given.
seealso:
  - module: apinizer.apiops.apinizer_keystore
    description: Manage one keystore and its file per environment.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, keystores, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Read every keystore of the project
  apinizer.apiops.apinizer_keystore_info:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
  register: project_keystores

- name: Show where the mtls-client keystore is deployed
  ansible.builtin.debug:
    msg: "{{ project_keystores.keystores | selectattr('name', 'equalto', 'mtls-client') | map(attribute='environments') | first }}"
"""

RETURN = r"""
keystores:
  description: The keystores, sorted by name.
  returned: always
  type: list
  elements: dict
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
          description:
            - V(jks) or V(pkcs12); any other type the server reports is returned as the server spells it.
          type: str
          sample: pkcs12
        alias:
          description: Default alias of the keystore in this environment.
          type: str
          returned: when the server answers it (documented servers do not)
          sample: mtls-client
"""


from ansible_collections.apinizer.apiops.plugins.module_utils import _keystores
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, read_one_or_all, run_and_exit


def read_keystores(module):
    keystores = read_one_or_all(module, 'keystore', cryptography=False)
    return dict(changed=False, keystores=sorted((_keystores.public_fields(k) for k in keystores),
                                                key=lambda k: k['name']))


def main():
    module = ApinizerModule(**module_kwargs(dict(name=dict(type='str')), supports_check_mode=True))
    run_and_exit(module, read_keystores)


if __name__ == '__main__':
    main()
