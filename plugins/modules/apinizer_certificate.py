#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_certificate
short_description: Manage a certificate of an Apinizer project and its deployment to environments
version_added: 1.0.0
description:
  - Creates, replaces or deletes a certificate of an Apinizer project through the API Ops management API, and
    keeps it deployed to exactly the environments listed in O(environments).
  - Compares the SHA-1 thumbprint of the certificate, the alias, the description and the set of environments with
    what the server holds, and writes only when one of them differs (or O(force=true)).
  - A replacement is a delete-then-create on the server. When the create half fails, the module puts the previous
    certificate back before it fails, so nothing that was deployed is lost.
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
      - Shows the changed fields among description, alias, environments, thumbprint, subject and expiry date.
  idempotent:
    support: partial
    details:
      - Idempotent, except with O(force=true), which replaces and redeploys the certificate on every run.
options:
  name:
    description:
      - Name of the certificate, unique in the project.
      - Letters, digits, V(_), V(-) and V(.), at most 128 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates or replaces the certificate; V(absent) deletes and undeploys it everywhere.
    type: str
    choices: [present, absent]
    default: present
  certificate:
    description:
      - The certificate as PEM text, exactly one C(-----BEGIN CERTIFICATE-----) block.
      - A chain, a private key or anything that is not a certificate is refused before any request.
      - Mutually exclusive with O(certificate_path); one of them is required with O(state=present).
    type: str
  certificate_path:
    description:
      - Path of a file on the managed host holding the certificate as PEM (or DER).
      - Mutually exclusive with O(certificate).
    type: path
  alias:
    description:
      - Alias of the certificate in every environment. It must be unique among the certificates of an environment.
      - Defaults to O(name).
    type: str
  description:
    description:
      - Description of the certificate.
    type: str
    default: ''
  environments:
    description:
      - The exact set of environments the certificate is deployed to. An environment the server holds but this list
        leaves out loses the certificate.
      - Required with O(state=present).
    type: list
    elements: str
  jwk_update_action:
    description:
      - What happens, on a replacement, to the JWKs made from this certificate.
      - V(nullify) clears their reference; V(update) re-parses them from the new certificate.
      - Sent as C(jwkUpdateAction) and, for older servers, C(updateReferencedJwks).
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
      - Replace and redeploy the certificate even when nothing differs, for example to retry a deployment.
    type: bool
    default: false
notes:
  - A deployment that fails in any environment fails the task and names each failed environment with the
    server's message. The server keeps the certificate stored there, so a plain rerun finds nothing to do and
    reports it unchanged while it stays undeployed; run again with O(force=true) to deploy it again.
  - An expired certificate is accepted with a warning.
seealso:
  - module: apinizer.apiops.apinizer_certificate_info
    description: Read certificates, their validity and expiry, without changing anything.
  - module: apinizer.apiops.apinizer_certificate_export
    description: Write the certificate of each environment to files.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Keep the API certificate deployed to production and staging
  apinizer.apiops.apinizer_certificate:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    name: api-example-com
    alias: api-example-com
    description: TLS certificate of api.example.com
    certificate_path: files/api.example.com.pem
    environments:
      - production
      - staging

- name: Set the connection once for every module of the collection
  module_defaults:
    group/apinizer.apiops.apinizer:
      url: https://apinizer.example.com
      token: "{{ apinizer_token }}"
      project: payments
  block:
    - name: Rotate the certificate and re-parse the JWKs made from it in every project
      apinizer.apiops.apinizer_certificate:
        name: api-example-com
        certificate: "{{ lookup('ansible.builtin.file', 'api.example.com-2027.pem') }}"
        environments: [production, staging]
        jwk_update_action: update
        jwk_update_scope: all_projects

    - name: Remove a partner certificate from every environment
      apinizer.apiops.apinizer_certificate:
        name: partner-old
        state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, unchanged]
certificate:
  description:
    - The certificate after the run. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the certificate.
      type: str
      sample: api-example-com
    description:
      description: Description of the certificate.
      type: str
      sample: TLS certificate of api.example.com
    alias:
      description: Alias of the certificate in its environments.
      type: str
      sample: api-example-com
    environments:
      description: The environments the certificate is deployed to, sorted.
      type: list
      elements: str
      sample: [production, staging]
    sha1_thumbprint:
      description: SHA-1 of the DER certificate, upper-case hex, as the API reports it.
      type: str
      sample: 3F2A9C0D1E4B5A6978C8D7E6F5A4B3C2D1E0F9A8
    sha256_fingerprint:
      description: SHA-256 of the DER certificate, upper-case hex.
      type: str
      sample: 9B1D2C3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C
    subject:
      description: Subject distinguished name (RFC 4514).
      type: str
      sample: CN=api.example.com,O=Example Inc,C=US
    issuer:
      description: Issuer distinguished name (RFC 4514).
      type: str
      sample: CN=Example Issuing CA,O=Example Inc,C=US
    serial_number:
      description: Serial number, upper-case hex.
      type: str
      sample: 5A0C3E9B21
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


from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates
from ansible_collections.apinizer.apiops.plugins.module_utils._client import module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._module import ApinizerModule, manage_one, run_and_exit
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import check_name, read_input_file


def desired_from_params(module):
    params = module.params
    check_name(params['name'])
    if params['state'] == 'absent':
        return _certificates.absent(params['name'])
    if params['certificate_path']:
        certificate = read_input_file(params['certificate_path'], 'certificate_path')
        option = 'certificate_path'
    else:
        certificate, option = params['certificate'], 'certificate'
    desired = _certificates.desired_certificate(params['name'], certificate, alias=params['alias'],
                                                description=params['description'],
                                                environments=params['environments'], option=option)
    facts = desired['facts']
    if facts['expired']:
        module.warn('Certificate %s expired on %s; it is deployed anyway.' % (params['name'], facts['not_after']))
    elif facts['not_yet_valid']:
        module.warn('Certificate %s is not valid before %s.' % (params['name'], facts['not_before']))
    return desired


def manage_certificate(module):
    params = module.params
    options = _certificates.CertificateOptions(params['project'], state=params['state'], force=params['force'],
                                               jwk_update_action=params['jwk_update_action'],
                                               jwk_update_scope=params['jwk_update_scope'])
    return manage_one(module, 'certificate', desired_from_params, options, 'certificate', updated_verb='replaced')


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        certificate=dict(type='str'),
        certificate_path=dict(type='path'),
        alias=dict(type='str'),
        description=dict(type='str', default=''),
        environments=dict(type='list', elements='str'),
        jwk_update_action=dict(type='str', default='nullify', choices=list(_certificates.JWK_UPDATE_ACTIONS)),
        jwk_update_scope=dict(type='str', choices=list(_certificates.JWK_UPDATE_SCOPES)),
        force=dict(type='bool', default=False),
    )
    module = ApinizerModule(**module_kwargs(
        argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('certificate', 'certificate_path')],
        required_if=[('state', 'present', ('certificate', 'certificate_path'), True),
                     ('state', 'present', ('environments',))],
    ))
    run_and_exit(module, manage_certificate)


if __name__ == '__main__':
    main()
