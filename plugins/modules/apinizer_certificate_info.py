#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_certificate_info
short_description: Read the certificates of an Apinizer project, with their validity per environment
version_added: 1.0.0
description:
  - Returns one certificate by name, or every certificate of a project, with per environment the alias,
    thumbprint, subject, validity dates, whether it has expired and how many days remain.
  - Flags the certificates that expire within O(expires_within_days) days.
  - Never changes anything.
author:
  - apinizer.apiops maintainers (@apinizer)
extends_documentation_fragment:
  - apinizer.apiops._connection
  - apinizer.apiops._cryptography
  - apinizer.apiops._attributes
  - apinizer.apiops._attributes.INFO_MODULE
options:
  name:
    description:
      - Name of one certificate. Without it, every certificate of the project is returned.
      - A certificate that does not exist gives an empty RV(certificates) list, not a failure.
    type: str
  expires_within_days:
    description:
      - Set RV(certificates[].expires_soon) on the certificates that expire within this many days (or have
        expired), and list their names in RV(expiring).
    type: int
seealso:
  - module: apinizer.apiops.apinizer_certificate
    description: Manage one certificate and its environments.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Read every certificate of the project and flag those that expire within 30 days
  apinizer.apiops.apinizer_certificate_info:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    expires_within_days: 30
  register: certificates

- name: Fail when a certificate expires soon
  ansible.builtin.assert:
    that: certificates.expiring | length == 0
    fail_msg: "Renew: {{ certificates.expiring | join(', ') }}"

- name: Read one certificate
  apinizer.apiops.apinizer_certificate_info:
    name: api-example-com
  register: api_certificate
"""

RETURN = r"""
certificates:
  description: The certificates, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the certificate.
      type: str
      sample: api-example-com
    description:
      description: Description of the certificate.
      type: str
      sample: TLS certificate of api.example.com
    expired:
      description: Whether the certificate has expired in any environment.
      type: bool
      sample: false
    days_remaining:
      description: Whole days until the earliest expiry among its environments; negative once expired.
      type: int
      sample: 364
    expires_soon:
      description: Whether it expires within O(expires_within_days) days.
      type: bool
      returned: when O(expires_within_days) is set
      sample: false
    environments:
      description: One entry per environment the certificate is deployed to.
      type: list
      elements: dict
      contains:
        name:
          description: Environment name.
          type: str
          sample: production
        alias:
          description: Alias of the certificate in this environment.
          type: str
          sample: api-example-com
        sha1_thumbprint:
          description: SHA-1 of the DER certificate, upper-case hex.
          type: str
          sample: 3F2A9C0D1E4B5A6978C8D7E6F5A4B3C2D1E0F9A8
        subject:
          description: Subject distinguished name as the server reports it.
          type: str
          sample: CN=api.example.com, O=Example Inc, C=US
        not_before:
          description: Start of validity, ISO 8601 UTC.
          type: str
          sample: '2026-01-01T00:00:00Z'
        not_after:
          description: End of validity, ISO 8601 UTC.
          type: str
          sample: '2027-01-01T00:00:00Z'
        expired:
          description: Whether the certificate has expired.
          type: bool
          sample: false
        days_remaining:
          description: Whole days until expiry; negative once expired.
          type: int
          sample: 364
expiring:
  description: Names of the certificates that expire within O(expires_within_days) days.
  returned: when O(expires_within_days) is set
  type: list
  elements: str
  sample: [partner-acme]
"""

import datetime


from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, read_one_or_all, run_and_exit


def read_certificates(module):
    current = read_one_or_all(module, 'certificate')
    params = module.params
    now = datetime.datetime.now(_certificates.UTC)
    certificates = sorted((_certificates.certificate_info(c, now, params['expires_within_days']) for c in current),
                          key=lambda c: c['name'])
    result = dict(changed=False, certificates=certificates)
    if params['expires_within_days'] is not None:
        result['expiring'] = [c['name'] for c in certificates if c['expires_soon']]
    return result


def main():
    argument_spec = dict(
        name=dict(type='str'),
        expires_within_days=dict(type='int'),
    )
    module = ApinizerModule(**module_kwargs(argument_spec, supports_check_mode=True))
    run_and_exit(module, read_certificates)


if __name__ == '__main__':
    main()
