#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_jwk_info
short_description: Read the JSON Web Keys (JWKs) of an Apinizer project, public members only
version_added: 1.0.0
description:
  - Returns one JWK by name, with its public members, or every JWK of a project (from the list, which carries no
    key material).
  - The server answers a JWK with its private members in clear; this module keeps the public members only and
    never returns C(d), C(p), C(q), C(dp), C(dq), C(qi), C(k) or any other private member.
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
      - Name of one JWK, returned with its public members. Without it, every JWK of the project is returned without
        members (one list request).
      - A JWK that does not exist gives an empty RV(jwks) list, not a failure.
    type: str
seealso:
  - module: apinizer.apiops.apinizer_jwk
    description: Manage one JWK.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, JWKs, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Read every JWK of the project
  apinizer.apiops.apinizer_jwk_info:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
  register: project_jwks

- name: Read the public modulus of one JWK
  apinizer.apiops.apinizer_jwk_info:
    name: api-signing
  register: api_signing

- name: Show whether it still follows its certificate
  ansible.builtin.debug:
    msg: "{{ api_signing.jwks[0].source_id is not none }}"
"""

RETURN = r"""
jwks:
  description: The JWKs, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the JWK.
      type: str
      sample: api-signing
    description:
      description: Description of the JWK.
      type: str
      sample: JWK of the API certificate
    source_type:
      description: C(URL), C(COPY_PASTE), C(CERTIFICATE), C(PUBLIC_KEY), C(PRIVATE_KEY), C(KEYSTORE) or C(GENERATE).
      type: str
      sample: CERTIFICATE
    source_id:
      description: The server's opaque id of the source; null when there is none or the JWK was cut loose.
      type: str
      sample: 65f1c0ffee0123456789abcd
    source_url:
      description: The URL of a JWK read from a URL, else null.
      type: str
      sample: https://partner.example.com/.well-known/jwks.json
    type:
      description: C(RSA), C(EC), C(OCT) or C(OKP).
      type: str
      sample: RSA
    kid:
      description: The key id, or null.
      type: str
      sample: key-id-1
    public_members:
      description:
        - The public members (RSA C(n), C(e); EC C(crv), C(x), C(y); OKP C(crv), C(x); none for C(OCT)).
      type: dict
      returned: with O(name)
      sample: {"n": "0vx7agoebGcQSuu...", "e": "AQAB"}
"""


from ansible_collections.apinizer.apiops.plugins.module_utils import _jwks
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, read_one_or_all, run_and_exit


def read_jwks(module):
    jwks = read_one_or_all(module, 'jwk', cryptography=False)
    return dict(changed=False, jwks=sorted((_jwks.public_fields(jwk) for jwk in jwks), key=lambda j: j['name']))


def main():
    module = ApinizerModule(**module_kwargs(dict(name=dict(type='str')), supports_check_mode=True))
    run_and_exit(module, read_jwks)


if __name__ == '__main__':
    main()
