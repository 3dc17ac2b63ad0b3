# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keystores over real HTTP: create, list, get, update, delete; what comes back; the documented and chosen refusals;
the keystore_request variant; auth, faults and the request log as for the other resources."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest

from apinizer_emulator import testcerts

KEYSTORES = '/apiops/projects/demo/keystores/'
PASSWORD = 'keystore-password-5b1d0c7e9a4f'


@pytest.fixture(scope='module')
def pkcs12_file(example_cert):
    return testcerts.pkcs12_keystore(PASSWORD, example_cert, alias='my-alias')


@pytest.fixture(scope='module')
def jks_file(ca):
    return testcerts.jks_keystore(PASSWORD, {'root': ca})


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def entry(environment, data, keystore_type='PKCS12', password=PASSWORD, alias='my-alias'):
    return {'environmentName': environment, 'file': _b64(data), 'password': password, 'alias': alias,
            'keyStoreType': keystore_type}


def body(entries, name='my-keystore', description='Keystore for API security'):
    return {'name': name, 'description': description, 'keyStoreEnvironmentList': entries}


def test_create_list_get_show_exactly_the_documented_fields(api, pkcs12_file, jks_file):
    response = api.post(KEYSTORES, json=body([entry('production', pkcs12_file), entry('staging', jks_file, 'JKS')]))
    api.expect_deployed(response, ['production', 'staging'])
    project_id = api.emulator.control.state()['projects']['demo']['id']
    expected = {'name': 'my-keystore', 'description': 'Keystore for API security', 'projectId': project_id,
                'keyStoreEnvironmentList': [
                    {'environmentName': 'production', 'type': 'PKCS12', 'file': _b64(pkcs12_file)},
                    {'environmentName': 'staging', 'type': 'JKS', 'file': _b64(jks_file)}]}
    listed = api.get(KEYSTORES)
    assert listed.status_code == 200 and listed.json() == {'success': True, 'resultList': [expected]}
    got = api.get(KEYSTORES + 'my-keystore/')
    assert got.status_code == 200 and got.json() == {'success': True, 'resultList': [expected]}
    for answer in (listed, got):
        assert PASSWORD not in answer.text and 'alias' not in answer.text
    state = api.emulator.control.state()
    assert PASSWORD not in str(state)
    [stored] = state['projects']['demo']['keystores']
    assert stored['environments'][0] == {'name': 'production', 'type': 'PKCS12', 'alias': 'my-alias',
                                         'file_sha256': hashlib.sha256(pkcs12_file).hexdigest(), 'password_given': True}


def test_a_keystore_is_not_a_certificate_or_a_key(api, pkcs12_file):
    assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file)])).status_code == 200
    assert api.get('/apiops/projects/demo/certificates/').json()['resultList'] == []
    assert api.get('/apiops/projects/demo/keys/').json()['resultList'] == []


def test_the_file_is_not_opened_wrong_password_or_type_is_stored(api, pkcs12_file, jks_file):
    """The contract: the emulator checks only that file is base64; a 200 proves nothing about file and password."""
    response = api.post(KEYSTORES, json=body([entry('production', pkcs12_file, password='wrong-password'),
                                              entry('staging', jks_file, keystore_type='PKCS12')]))
    api.expect_deployed(response, ['production', 'staging'])
    types = [item['type'] for item in api.get(KEYSTORES + 'my-keystore/').json()['resultList'][0]['keyStoreEnvironmentList']]
    assert types == ['PKCS12', 'PKCS12']


def test_the_older_type_field_is_taken_in_place_of_keystore_type(api, jks_file):
    older = entry('production', jks_file, keystore_type=None)
    del older['keyStoreType']
    older['type'] = 'JKS'
    assert api.post(KEYSTORES, json=body([older])).status_code == 200
    [item] = api.get(KEYSTORES + 'my-keystore/').json()['resultList'][0]['keyStoreEnvironmentList']
    assert item['type'] == 'JKS'


def _without(item, field):
    item = dict(item)
    del item[field]
    return item


@pytest.mark.parametrize('mangle, status, error, description', [
    (lambda b: _without(b, 'name'), 400, 'bad_request', 'name value can not be empty!'),
    (lambda b: dict(b, name='  '), 400, 'bad_request', 'name value can not be empty!'),
    (lambda b: _without(b, 'keyStoreEnvironmentList'), 400, 'bad_request', 'keyStoreEnvironmentList value can not be empty!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[]), 400, 'bad_request', 'keyStoreEnvironmentList value can not be empty!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[_without(b['keyStoreEnvironmentList'][0], 'environmentName')]), 400,
     'bad_request', 'environmentName value can not be empty!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[_without(b['keyStoreEnvironmentList'][0], 'file')]), 400,
     'bad_request', 'file value can not be empty!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[_without(b['keyStoreEnvironmentList'][0], 'password')]), 400,
     'bad_request', 'password value can not be empty!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[_without(b['keyStoreEnvironmentList'][0], 'keyStoreType')]), 400,
     'bad_request', 'keyStoreType value can not be empty!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[dict(b['keyStoreEnvironmentList'][0], keyStoreType='PEM')]), 400,
     'bad_request', 'Keystore type (PEM) is not supported!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[dict(b['keyStoreEnvironmentList'][0], environmentName='qa')]), 400,
     'bad_request', 'Environment (name: qa) is not found!'),
    (lambda b: dict(b, keyStoreEnvironmentList=[dict(b['keyStoreEnvironmentList'][0], file='not base64!')]), 400,
     'validation_failed', 'file of environment (name: production) is not valid base64!'),
    (lambda b: dict(b, keyStoreEnvironmentList=b['keyStoreEnvironmentList'] * 2), 400,
     'validation_failed', 'Environment (name: production) is listed more than once!'),
])
def test_create_refusals(api, pkcs12_file, mangle, status, error, description):
    response = api.post(KEYSTORES, json=mangle(body([entry('production', pkcs12_file)])))
    api.expect_error(response, status, error, description)
    assert api.emulator.control.state()['projects']['demo']['keystores'] == []


def test_an_existing_name_is_refused_with_the_documented_text(api, pkcs12_file):
    assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file)])).status_code == 200
    api.expect_error(api.post(KEYSTORES, json=body([entry('staging', pkcs12_file)])), 400, 'bad_request',
                     'Keystore (name: my-keystore) is already exist! Try update operation if want to change its value.')


def test_create_needs_json(api, pkcs12_file):
    response = api.post(KEYSTORES, data={'name': 'my-keystore'})
    api.expect_error(response, 415, 'unsupported_media_type')


def test_update_replaces_the_sent_list_and_keeps_what_is_not_sent(api, pkcs12_file, jks_file):
    assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file), entry('staging', pkcs12_file)])).status_code == 200
    # A description alone keeps the entries.
    api.expect_deployed(api.put(KEYSTORES + 'my-keystore/', json={'description': 'new text'}), ['production', 'staging'])
    [got] = api.get(KEYSTORES + 'my-keystore/').json()['resultList']
    assert got['description'] == 'new text' and len(got['keyStoreEnvironmentList']) == 2
    # A list sent replaces the stored one: staging loses the keystore.
    response = api.put(KEYSTORES + 'my-keystore/', json={'keyStoreEnvironmentList': [entry('development', jks_file, 'JKS')]})
    api.expect_deployed(response, ['development'])
    [got] = api.get(KEYSTORES + 'my-keystore/').json()['resultList']
    assert got['keyStoreEnvironmentList'] == [{'environmentName': 'development', 'type': 'JKS', 'file': _b64(jks_file)}]
    assert got['description'] == 'new text'


def test_update_renames_and_refuses_a_taken_name(api, pkcs12_file):
    for name in ('first', 'second'):
        assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file)], name=name)).status_code == 200
    api.expect_error(api.put(KEYSTORES + 'first/', json={'name': 'second'}), 400, 'bad_request',
                     'Keystore (name: second) is already exist!')
    assert api.put(KEYSTORES + 'first/', json={'name': 'third'}).status_code == 200
    assert [item['name'] for item in api.get(KEYSTORES).json()['resultList']] == ['second', 'third']
    api.expect_error(api.get(KEYSTORES + 'first/'), 400, 'bad_request', 'Keystore (name: first) is not found!')


def test_update_entries_need_their_password_again(api, pkcs12_file):
    assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file)])).status_code == 200
    response = api.put(KEYSTORES + 'my-keystore/', json={'keyStoreEnvironmentList': [_without(entry('production', pkcs12_file), 'password')]})
    api.expect_error(response, 400, 'bad_request', 'password value can not be empty!')


def test_update_reads_the_jwk_query_and_records_it(api, pkcs12_file):
    assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file)])).status_code == 200
    response = api.put(KEYSTORES + 'my-keystore/', json={}, params={'jwkUpdateAction': 'SOMETIMES'})
    api.expect_error(response, 400, 'invalid_parameter')
    assert api.put(KEYSTORES + 'my-keystore/', json={}, params={'jwkUpdateAction': 'UPDATE', 'updateScope': 'SAME_PROJECT'}).status_code == 200
    [query] = api.emulator.control.state()['projects']['demo']['replace_queries']
    assert (query['resource'], query['jwk_update_action'], query['update_scope']) == ('keystore', 'UPDATE', 'SAME_PROJECT')


@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
def test_a_missing_keystore(api, method):
    response = api.request(method, KEYSTORES + 'nothing/', json={})
    api.expect_error(response, 400, 'bad_request', 'Keystore (name: nothing) is not found!')


@pytest.mark.parametrize('apinizer_emulator_variant', [{'not_found_status': 404}])
def test_a_missing_keystore_stays_400_with_not_found_status(api):
    """not_found_status is about certificates and keys, whose pages say so; the keystore text is the emulator's."""
    api.expect_error(api.get(KEYSTORES + 'nothing/'), 400, 'bad_request', 'Keystore (name: nothing) is not found!')


def test_delete_undeploys_everywhere(api, pkcs12_file):
    assert api.post(KEYSTORES, json=body([entry('production', pkcs12_file), entry('staging', pkcs12_file)])).status_code == 200
    api.expect_deployed(api.delete(KEYSTORES + 'my-keystore/'), ['production', 'staging'], undeploy=True)
    assert api.get(KEYSTORES).json()['resultList'] == []


def test_paths_need_their_trailing_slash(api):
    api.expect_error(api.get(KEYSTORES.rstrip('/')), 404, 'not_found')
    api.expect_error(api.get(KEYSTORES + 'my-keystore'), 404, 'not_found')


def test_auth_permissions_faults_and_the_request_log_apply(api, pkcs12_file):
    api.expect_error(api.get(KEYSTORES, token=None), 401, 'invalid_token')
    response = api.post(KEYSTORES, json=body([entry('production', pkcs12_file)]), token=api.emulator.read_only_token)
    api.expect_error(response, 403, 'forbidden')
    assert api.get(KEYSTORES, token=api.emulator.read_only_token).status_code == 200
    control = api.emulator.control
    control.add_fault('deploy_failure', environment='staging', message='Connection refused to gateway pod')
    control.add_fault('latency', seconds=0.3, method='WRITE', count=None)
    started = time.monotonic()
    response = api.post(KEYSTORES, json=body([entry('production', pkcs12_file), entry('staging', pkcs12_file)]))
    assert time.monotonic() - started >= 0.3
    report = response.json()['deploymentResult']
    assert report['success'] is False and report['environmentResults'][1] == {
        'environmentName': 'staging', 'success': False, 'message': 'Connection refused to gateway pod'}
    assert api.emulator.control.state()['projects']['demo']['keystores'][0]['failed_environments'] == ['staging']
    writes = control.writes()
    assert [(item['method'], item['path'], item['status']) for item in writes][-1] == ('POST', KEYSTORES, 200)
    assert 'latency' in writes[-1]['faults'] and 'deploy_failure' in writes[-1]['faults']


# ---- the keystore_request variant ---------------------------------------------------------------------------------

@pytest.mark.parametrize('apinizer_emulator_variant', ['strict', {'keystore_request': 'older'}])
def test_older_requests_carry_type_and_no_password(api, jks_file):
    older = {'environmentName': 'production', 'type': 'JKS', 'file': _b64(jks_file)}
    api.expect_deployed(api.post(KEYSTORES, json=body([older])), ['production'])
    [stored] = api.emulator.control.state()['projects']['demo']['keystores'][0]['environments']
    assert stored['password_given'] is False and stored['alias'] is None
    # The newer name of the type is not read by an older server.
    newer = dict(entry('staging', jks_file, 'JKS'))
    api.expect_error(api.post(KEYSTORES, json=body([newer], name='newer')), 400, 'bad_request', 'type value can not be empty!')


@pytest.mark.parametrize('apinizer_emulator_variant', [{'keystore_request': 'oldest'}])
def test_the_oldest_request_names_the_environment_by_id(api, jks_file):
    environment_ids = api.emulator.control.state()['environment_ids']
    oldest = {'environmentId': environment_ids['staging'], 'type': 'JKS', 'file': _b64(jks_file)}
    api.expect_deployed(api.post(KEYSTORES, json=body([oldest])), ['staging'])
    [got] = api.get(KEYSTORES + 'my-keystore/').json()['resultList']
    assert got['keyStoreEnvironmentList'][0]['environmentName'] == 'staging'
    api.expect_error(api.post(KEYSTORES, json=body([dict(oldest, environmentId='0' * 24)], name='other')), 400, 'bad_request',
                     'Environment (id: %s) is not found!' % ('0' * 24))
    api.expect_error(api.post(KEYSTORES, json=body([entry('staging', jks_file, 'JKS')], name='other')), 400, 'bad_request',
                     'environmentId value can not be empty!')


def test_the_newer_request_ignores_the_older_password_less_entry(api, jks_file):
    older = {'environmentName': 'production', 'type': 'JKS', 'file': _b64(jks_file)}
    api.expect_error(api.post(KEYSTORES, json=body([older])), 400, 'bad_request', 'password value can not be empty!')
