# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_keystore, apinizer_keystore_info
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import report
from apinizer_emulator import testcerts

PATH = '/apiops/projects/demo/keystores/mtls/'
LIST_PATH = '/apiops/projects/demo/keystores/'
ENVIRONMENTS = ('GET', '/apiops/environments/demo', {'resultList': [{'name': 'production'}, {'name': 'staging'}]})
PASSWORD = 'p12-password-5a0e9d7c3b1f'
LEAF = testcerts.make_certificate('mtls.example.com')
P12 = testcerts.pkcs12_keystore(PASSWORD, key_entry=LEAF, alias='mtls')
P12_B64 = base64.b64encode(P12).decode('ascii')
ARGS = dict(name='mtls', file=P12_B64, keystore_password=PASSWORD, environments=['production', 'staging'])


def stored(data=P12):
    return {'resultList': [{'name': 'mtls', 'description': '', 'keyStoreEnvironmentList': [
        {'environmentName': e, 'type': 'PKCS12', 'file': base64.b64encode(data).decode('ascii')}
        for e in ('production', 'staging')]}]}


def not_found():
    return ApinizerError('gone', status=400, error='bad_request', description='Keystore (name: mtls) is not found!')


def test_create_sends_file_password_and_detected_type_and_returns_fingerprints_only(run_module):
    result, server = run_module(apinizer_keystore, ARGS, [('GET', PATH, not_found()), ENVIRONMENTS,
                                                          ('POST', LIST_PATH, report('production', 'staging'))],
                                diff=True)
    assert (result.result['changed'], result.result['msg']) == (True, 'Keystore mtls created.')
    entry = server.calls[2]['json']['keyStoreEnvironmentList'][0]
    assert (entry['environmentName'], entry['keyStoreType'], entry['password'], entry['file']) == (
        'production', 'PKCS12', PASSWORD, P12_B64)
    shown = repr(result.result)
    assert PASSWORD not in shown and P12_B64[:40] not in shown
    certificates = result.result['keystore']['environments'][0]['certificates']
    assert [(c['alias'], c['private_key'], c['sha256_fingerprint']) for c in certificates] == [('mtls', True, LEAF.sha256)]
    assert result.result['diff']['after']['environments'][1]['certificates'] == certificates


def test_the_same_file_sends_no_write(run_module):
    result, server = run_module(apinizer_keystore, ARGS, [('GET', PATH, stored())])
    assert (result.result['changed'], result.result['msg']) == (False, 'Keystore mtls is up to date.')
    assert server.writes == []


def test_a_wrong_password_fails_before_any_request(run_module):
    result, server = run_module(apinizer_keystore, dict(ARGS, keystore_password='not-the-password'))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('file: the PKCS#12 file cannot be opened with keystore_password: the password is '
                                    'wrong or the file is damaged.')


def test_a_per_environment_file_is_checked_under_its_own_option(run_module):
    jks = testcerts.jks_keystore(PASSWORD, {}, key_entries={'mtls': LEAF})
    result, server = run_module(apinizer_keystore, dict(ARGS, environments=[
        'production', dict(name='staging', file=base64.b64encode(jks).decode('ascii'), keystore_type='pkcs12')]))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('environments[1].keystore_type is pkcs12, but environments[1].file holds a JKS '
                                    'file; set environments[1].keystore_type to jks, or leave it out to detect the type.')


def test_per_environment_files_go_where_they_belong_and_their_secrets_are_masked(run_module):
    other_password = 'jks-password-1c2d3e4f5a6b'
    jks = testcerts.jks_keystore(other_password, {}, key_entries={'mtls': LEAF})
    jks_b64 = base64.b64encode(jks).decode('ascii')
    args = dict(ARGS, environments=['production', dict(name='staging', file=jks_b64, keystore_password=other_password,
                                                       alias='stage')])
    result, server = run_module(apinizer_keystore, args, [('GET', PATH, not_found()), ENVIRONMENTS,
                                                          ('POST', LIST_PATH, report('production', 'staging'))])
    entries = server.calls[2]['json']['keyStoreEnvironmentList']
    assert [(e['environmentName'], e['keyStoreType'], e['password'], e.get('alias')) for e in entries] == [
        ('production', 'PKCS12', PASSWORD, None), ('staging', 'JKS', other_password, 'stage')]
    assert entries[1]['file'] == jks_b64
    assert other_password in result.module.no_log_values and jks_b64 in result.module.no_log_values
    assert [e['keystore_type'] for e in result.result['keystore']['environments']] == ['pkcs12', 'jks']


def test_info_returns_no_file_and_never_changes(run_module):
    result, server = run_module(apinizer_keystore_info, {}, [('GET', LIST_PATH, stored())], check_mode=True)
    assert result.result['changed'] is False and server.writes == []
    assert result.result['keystores'] == [dict(name='mtls', description='', environments=[
        dict(name='production', keystore_type='pkcs12'), dict(name='staging', keystore_type='pkcs12')])]
    assert P12_B64[:40] not in repr(result.result)


def test_info_reads_a_list_that_names_environments_by_id_through_the_get(run_module):
    by_id = {'resultList': [{'name': 'mtls', 'keyStoreEnvironmentList': [{'environmentId': 'e1', 'type': 'JKS'}]}]}
    result, _server = run_module(apinizer_keystore_info, {}, [('GET', LIST_PATH, by_id), ('GET', PATH, stored())])
    assert [e['name'] for e in result.result['keystores'][0]['environments']] == ['production', 'staging']


def test_messages_name_the_option_each_value_came_from(run_module):
    jks = base64.b64encode(testcerts.jks_keystore(PASSWORD, {}, key_entries={'mtls': LEAF})).decode('ascii')
    result, server = run_module(apinizer_keystore, dict(ARGS, keystore_type='pkcs12', environments=[
        'production', dict(name='staging', file=jks)]))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('keystore_type is pkcs12, but environments[1].file holds a JKS file; set '
                                    'keystore_type to jks, or leave it out to detect the type.')
    result, server = run_module(apinizer_keystore, dict(ARGS, environments=[
        'production', dict(name='staging', keystore_password='another-wrong-password')]))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('file: the PKCS#12 file cannot be opened with environments[1].keystore_password: '
                                    'the password is wrong or the file is damaged.')
