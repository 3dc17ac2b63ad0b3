# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_key
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import report
from apinizer_emulator.testcerts import cached_key, private_key_text

PATH = '/apiops/projects/demo/keys/tls/'
LIST_PATH = '/apiops/projects/demo/keys/'
ENVIRONMENTS = ('GET', '/apiops/environments/demo', {'resultList': [{'name': 'production'}, {'name': 'staging'}]})
PRIVATE_PEM = private_key_text(cached_key('rsa'))
AES = base64.b64encode(b'0123456789abcdef0123456789abcdef').decode('ascii')


def stored(key_type='PRIVATE_KEY', aliases=('tls', 'tls')):
    return {'resultList': [{'name': 'tls', 'description': '', 'keyType': key_type, 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': e, 'alias': a, 'content': 'ENCRYPTED'} for e, a in zip(('production', 'staging'), aliases)]}]}


def not_found():
    return ApinizerError('gone', status=400, error='bad_request', description='Key (name: tls) is not found!')


ARGS = dict(name='tls', key_type='private_key', content=PRIVATE_PEM, alias='tls', environments=['production', 'staging'])


def test_create_sends_pkcs8_material_for_every_environment_and_returns_none_of_it(run_module):
    result, server = run_module(apinizer_key, ARGS, [('GET', PATH, not_found()), ENVIRONMENTS,
                                                     ('POST', LIST_PATH, report('production', 'staging'))], diff=True)
    assert (result.result['changed'], result.result['action'], result.result['msg']) == (True, 'created', 'Key tls created.')
    sent = server.calls[2]['json']
    assert [e['environmentName'] for e in sent['cryptoKeyInfoEnvironmentList']] == ['production', 'staging']
    content = sent['cryptoKeyInfoEnvironmentList'][0]['content']
    assert base64.b64decode(content).startswith(b'-----BEGIN PRIVATE KEY-----')
    assert content not in repr(result.result) and 'PRIVATE KEY' not in repr(result.result)
    assert result.result['key']['environments'][0]['public_key_sha256']


def test_a_converged_key_sends_no_write(run_module):
    result, server = run_module(apinizer_key, ARGS, [('GET', PATH, stored())])
    assert (result.result['changed'], result.result['msg']) == (False, 'Key tls is up to date.')
    assert server.writes == []


def test_update_content_always_rotates_and_the_diff_shows_no_material(run_module):
    result, server = run_module(apinizer_key, dict(ARGS, update_content='always', jwk_update_action='update'),
                                [('GET', PATH, stored()), ENVIRONMENTS, ('PUT', PATH, report('production', 'staging'))],
                                diff=True)
    assert result.result['diff'] == {'before': {'name': 'tls', 'content': 'stored'},
                                     'after': {'name': 'tls', 'content': 'replaced'}}
    assert server.writes == ['PUT'] and server.requests[-1] == ('PUT', PATH) and server.calls[2]['params']['jwkUpdateAction'] == 'UPDATE'


def test_a_secret_key_of_an_impossible_length_fails_before_any_request(run_module):
    result, server = run_module(apinizer_key, dict(name='aes', key_type='secret_key', environments=['production'],
                                                   content=base64.b64encode(b'x' * 15).decode('ascii')))
    assert result.failed and result.result['msg'] == ('content: a secret key is 8 (DES), 16, 24 or 32 (AES, DESede) '
                                                      'bytes long; this one has 15.')
    assert server.calls == []


def test_an_ec_private_key_fails_before_any_request_naming_the_option(run_module):
    ec_pem = private_key_text(cached_key('ec'))
    result, server = run_module(apinizer_key, dict(ARGS, environments=['production', dict(name='staging', content=ec_pem)]))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('environments[1].content: the key is EC (secp256r1), but a private_key '
                                    '(PRIVATE_KEY) on the Apinizer API is RSA only; give an RSA key.')
    assert 'PRIVATE KEY' not in repr(result.result)


def test_per_environment_material_is_masked_and_sent_where_it_belongs(run_module):
    other = base64.b64encode(b'fedcba9876543210fedcba9876543210').decode('ascii')
    path = '/apiops/projects/demo/keys/aes/'
    result, server = run_module(apinizer_key, dict(
        name='aes', key_type='secret_key', content=AES,
        environments=['staging', dict(name='production', content=other, alias='prod-aes')]),
        [('GET', path, not_found()), ENVIRONMENTS, ('POST', LIST_PATH, report('production', 'staging'))])
    entries = server.calls[2]['json']['cryptoKeyInfoEnvironmentList']
    assert entries == [{'environmentName': 'production', 'content': other, 'alias': 'prod-aes'},
                       {'environmentName': 'staging', 'content': AES}]
    assert AES not in repr(result.result) and other not in repr(result.result)
