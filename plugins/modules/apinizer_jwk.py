#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_jwk
short_description: Manage a JSON Web Key (JWK) of an Apinizer project
version_added: 1.0.0
description:
  - Creates or deletes a JWK of an Apinizer project through the API Ops management API, from one of these sources --
    the public key of a certificate of the project (O(source=certificate)), a public or private key of the project
    (O(source=key)), an entry of a keystore of the project (O(source=keystore)), a JWK or JWK Set the server reads
    from a URL (O(source=url)), a JWK or JWK Set given as JSON (O(source=json)), or a key the server generates
    (O(source=generate)).
  - A JWK has no environment list; the server deploys it to every environment of the project.
  - The server answers a JWK with its private members in clear. The module compares the public members in memory
    only and never returns, shows or logs a private member.
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
      - Shows the changed fields among description, source type, type, kid, the public members, the source URL and
        whether the JWK still has its source reference; never a private member.
  idempotent:
    support: partial
    details:
      - A second run with the same options changes nothing. A generated JWK is found by name, type, description
        and O(kid) (when given) and never generated again; O(force=true) makes a new one.
      - The server never shows a JWK's use, algorithm, size or curve, its URL options, nor the name, environment and
        alias of its source, so a change of one of these alone is not detected; use O(force=true) to make the JWK
        again.
      - A key's content never comes back from the server, so the public members of a JWK from O(source=key) are not
        compared; nor are those of a JWK from O(source=keystore) when the keystore's file does not come back or
        cannot be read (a PKCS#12 file without O(keystore_password)).
      - The module does not read the URL of O(source=url) itself; the server reads it once, when it makes the JWK. A
        key rotated at the URL under the same O(kid) is therefore not seen; use O(force=true) to read it again.
options:
  name:
    description:
      - Name of the JWK, unique in the project.
      - Letters, digits, V(_), V(-) and V(.), at most 128 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates the JWK, or makes it again when it differs; V(absent) deletes and undeploys it.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Where the JWK's material comes from. Required with O(state=present).
      - V(certificate) -- the public key of the certificate O(certificate_name) of the project, from its entry for
        O(environment).
      - V(key) -- the key O(key_name) of the project (a public or a private key), from its entry for O(environment).
      - V(keystore) -- the entry O(alias) of the keystore O(keystore_name) of the project, from its file for
        O(environment).
      - V(url) -- the JWK, or the O(kid) entry of the JWK Set, that the server reads from O(source_url).
      - V(json) -- the JWK or JWK Set O(jwk_json).
      - V(generate) -- a key the server generates (O(jwk_type), O(key_size) or O(curve)).
    type: str
    choices: [certificate, key, keystore, url, json, generate]
  description:
    description:
      - Description of the JWK.
    type: str
    default: ''
  certificate_name:
    description:
      - With O(source=certificate), the certificate of the project whose public key the JWK holds. It must exist
        (M(apinizer.apiops.apinizer_certificate)) and be deployed to O(environment).
    type: str
  key_name:
    description:
      - With O(source=key), the key of the project the JWK is parsed from. It must exist
        (M(apinizer.apiops.apinizer_key)), be a V(public_key) or V(private_key) key (a V(secret_key) is refused) and
        be deployed to O(environment).
      - The JWK's source type is the key's type, C(PUBLIC_KEY) or C(PRIVATE_KEY); a JWK from a private key holds its
        private members, which the module never shows.
    type: str
  keystore_name:
    description:
      - With O(source=keystore), the keystore of the project the JWK is parsed from. It must exist
        (M(apinizer.apiops.apinizer_keystore)) and be deployed to O(environment).
    type: str
  alias:
    description:
      - With O(source=keystore), the alias of the keystore entry the JWK is parsed from (a key entry, or a
        certificate entry).
      - When the server answers the keystore's file and the module can read it (a JKS file's certificates need no
        password; a PKCS#12 file needs O(keystore_password)), the module checks before any write that the file for
        O(environment) holds this entry, and compares the JWK's public members with its public key.
    type: str
  keystore_password:
    description:
      - With O(source=keystore), the password of a PKCS#12 keystore file, only to read the entry O(alias) from the
        file the server answers; never sent. Without it, a PKCS#12 entry's public key is not compared.
      - Given for a JKS file, it is checked against the file's integrity digest.
    type: str
  source_url:
    description:
      - With O(source=url), the http or https address of the JWK or JWK Set (a JWKS endpoint) that the server reads,
        once, when it makes the JWK. Compared with the JWK's source URL.
      - Sent as C(url); the option has another name because O(url) is the address of the management API.
    type: str
  url_connect_timeout:
    description:
      - With O(source=url), how long the server waits to connect to O(source_url), in milliseconds; sent as
        C(urlOptionConnectTimeout) only when given (the server's default is 5000).
    type: int
  url_read_timeout:
    description:
      - With O(source=url), how long the server waits for O(source_url) to answer, in milliseconds; sent as
        C(urlOptionReadTimeout) only when given (the server's default is 10000).
    type: int
  url_size_limit:
    description:
      - With O(source=url), the largest answer the server reads from O(source_url), in bytes; sent as
        C(urlOptionSizeLimit) only when given (the server's default is 1048576).
    type: int
  environment:
    description:
      - With O(source=certificate), O(source=key) or O(source=keystore), the environment whose entry of the source
        the JWK is parsed from.
    type: str
  use:
    description:
      - What the key is for, sent as C(useType) (or, generated, C(keyUseType)).
    type: str
    choices: [signature, encryption]
    default: signature
  algorithm:
    description:
      - The JOSE algorithm name, for example V(RS256), V(PS256), V(RSA-OAEP-256), V(ES256). It must fit the key type
        and O(use).
      - Required with O(source=certificate), O(source=key) and O(source=keystore); optional with
        O(source=generate), which is sent in the generate
        endpoint's own spelling (V(RS256) as C(RSA256), V(RSA-OAEP-256) as C(RSA_OAEP_256)).
    type: str
  jwk_json:
    description:
      - With O(source=json), the JWK (a JSON object with C(kty)) or JWK Set (an object whose C(keys) holds a list of
        JWKs), as text or as a mapping. A public JWK is enough; any private member it holds is sent, never returned.
    type: json
  kid:
    description:
      - With O(source=json) or O(source=url), the C(kid) of the entry to take from a JWK Set (needed when the set
        holds more than one key).
      - With O(source=generate), the C(kid) of the generated key; without it the server makes one.
      - A JWK from a certificate, key or keystore takes no C(kid).
      - Compared when given. Older servers ignore a generate request's C(kid); the task then fails after the
        write, naming the kid the server chose, so that no later run generates the key again and again.
    type: str
  jwk_type:
    description:
      - With O(source=generate), the type of key to generate.
    type: str
    choices: [rsa, ec, oct, okp]
  key_size:
    description:
      - With O(jwk_type=rsa), 2048 (the default), 3072 or 4096 bits; with O(jwk_type=oct), 128, 192 or 256 (the
        default).
    type: int
  curve:
    description:
      - With O(jwk_type=ec), V(P-256) (the default), V(P-384), V(P-521) or V(secp256k1); with O(jwk_type=okp),
        V(Ed25519) (the default) or V(X25519).
    type: str
    choices: [P-256, P-384, P-521, secp256k1, Ed25519, X25519]
  force:
    description:
      - Delete the JWK and make it again even when nothing differs; a generated key gets new material.
    type: bool
    default: false
notes:
  - The JWK's own update endpoint changes only its description and cuts a JWK loose from its source. The module uses
    it for a description change of a JWK from O(source=json) or O(source=generate); a JWK from a certificate is made
    again (deleted and created) instead, so that it keeps following its certificate. A JWK made again is a new
    object, which policies that held the old one's id no longer find.
  - "A JWK made from a certificate follows that certificate only through the certificate's own writes: run
    M(apinizer.apiops.apinizer_certificate) (or M(apinizer.apiops.apinizer_bundle)) with
    O(apinizer.apiops.apinizer_certificate#module:jwk_update_action=update) and the server re-parses the JWK from
    the new certificate; with the default V(nullify) the JWK keeps the old public key and loses its reference,
    which the next run of this module sees and repairs by making the JWK again."
  - "Likewise a JWK made from a key or keystore: a changed key content or keystore file reaches the JWK only through
    M(apinizer.apiops.apinizer_key) (or M(apinizer.apiops.apinizer_keystore)) with
    O(apinizer.apiops.apinizer_key#module:jwk_update_action=update); with V(nullify) the JWK is cut loose, and the
    next run of this module makes it again from the key or keystore as it is then. A JWK read from a URL keeps its
    source URL until its own update, which the module never sends for it (a description change makes it again)."
  - Older servers read other field names for JWKs made from a certificate, key or keystore (C(environmentId),
    C(SIGN), C(keystoreAlgorithm)); this module sends the newer names, which such servers refuse, and the task
    fails saying so, with nothing stored. On such a server, use O(source=json) or O(source=url).
seealso:
  - module: apinizer.apiops.apinizer_jwk_info
    description: Read JWKs with their public members only.
  - module: apinizer.apiops.apinizer_certificate
    description: Manage the certificate a JWK is made from, and what its replace does to the JWK.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, JWKs, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: A JWK of the API certificate's public key, for signature checks
  apinizer.apiops.apinizer_jwk:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    name: api-signing
    source: certificate
    certificate_name: api-example-com
    environment: production
    algorithm: RS256

- name: Rotate the certificate; the JWK takes the new public key
  apinizer.apiops.apinizer_certificate:
    name: api-example-com
    certificate: "{{ lookup('ansible.builtin.file', 'files/api.example.com-2027.pem') }}"
    environments: [production, staging]
    jwk_update_action: update

- name: A JWK of a private key of the project, for signing tokens
  apinizer.apiops.apinizer_jwk:
    name: token-signing-key
    source: key
    key_name: token-signing-private
    environment: production
    algorithm: PS256

- name: A JWK of the key entry of a PKCS#12 keystore, compared with the entry's public key
  apinizer.apiops.apinizer_jwk:
    name: mtls-keystore-jwk
    source: keystore
    keystore_name: mtls-keystore
    environment: production
    alias: mtls
    keystore_password: "{{ mtls_keystore_password }}"
    algorithm: RS256

- name: The identity provider's signing key, read by the server from its JWKS endpoint
  apinizer.apiops.apinizer_jwk:
    name: idp-signing
    source: url
    source_url: https://idp.example.com/.well-known/jwks.json
    kid: idp-2026-11
    url_read_timeout: 5000

- name: A partner's public key, pasted
  apinizer.apiops.apinizer_jwk:
    name: partner-key
    source: json
    jwk_json: "{{ lookup('ansible.builtin.file', 'files/partner-jwks.json') }}"
    kid: partner-2026

- name: A generated RSA key, made once
  apinizer.apiops.apinizer_jwk:
    name: token-signing
    source: generate
    jwk_type: rsa
    key_size: 2048
    algorithm: RS256
    kid: token-signing-1

- name: Remove a JWK
  apinizer.apiops.apinizer_jwk:
    name: old-jwk
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode); V(replaced) is a delete and then a create.
  returned: always
  type: str
  sample: created
  choices: [created, updated, replaced, deleted, unchanged]
jwk:
  description:
    - The JWK after the run, with its public members only. Empty after O(state=absent).
  returned: always
  type: dict
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
      description:
        - C(CERTIFICATE), C(PUBLIC_KEY) or C(PRIVATE_KEY) (the key's type), C(KEYSTORE), C(URL), C(COPY_PASTE),
          C(GENERATE), or any other source type the server reports.
      type: str
      sample: CERTIFICATE
    type:
      description:
        - C(RSA), C(EC), C(OCT) or C(OKP); null in check mode for a JWK not made yet whose type the module cannot
          know before the server makes it (generated, from a key, from a URL, from a keystore it cannot read).
      type: str
      sample: RSA
    kid:
      description: The key id, or null.
      type: str
      sample: token-signing-1
    source_id:
      description: The server's opaque id of the source; null once the JWK was cut loose from it.
      type: str
      returned: when read from the server
      sample: 65f1c0ffee0123456789abcd
    source_url:
      description: The URL of a JWK read from a URL, else null; null once the JWK was cut loose from it.
      type: str
      returned: when read from the server, and for O(source=url)
      sample: null
    public_members:
      description:
        - The public members, RFC 7518 names (RSA C(n), C(e); EC C(crv), C(x), C(y); OKP C(crv), C(x)); empty for
          an C(OCT) key, which has none. Never a private member.
      type: dict
      returned: when known
      sample: {"n": "0vx7agoebGcQSuu...", "e": "AQAB"}
deployment:
  description:
    - The deployment report of the last write, per environment. Absent when nothing was written.
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


from ansible_collections.apinizer.apiops.plugins.module_utils import _jwks, _server
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._module import (
    ApinizerModule,
    TaskFailed,
    apply_or_predict,
    require_libraries,
    run_and_exit,
)


def desired_from_params(module):
    params = module.params
    if params['state'] == 'absent':
        return _jwks.absent(params['name'])
    return _jwks.desired_jwk(params['name'], params['source'], params['description'], kid=params['kid'],
                             certificate_name=params['certificate_name'], environment=params['environment'],
                             use=params['use'], algorithm=params['algorithm'], jwk_json=params['jwk_json'],
                             jwk_type=params['jwk_type'], key_size=params['key_size'], curve=params['curve'],
                             key_name=params['key_name'], keystore_name=params['keystore_name'],
                             alias=params['alias'], source_url=params['source_url'],
                             url_connect_timeout=params['url_connect_timeout'],
                             url_read_timeout=params['url_read_timeout'], url_size_limit=params['url_size_limit'])


def hide_pasted_private_members(module):
    """ansible-core before 2.19 turns a pasted JSON string into a dict and hides every value in it: its public members
    may show in the result; its private ones stay hidden."""
    jwk_json = module.params['jwk_json']
    if jwk_json:
        private = _jwks.private_values(jwk_json)
        module.no_log_values.difference_update(_jwks.public_values(jwk_json) - private)
        module.no_log_values.update(private)


def with_source(client, params, desired):
    """The desired JWK completed from the certificate, key or keystore it is made from (one read of it); refuses
    a source that is missing or does not fit, before any write."""
    source = desired.get('source') if params['state'] == 'present' else None
    if source == 'certificate':
        return _jwks.with_certificate(desired, _server.read_certificate(client, params['project'],
                                                                        desired['certificate_name']))
    if source == 'key':
        return _jwks.with_key(desired, _server.read_key(client, params['project'], desired['key_name']))
    if source == 'keystore':
        keystore, files = _server.read_keystore_files(client, params['project'], desired['keystore_name'])
        return _jwks.with_keystore(desired, keystore, files, password=params['keystore_password'])
    return desired


def report(module, client, desired, changes, outcomes):
    """The module's result; a JWK written in this run is read again for its public members. Raises TaskFailed for a
    failed deployment, and for a generated JWK whose kid the server did not take."""
    action = 'replaced' if len(outcomes) == 2 else outcomes[-1].action
    after = outcomes[-1].after
    if action in ('created', 'replaced', 'updated') and not module.check_mode:
        after = _jwks.public_fields(_server.read_jwk(client, module.params['project'], desired['name']))
    output = dict(changed=any(o.changed for o in outcomes), action=action, jwk=after)
    if module._diff:
        output['diff'] = changes[-1].diff
    written = [o.deployment for o in outcomes if o.deployment is not None]
    if written:
        output['deployment'] = written[-1]
    failure = next((o.failure for o in outcomes if o.failure), None)
    if not failure and desired.get('source') == 'generate' and desired['kid'] and after.get('kid') != desired['kid']:
        # Older servers take no kid on generate; each rerun would see another kid and generate the key again.
        failure = ('JWK %s was generated, but the server gave it the kid %s instead of %s (older servers take no kid '
                   'on generate), so every run would generate it again: leave kid out.'
                   % (desired['name'], after.get('kid'), desired['kid']))
    if failure:
        raise TaskFailed(failure, **output)
    if action == 'unchanged':
        output['msg'] = 'JWK %s is up to date.' % desired['name']
    else:
        output['msg'] = 'JWK %s %s%s.' % (desired['name'], 'would be ' if module.check_mode else '', action)
    return output


def manage_jwk(module):
    """Desired state (input refused before any request), the source it is made from, one read of the JWK, the plan,
    then apply and report."""
    require_libraries()
    params = module.params
    hide_pasted_private_members(module)
    desired = desired_from_params(module)
    client = ApinizerClient.from_module(module)
    desired = with_source(client, params, desired)
    options = _jwks.JwkOptions(params['project'], state=params['state'], force=params['force'])
    changes = _jwks.plan(desired, _server.read_jwk(client, params['project'], desired['name']), options)
    applied = apply_or_predict(module, client, changes)
    if applied.error is not None:
        raise applied.error
    return report(module, client, desired, changes, applied.outcomes)


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        source=dict(type='str', choices=list(_jwks.SOURCES)),
        description=dict(type='str', default=''),
        certificate_name=dict(type='str'),
        environment=dict(type='str'),
        use=dict(type='str', default='signature', choices=sorted(_jwks.USES)),
        algorithm=dict(type='str'),
        jwk_json=dict(type='json', no_log=True),
        kid=dict(type='str'),
        jwk_type=dict(type='str', choices=['rsa', 'ec', 'oct', 'okp'], no_log=False),
        key_size=dict(type='int', no_log=False),
        curve=dict(type='str', choices=sorted(_jwks.CURVES)),
        key_name=dict(type='str', no_log=False),
        keystore_name=dict(type='str'),
        alias=dict(type='str'),
        keystore_password=dict(type='str', no_log=True),
        source_url=dict(type='str'),
        url_connect_timeout=dict(type='int'),
        url_read_timeout=dict(type='int'),
        url_size_limit=dict(type='int'),
        force=dict(type='bool', default=False),
    )
    module = ApinizerModule(**module_kwargs(
        argument_spec,
        supports_check_mode=True,
        required_if=[('state', 'present', ('source',))],
    ))
    run_and_exit(module, manage_jwk)


if __name__ == '__main__':
    main()
