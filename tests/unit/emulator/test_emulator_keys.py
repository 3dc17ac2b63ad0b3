# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keys over real HTTP: shapes, encrypted content, update semantics, documented error texts."""

from __future__ import annotations

import base64
import hashlib

import pytest

from apinizer_emulator import testcerts

KEYS = '/apiops/projects/demo/keys/'
SECRET = b'0123456789abcdef'  # an AES-128 key
OTHER_SECRET = b'fedcba9876543210'


def _state_keys(api):
    return api.emulator.control.state()['projects']['demo']['keys']


def test_create_list_and_get_shapes(api):
    response = api.create_key('my-key', {'production': (SECRET, 'prod-key'), 'staging': (OTHER_SECRET, None)})
    api.expect_deployed(response, ['production', 'staging'])
    state = api.emulator.control.state()
    environment_ids = state['environment_ids']
    project_id = state['projects']['demo']['id']

    [listed] = api.get(KEYS).json()['resultList']
    assert listed['name'] == 'my-key'
    assert listed['description'] == 'Key for API encryption'
    assert listed['keyType'] == 'SECRET_KEY'
    assert listed['projectId'] == project_id
    entries = listed['cryptoKeyInfoEnvironmentList']
    assert [sorted(entry) for entry in entries] == [['alias', 'content', 'environmentId']] * 2
    assert [entry['environmentId'] for entry in entries] == [environment_ids['production'], environment_ids['staging']]
    assert [entry['alias'] for entry in entries] == ['prod-key', None]

    [got] = api.get(KEYS + 'my-key/').json()['resultList']
    assert [sorted(entry) for entry in got['cryptoKeyInfoEnvironmentList']] == [['alias', 'content', 'environmentName']] * 2
    assert [entry['environmentName'] for entry in got['cryptoKeyInfoEnvironmentList']] == ['production', 'staging']
    # The same stored ciphertext is shown by list and get.
    assert [entry['content'] for entry in got['cryptoKeyInfoEnvironmentList']] == [entry['content'] for entry in entries]


def test_environment_ids_are_stable_across_resets(api):
    first = api.emulator.control.state()['environment_ids']
    api.emulator.control.reset()
    assert api.emulator.control.state()['environment_ids'] == first
    assert len(set(first.values())) == 3 and all(len(value) == 24 for value in first.values())


def test_content_is_returned_encrypted_and_differs_on_every_write(api):
    sent = base64.b64encode(SECRET).decode('ascii')
    assert api.create_key('k1', {'production': (SECRET, None), 'staging': (SECRET, None)}).status_code == 200
    entries = api.get(KEYS + 'k1/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']
    contents = [entry['content'] for entry in entries]
    assert sent not in contents
    assert contents[0] != contents[1], 'a random nonce per write'
    for content in contents:
        # base64(nonce 12 + ciphertext 16 + GCM tag 16)
        assert len(base64.b64decode(content)) == 12 + len(SECRET) + 16
    for entry in _state_keys(api)[0]['environments']:
        assert entry['content_sha256'] == hashlib.sha256(SECRET).hexdigest()

    body = {'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'content': sent}]}
    assert api.put(KEYS + 'k1/', json=body).status_code == 200
    [after] = api.get(KEYS + 'k1/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']
    assert after['content'] not in contents, 'the same content written again is encrypted differently'


def test_bad_base64_and_bad_key_type_are_refused(api):
    body = {'name': 'k1', 'keyType': 'SECRET_KEY',
            'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'content': 'not base64!'}]}
    response = api.post(KEYS, json=body)
    assert response.status_code == 400
    body['cryptoKeyInfoEnvironmentList'][0]['content'] = base64.b64encode(SECRET).decode('ascii')
    for key_type in ('RSA', None, 'secret_key'):
        body['keyType'] = key_type
        api.expect_error(api.post(KEYS, json=body), 400, 'validation_failed')
    assert _state_keys(api) == []


def test_duplicate_missing_and_unknown_environment(api):
    assert api.create_key('my-key', {'production': (SECRET, None)}).status_code == 200
    api.expect_error(api.create_key('my-key', {'staging': (SECRET, None)}), 400, 'bad_request',
                     'Key (name: my-key) is already exist! Try update operation if want to change its value.')
    for method in ('GET', 'PUT', 'DELETE'):
        kwargs = {'json': {}} if method == 'PUT' else {}
        api.expect_error(api.request(method, KEYS + 'nope/', **kwargs), 400, 'bad_request', 'Key (name: nope) is not found!')
    api.expect_error(api.create_key('k2', {'qa': (SECRET, None)}), 400, 'bad_request', 'Environment (name: qa) is not found!')


def test_update_replaces_the_environment_list_and_blanks_entries_without_content(api):
    assert api.create_key('k1', {'production': (SECRET, 'p'), 'staging': (SECRET, 's')}, key_type='SECRET_KEY').status_code == 200
    body = {'description': 'changed', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'staging', 'alias': 's2'},
        {'environmentName': 'development', 'content': base64.b64encode(OTHER_SECRET).decode('ascii'), 'alias': None}]}
    api.expect_deployed(api.put(KEYS + 'k1/', json=body, params={'jwkUpdateAction': 'NULLIFY'}), ['staging', 'development'])
    [key] = _state_keys(api)
    assert key['description'] == 'changed'
    assert key['key_type'] == 'SECRET_KEY'
    assert key['environments'] == [
        {'name': 'development', 'alias': None, 'content_sha256': hashlib.sha256(OTHER_SECRET).hexdigest()},
        {'name': 'staging', 'alias': 's2', 'content_sha256': None},
    ]
    entries = api.get(KEYS + 'k1/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']
    assert entries[0] == {'environmentName': 'staging', 'content': None, 'alias': 's2'}


def test_update_without_environment_list_keeps_contents(api):
    assert api.create_key('k1', {'production': (SECRET, 'p')}).status_code == 200
    before = api.get(KEYS + 'k1/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']
    assert api.put(KEYS + 'k1/', json={'description': 'only this'}).status_code == 200
    after = api.get(KEYS + 'k1/').json()['resultList'][0]
    assert after['description'] == 'only this'
    assert after['cryptoKeyInfoEnvironmentList'] == before


def test_update_renames(api):
    assert api.create_key('old', {'production': (SECRET, None)}).status_code == 200
    assert api.create_key('taken', {'production': (SECRET, None)}).status_code == 200
    api.expect_error(api.put(KEYS + 'old/', json={'name': 'taken'}), 400, 'bad_request',
                     'Key (name: taken) is already exist! Try update operation if want to change its value.')
    assert api.put(KEYS + 'old/', json={'name': 'new', 'keyType': 'PRIVATE_KEY'}).status_code == 200
    assert sorted(item['name'] for item in _state_keys(api)) == ['new', 'taken']
    assert api.get(KEYS + 'new/').json()['resultList'][0]['keyType'] == 'PRIVATE_KEY'


def test_delete_undeploys(api):
    assert api.create_key('k1', {'production': (SECRET, None), 'development': (SECRET, None)}).status_code == 200
    api.expect_deployed(api.delete(KEYS + 'k1/'), ['production', 'development'], undeploy=True)
    assert _state_keys(api) == []


@pytest.mark.parametrize('body, error', [
    ({'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'content': 'AAAA'}]}, 'bad_request'),
    ({'name': 'k', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': []}, 'bad_request'),
    ({'name': 'k', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production'}]}, 'bad_request'),
    ({'name': 'k', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'production', 'content': 'AAAA'}, {'environmentName': 'production', 'content': 'AAAA'}]}, 'validation_failed'),
])
def test_create_validation(api, body, error):
    api.expect_error(api.post(KEYS, json=body), 400, error)


def test_key_endpoints_need_json(api):
    response = api.post(KEYS, data='name=k1', headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert response.status_code == 415
    api.expect_error(api.post(KEYS, data='[1, 2]', headers={'Content-Type': 'application/json'}), 400, 'bad_request')


def test_private_and_public_keys_must_be_rsa(api):
    rsa_key, ec_key, ed_key = testcerts.cached_key('rsa'), testcerts.cached_key('ec'), testcerts.cached_key('ed25519')
    private_rsa = testcerts.private_key_text(rsa_key).encode('ascii')
    public_rsa = testcerts.public_key_text(rsa_key).encode('ascii')
    assert api.create_key('rsa', {'production': (private_rsa, None)}, key_type='PRIVATE_KEY').status_code == 200
    assert api.create_key('rsa-pub', {'production': (public_rsa, None)}, key_type='PUBLIC_KEY').status_code == 200
    refused = [
        ('ec', 'PRIVATE_KEY', testcerts.private_key_text(ec_key, 'traditional'),
         'Key (name: ec) for environment (name: staging) is an EC (secp256r1) key; keyType PRIVATE_KEY holds RSA keys only!'),
        ('ed', 'PUBLIC_KEY', testcerts.public_key_text(ed_key),
         'Key (name: ed) for environment (name: staging) is an Ed25519 key; keyType PUBLIC_KEY holds RSA keys only!'),
        ('swapped', 'PUBLIC_KEY', testcerts.private_key_text(rsa_key),
         'Key (name: swapped) could not be parsed for environment (name: staging): not a PEM public key!'),
        ('locked', 'PRIVATE_KEY', testcerts.private_key_text(rsa_key, passphrase='pw'),
         'Key (name: locked) could not be parsed for environment (name: staging): the key is encrypted!'),
        ('raw', 'PRIVATE_KEY', 'not a key',
         'Key (name: raw) could not be parsed for environment (name: staging): not a PEM private key!'),
    ]
    for name, key_type, content, description in refused:
        environments = {'production': (private_rsa if key_type == 'PRIVATE_KEY' else public_rsa, None),
                        'staging': (content.encode('ascii'), None)}
        api.expect_error(api.create_key(name, environments, key_type=key_type), 400, 'bad_request', description)
    # An update checks the content it sends against the key's type, stored or new.
    ec_content = base64.b64encode(testcerts.private_key_text(ec_key).encode('ascii')).decode('ascii')
    api.expect_error(api.put(KEYS + 'rsa/', json={'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'staging', 'content': ec_content}]}), 400, 'bad_request',
        'Key (name: rsa) for environment (name: staging) is an EC (secp256r1) key; keyType PRIVATE_KEY holds RSA keys only!')
    assert api.put(KEYS + 'rsa/', json={'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'staging', 'content': base64.b64encode(SECRET).decode('ascii')}]}).status_code == 200
    assert sorted(k['name'] for k in _state_keys(api)) == ['rsa', 'rsa-pub']
    assert [entry['environmentName'] for entry in api.get(KEYS + 'rsa-pub/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']] == ['production']
