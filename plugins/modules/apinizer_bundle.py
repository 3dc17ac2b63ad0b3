#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_bundle
short_description: Deploy many certificate bundles (certificate, chain, key) to Apinizer environments in one run
version_added: 1.0.0
description:
  - Keeps many bundles -- a certificate, its chain and a key -- deployed to the environments of an Apinizer project,
    in one module run.
  - A bundle is stored as the certificate C(<name>) (the leaf), the certificates C(<name>-chain-1), C(<name>-chain-2),
    ... (the chain, in order) and the key C(<name>) (private, secret or public).
  - Before the first write, every bundle is checked -- every PEM parses, the private key matches the certificate,
    each chain certificate issued the one before it, no certificate has expired, every environment exists in the
    project, no two bundles store the same name. One bad bundle means nothing is written.
  - A converged run reads the certificate list, the key list and the environments once for all bundles, and
    sends no write.
  - When the certificate of a bundle changes, its private key is sent again in the same run, whatever
    O(bundles[].update_content) says, so a new certificate is never deployed beside a stale key.
author:
  - apinizer.apiops maintainers (@apinizer)
extends_documentation_fragment:
  - apinizer.apiops._connection
  - apinizer.apiops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the server as a real run does and predicts each resource's action; sends no write.
  diff_mode:
    support: full
    details:
      - One diff per changed certificate or key, with changed fields only; never key material.
  idempotent:
    support: partial
    details:
      - Certificates are compared exactly (thumbprint, alias, description, environments).
      - Key material cannot be read back, so a change of key material alone is not detected; see
        M(apinizer.apiops.apinizer_key) and O(bundles[].update_content).
options:
  bundles:
    description:
      - The bundles.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the bundle, and of the objects that store it.
        type: str
        required: true
      state:
        description:
          - V(present) deploys the bundle; V(absent) deletes its key, certificate and chain certificates.
        type: str
        choices: [present, absent]
        default: present
      environments:
        description:
          - The exact set of environments the bundle lives in; defaults to O(environments).
          - Each element is an environment name, or a mapping with C(name) and the key material that differs in
            that environment (C(private_key), C(private_key_path), C(private_key_passphrase), C(secret_key),
            C(secret_key_path), C(public_key), C(public_key_path)) and the key's C(alias) there.
        type: list
        elements: raw
      description:
        description:
          - Description of the certificates and the key.
        type: str
        default: ''
      alias:
        description:
          - Alias of the certificate and the key in every environment; chain certificates get C(<alias>-chain-N).
          - Defaults to the name.
        type: str
      certificate:
        description:
          - The certificate as PEM. When it holds more certificates, the first is the leaf and the others its chain.
        type: str
      certificate_path:
        description:
          - A PEM file with the certificate, optionally followed by its chain.
        type: path
      chain:
        description:
          - More CA certificates (PEM), in order from the issuer of the certificate upward.
        type: str
      chain_path:
        description:
          - A PEM file with more CA certificates.
        type: path
      private_key:
        description:
          - The private key of the certificate, PEM. It must match the certificate.
        type: str
      private_key_path:
        description:
          - A PEM file with the private key.
        type: path
      private_key_passphrase:
        description:
          - Passphrase of an encrypted private key; the key is sent decrypted, as PKCS#8.
        type: str
      secret_key:
        description:
          - A secret key (8, 16, 24 or 32 bytes), written as base64 text.
        type: str
      secret_key_path:
        description:
          - A file holding the raw bytes of a secret key.
        type: path
      public_key:
        description:
          - A public key, PEM.
        type: str
      public_key_path:
        description:
          - A PEM file with a public key.
        type: path
      update_content:
        description:
          - V(on_create) sends key material when the key is created or updated anyway; V(always) on every run.
        type: str
        choices: [on_create, always]
        default: on_create
      force:
        description:
          - Replace and redeploy the bundle's objects even when nothing differs.
        type: bool
        default: false
      allow_expired:
        description:
          - Deploy certificates that have expired or are not valid yet.
        type: bool
        default: false
  environments:
    description:
      - The environments of the bundles that name none.
    type: list
    elements: str
    default: []
  validate_only:
    description:
      - Check every bundle, including that its environments exist, and write nothing.
    type: bool
    default: false
seealso:
  - module: apinizer.apiops.apinizer_certificate
  - module: apinizer.apiops.apinizer_key
"""

EXAMPLES = r"""
---
- name: Keep three bundles deployed to production and staging
  apinizer.apiops.apinizer_bundle:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    environments: [production, staging]
    bundles:
      - name: api-example-com
        certificate_path: files/api.example.com-fullchain.pem
        private_key_path: files/api.example.com.key
        private_key_passphrase: "{{ vault_key_passphrase }}"
      - name: partner-acme-mtls
        description: mTLS client certificate of ACME
        certificate_path: files/partner-acme.pem
      - name: token-encryption
        environments:
          - name: production
            secret_key: "{{ vault_production_aes_key_b64 }}"
          - name: staging
            secret_key: "{{ vault_staging_aes_key_b64 }}"
  register: deployed

- name: Retire a bundle
  apinizer.apiops.apinizer_bundle:
    bundles:
      - name: partner-old
        state: absent
"""

RETURN = r"""
bundles:
  description: One entry per bundle, in the order given. After a failure, the bundles processed so far.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the bundle.
      type: str
      sample: api-example-com
    state:
      description: The state asked for.
      type: str
      sample: present
    changed:
      description: Whether any of its objects changed.
      type: bool
      sample: true
    resources:
      description: One entry per stored object.
      type: list
      elements: dict
      contains:
        type:
          description: V(certificate) or V(key).
          type: str
          sample: certificate
        name:
          description: Name of the object.
          type: str
          sample: api-example-com-chain-1
        action:
          description: What was done (or would be, in check mode).
          type: str
          sample: created
          choices: [created, updated, deleted, unchanged]
        deployment:
          description:
            - The deployment report per environment (C(success), C(message), C(environments) with C(name),
              C(success), C(message)); null when nothing was written.
          type: dict
          sample: {success: true, message: Deployment completed successfully,
                   environments: [{name: production, success: true, message: Deployed successfully}]}
summary:
  description: How many objects were created, updated, deleted, or left unchanged.
  returned: always
  type: dict
  sample: {created: 3, updated: 1, deleted: 0, unchanged: 2}
"""


from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles, _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, ApinizerError, module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._common import (
    ApinizerModule,
    EnvironmentCheck,
    InvalidInput,
    fail_if_missing_libraries,
    hide_sent_key_material,
)

ACTIONS = ('created', 'updated', 'deleted', 'unchanged')


def argument_spec():
    pairs = [('certificate', 'certificate_path'), ('chain', 'chain_path'), ('private_key', 'private_key_path'),
             ('secret_key', 'secret_key_path'), ('public_key', 'public_key_path')]
    bundle = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        environments=dict(type='list', elements='raw'),
        description=dict(type='str', default=''),
        alias=dict(type='str'),
        certificate=dict(type='str'),
        certificate_path=dict(type='path'),
        chain=dict(type='str'),
        chain_path=dict(type='path'),
        private_key=dict(type='str', no_log=True),
        private_key_path=dict(type='path'),
        private_key_passphrase=dict(type='str', no_log=True),
        secret_key=dict(type='str', no_log=True),
        secret_key_path=dict(type='path'),
        public_key=dict(type='str'),
        public_key_path=dict(type='path'),
        update_content=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
        force=dict(type='bool', default=False),
        allow_expired=dict(type='bool', default=False),
    )
    return dict(
        bundles=dict(type='list', elements='dict', required=True, options=bundle, mutually_exclusive=pairs),
        environments=dict(type='list', elements='str', default=[]),
        validate_only=dict(type='bool', default=False),
    )


def bundle_entry(bundle, resources):
    return dict(name=bundle['name'], state=bundle['state'], changed=any(r['changed'] for r in resources),
                resources=[dict(type=r['type'], name=r['name'], action=r['action'], deployment=r['deployment'])
                           for r in resources])


def diffs(resources):
    return [dict(before_header='%s %s' % (r['type'], r['name']), after_header='%s %s' % (r['type'], r['name']),
                 before=r['diff']['before'], after=r['diff']['after'])
            for r in resources if r['changed']]


def main():
    module = ApinizerModule(**module_kwargs(argument_spec(), supports_check_mode=True))
    fail_if_missing_libraries(module)
    params = module.params
    try:
        bundles = [_bundles.desired_bundle(spec, params['environments']) for spec in params['bundles']]
        _bundles.check_names_unique(bundles)
    except (InvalidInput, _pem.PemError) as exc:
        module.fail_json(msg=str(exc), bundles=[])

    client = ApinizerClient.from_module(module)
    hide_sent_key_material(module, client, [b['key'] for b in bundles])
    project = params['project']
    try:
        _bundles.check_environments_exist(bundles, EnvironmentCheck(client, project))
    except InvalidInput as exc:
        module.fail_json(msg=str(exc), bundles=[])
    except ApinizerError as exc:
        module.fail_json(msg=str(exc), bundles=[], **exc.to_result())
    if params['validate_only']:
        module.exit_json(changed=False, msg='%d bundles are valid.' % len(bundles),
                         bundles=[bundle_entry(b, []) for b in bundles], summary=dict((a, 0) for a in ACTIONS))

    done, all_resources, failure, error = [], [], None, {}
    try:
        state = _bundles.ServerState.read(client, project, key_names=[b['name'] for b in bundles])
        for bundle in bundles:
            resources = []
            try:
                failure = _bundles.reconcile_bundle(client, project, bundle, state, module.check_mode,
                                                    params['retries'], resources)
            finally:
                done.append(bundle_entry(bundle, resources))
                all_resources.extend(resources)
            if failure:
                failure = 'bundle %s: %s' % (bundle['name'], failure)
                break
    except ApinizerError as exc:
        failure = 'bundle %s: %s' % (done[-1]['name'], exc) if done else str(exc)
        error = exc.to_result()

    summary = dict((action, sum(1 for r in all_resources if r['action'] == action)) for action in ACTIONS)
    output = dict(changed=any(r['changed'] for r in all_resources), bundles=done, summary=summary)
    if module._diff:
        output['diff'] = diffs(all_resources)
    if failure:
        if len(done) < len(bundles):
            failure += ' Bundles after it were not processed; the next run continues.'
        module.fail_json(msg=failure, **dict(output, **error))
    verb = 'would be ' if module.check_mode else ''
    module.exit_json(msg='%d bundles: %s.' % (len(bundles), ', '.join(
        '%d %s%s' % (summary[a], verb if a != 'unchanged' else '', a) for a in ACTIONS)), **output)


if __name__ == '__main__':
    main()
