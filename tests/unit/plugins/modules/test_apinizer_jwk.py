# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_jwk, apinizer_jwk_info
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import report
from apinizer_emulator import testcerts
from apinizer_emulator.testcerts import cached_key

PATH = '/apiops/projects/demo/jwks/j/'
GENERATE = '/apiops/projects/demo/jwks/generate'
PUBLIC = _pem.jwk_public_members(cached_key('rsa').public_key())[1]
PRIVATE = dict(d='PRIVATE-d-' + 'x' * 40, p='PRIVATE-p-' + 'y' * 40, q='PRIVATE-q-' + 'z' * 40, dp='PRIVATE-dp-' + 'w' * 40)


def stored(source_type='GENERATE', kid='1700000000000', description=''):
    return {'success': True, 'resultList': [{'name': 'j', 'description': description, 'sourceType': source_type,
                                             'sourceId': None, 'sourceUrl': None, 'type': 'RSA', 'kid': kid,
                                             'rsa': dict(PUBLIC, **PRIVATE)}]}


def not_found():
    return ApinizerError('gone', status=400, error='bad_request', description='JWK (name: j) is not found!')


def no_private_value(result):
    text = json.dumps(result)
    return not any(value in text for value in PRIVATE.values())


def test_generate_creates_once_and_returns_public_members_only(run_module):
    args = dict(name='j', source='generate', jwk_type='rsa')
    done, server = run_module(apinizer_jwk, args, [('GET', PATH, not_found()), ('POST', GENERATE, report('production')),
                                                   ('GET', PATH, stored())], diff=True)
    assert (done.failed, done.result['action']) == (False, 'created')
    assert done.result['jwk']['public_members'] == PUBLIC
    assert server.calls[1]['json'] == {'name': 'j', 'description': '', 'type': 'RSA',
                                       'rsa': {'keySize': 2048, 'keyUseType': 'SIGNATURE'}}
    assert no_private_value(done.result)
    again, server = run_module(apinizer_jwk, args, [('GET', PATH, stored())], diff=True)
    assert (again.result['changed'], again.result['action'], server.writes) == (False, 'unchanged', [])
    assert no_private_value(again.result)


def test_check_mode_predicts_a_forced_generate_without_writing(run_module):
    args = dict(name='j', source='generate', jwk_type='rsa', force=True)
    done, server = run_module(apinizer_jwk, args, [('GET', PATH, stored())], check_mode=True, diff=True)
    assert (done.result['changed'], done.result['action'], server.writes) == (True, 'replaced', [])
    assert done.result['msg'] == 'JWK j would be replaced.'
    assert no_private_value(done.result)


def test_pasted_private_members_are_masked_and_bad_input_sends_nothing(run_module):
    pasted = json.dumps(dict(PUBLIC, kty='RSA', **PRIVATE))
    done, server = run_module(apinizer_jwk, dict(name='j', source='json', jwk_json=pasted),
                              [('GET', PATH, not_found()), ('POST', '/apiops/projects/demo/jwks/parse-from-clipboard',
                                                            report('production')), ('GET', PATH, stored('COPY_PASTE'))])
    assert done.result['action'] == 'created' and no_private_value(done.result)
    assert PRIVATE['d'] in done.module.no_log_values
    # Given as a dict (ansible-core < 2.19 makes one of a pasted JSON string), every value of it is hidden at first:
    # the public ones are taken out again, to be shown; the private ones stay.
    as_dict, _server = run_module(apinizer_jwk, dict(name='j', source='json', jwk_json=json.loads(pasted)),
                                  [('GET', PATH, stored('COPY_PASTE'))], check_mode=True)
    assert PRIVATE['d'] in as_dict.module.no_log_values and PUBLIC['n'] not in as_dict.module.no_log_values
    refused, server = run_module(apinizer_jwk, dict(name='j', source='generate', jwk_type='ec', key_size=2048))
    assert refused.failed and server.calls == []
    assert refused.result['msg'] == 'key_size: an ec key has a curve, not a key_size; leave key_size out.'


def test_info_returns_public_members_of_one_and_the_list_without_members(run_module):
    one, _server = run_module(apinizer_jwk_info, dict(name='j'), [('GET', PATH, stored())])
    assert one.result['jwks'][0]['public_members'] == PUBLIC and no_private_value(one.result)
    listed = dict(stored(), resultList=[dict((k, v) for k, v in stored()['resultList'][0].items() if k != 'rsa')])
    every, _server = run_module(apinizer_jwk_info, {}, [('GET', '/apiops/projects/demo/jwks/', listed)])
    assert 'public_members' not in every.result['jwks'][0] and every.result['changed'] is False


KEY_PATH = '/apiops/projects/demo/keys/k/'
KEYSTORE_PATH = '/apiops/projects/demo/keystores/ks/'
KEYSTORE_PASSWORD = 'keystore-password-' + 'q' * 30


def stored_from(source_type, source_id='source-id', **fields):
    answer = stored(source_type)
    answer['resultList'][0].update(dict(dict(sourceId=source_id, kid=None), **fields))
    return answer


def key_answer(key_type='PRIVATE_KEY'):
    return {'success': True, 'resultList': [{'name': 'k', 'description': '', 'keyType': key_type,
                                             'cryptoKeyInfoEnvironmentList': [
                                                 {'environmentName': 'production', 'alias': 'k',
                                                  'content': 'ENCRYPTED-' + 'c' * 40}]}]}


def test_a_key_jwk_reads_the_key_then_parses_from_it_and_a_rerun_writes_nothing(run_module):
    args = dict(name='j', source='key', key_name='k', environment='production', algorithm='RS256')
    done, server = run_module(apinizer_jwk, args, [
        ('GET', KEY_PATH, key_answer()), ('GET', PATH, not_found()),
        ('POST', '/apiops/projects/demo/jwks/parse-from-key', report('production')),
        ('GET', PATH, stored_from('PRIVATE_KEY'))], diff=True)
    assert (done.failed, done.result['action'], done.result['jwk']['source_type']) == (False, 'created', 'PRIVATE_KEY')
    assert server.calls[2]['json'] == {'name': 'j', 'description': '', 'keyName': 'k', 'environmentName': 'production',
                                       'useType': 'SIGNATURE', 'algorithm': 'RS256'}
    assert no_private_value(done.result) and done.result['jwk']['public_members'] == PUBLIC
    again, server = run_module(apinizer_jwk, args, [('GET', KEY_PATH, key_answer()),
                                                    ('GET', PATH, stored_from('PRIVATE_KEY'))])
    assert (again.result['changed'], server.writes) == (False, [])


def test_a_secret_key_is_refused_after_its_read_with_no_write(run_module):
    done, server = run_module(apinizer_jwk, dict(name='j', source='key', key_name='k', environment='production',
                                                 algorithm='RS256'), [('GET', KEY_PATH, key_answer('SECRET_KEY'))])
    assert done.failed and server.writes == []
    assert done.result['msg'] == ('key_name: key k is a secret key; a JWK is parsed from a public or private key only: '
                                  'name a PUBLIC_KEY or PRIVATE_KEY key.')


def test_a_keystore_jwk_compares_the_pkcs12_entry_and_never_shows_the_password(run_module):
    data = testcerts.pkcs12_keystore(KEYSTORE_PASSWORD, key_entry=testcerts.make_certificate('ks.example.com'),
                                     alias='entry')
    keystore = {'success': True, 'resultList': [{'name': 'ks', 'description': '', 'keyStoreEnvironmentList': [
        {'environmentName': 'production', 'type': 'PKCS12', 'file': base64.b64encode(data).decode('ascii')}]}]}
    args = dict(name='j', source='keystore', keystore_name='ks', environment='production', alias='entry',
                algorithm='RS256', keystore_password=KEYSTORE_PASSWORD)
    # The JWK holds another key than the entry: made again, predicted in check mode without a write.
    done, server = run_module(apinizer_jwk, args, [('GET', KEYSTORE_PATH, keystore),
                                                   ('GET', PATH, stored_from('KEYSTORE'))], check_mode=True, diff=True)
    assert (done.result['changed'], done.result['action'], server.writes) == (True, 'replaced', [])
    assert done.result['diff']['before']['public_members'] == PUBLIC
    assert done.result['diff']['after']['public_members'] != PUBLIC
    assert KEYSTORE_PASSWORD in done.module.no_log_values and KEYSTORE_PASSWORD not in json.dumps(done.result)
    missing, server = run_module(apinizer_jwk, dict(args, alias='other'), [('GET', KEYSTORE_PATH, keystore)])
    assert missing.failed and server.writes == []
    assert missing.result['msg'] == 'alias: keystore ks holds no entry other in its file for production; it holds entry.'


def test_a_url_jwk_is_refused_before_any_request_and_made_once(run_module):
    refused, server = run_module(apinizer_jwk, dict(name='j', source='url', source_url='https://idp.example.com/jwks',
                                                    url_read_timeout=0))
    assert refused.failed and server.calls == []
    assert refused.result['msg'] == ("url_read_timeout: 0 is not a time in milliseconds; give a positive number or "
                                     "leave it out for the server's default.")
    args = dict(name='j', source='url', source_url='https://idp.example.com/jwks', kid='1700000000000')
    held = stored_from('URL', source_id=None, sourceUrl='https://idp.example.com/jwks', kid='1700000000000')
    done, server = run_module(apinizer_jwk, args, [('GET', PATH, held)])
    assert (done.result['changed'], server.writes) == (False, [])
    moved, server = run_module(apinizer_jwk, dict(args, source_url='https://idp.example.com/v2/jwks'), [('GET', PATH, held)],
                               check_mode=True, diff=True)
    assert (moved.result['action'], moved.result['diff']['after']['source_url']) == (
        'replaced', 'https://idp.example.com/v2/jwks')
