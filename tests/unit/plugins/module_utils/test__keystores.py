# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64

import pytest

from ansible_collections.apinizer.apiops.plugins.module_utils import _keystores as keystores
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._pem import PemError
from apinizer_emulator import testcerts

PASSWORD = 'keystore-password-6f1d0c2a9b'
LEAF = testcerts.make_certificate('keystore.example.com')
P12 = testcerts.pkcs12_keystore(PASSWORD, key_entry=LEAF, alias='server')
OTHER_P12 = testcerts.pkcs12_keystore(PASSWORD, key_entry=testcerts.make_certificate('other.example.com'), alias='server')
OPTIONS = keystores.KeystoreOptions('demo')
PATH = '/apiops/projects/demo/keystores/ks/'


def desired(data=P12, names=('production', 'staging'), description='', alias='server'):
    material = keystores.keystore_material(data, PASSWORD)
    environments = [dict(material._asdict(), name=name, alias=alias, password=PASSWORD) for name in names]
    return keystores.desired_keystore('ks', environments, description)


def server(data=P12, names=('production', 'staging'), description='', type_field='type', with_file=True):
    items = []
    for name in names:
        item = {'environmentName': name, type_field: 'PKCS12'}
        if with_file:
            item['file'] = base64.b64encode(data).decode('ascii')
        items.append(item)
    return keystores.current_keystore({'name': 'ks', 'description': description, 'keyStoreEnvironmentList': items})


def test_the_same_file_type_and_environments_need_no_change():
    change = keystores.plan(desired(), server(), OPTIONS)
    assert change.action == 'none' and change.request is None
    assert change.after['environments'][0]['certificates'][0]['sha256_fingerprint'] == LEAF.sha256


def test_a_server_that_says_keyStoreType_is_read_the_same_way():
    assert keystores.plan(desired(), server(type_field='keyStoreType'), OPTIONS).action == 'none'


def test_a_different_file_is_seen_by_its_bytes_and_the_diff_shows_fingerprints_only():
    change = keystores.plan(desired(OTHER_P12), server(), OPTIONS)
    assert change.action == 'update' and change.request.method == 'PUT' and change.request.path == PATH
    assert change.request.params['jwkUpdateAction'] == 'NULLIFY'
    shown = repr(change.diff) + repr(change.after) + repr(change.before)
    assert PASSWORD not in shown and base64.b64encode(OTHER_P12).decode('ascii')[:40] not in shown
    after = change.diff['after']['environments'][0]
    assert sorted(after) == ['alias', 'certificates', 'keystore_type', 'name']
    assert change.diff['before']['environments'][0] == dict(name='production', keystore_type='pkcs12')
    body = change.request.body()['json']
    entry = body['keyStoreEnvironmentList'][0]
    sent = (entry['keyStoreType'], entry['type'], entry['password'], entry['alias'])
    assert sent == ('PKCS12', 'PKCS12', PASSWORD, 'server')
    assert base64.b64decode(entry['file']) == OTHER_P12


def test_a_description_change_alone_sends_no_environment_list():
    change = keystores.plan(desired(description='new'), server(), OPTIONS)
    assert change.action == 'update'
    assert change.request.body() == dict(json=dict(name='ks', description='new'))
    assert change.diff == dict(before=dict(name='ks', description=''), after=dict(name='ks', description='new'))


def test_without_files_from_the_server_update_content_decides_as_for_keys():
    without = server(with_file=False)
    assert keystores.plan(desired(OTHER_P12), without, OPTIONS).action == 'none'
    change = keystores.plan(desired(OTHER_P12), without, OPTIONS._replace(update_content='always'))
    assert change.action == 'update' and change.diff == dict(before=dict(name='ks', file='stored'),
                                                             after=dict(name='ks', file='replaced'))


def test_update_content_always_is_moot_where_files_compare_and_force_resends():
    assert keystores.plan(desired(), server(), OPTIONS._replace(update_content='always')).action == 'none'
    change = keystores.plan(desired(), server(), OPTIONS._replace(force=True))
    assert change.action == 'update' and 'keyStoreEnvironmentList' in change.request.body()['json']


def test_create_and_delete():
    create = keystores.plan(desired(), None, OPTIONS)
    assert (create.action, create.request.method, create.request.path) == ('create', 'POST',
                                                                           '/apiops/projects/demo/keystores/')
    assert create.diff['before'] == {}
    delete = keystores.plan(keystores.absent('ks'), server(), OPTIONS._replace(state='absent'))
    assert (delete.action, delete.request.method, delete.diff['after']) == ('delete', 'DELETE', {})
    assert keystores.plan(keystores.absent('ks'), None, OPTIONS._replace(state='absent')).action == 'none'


def test_an_environment_left_out_is_a_change():
    assert keystores.plan(desired(names=('production',)), server(), OPTIONS).action == 'update'


def test_names_are_percent_encoded_in_the_path():
    assert keystores.keystore_path('my project', 'ks.1') == '/apiops/projects/my%20project/keystores/ks.1/'


def test_a_missing_file_or_password_is_refused_naming_the_option():
    with pytest.raises(InvalidInput, match=r'^environments: no keystore file for staging; give file or file_path'):
        keystores.desired_keystore('ks', [dict(name='staging', file=None)])
    with pytest.raises(InvalidInput, match=r'^environments\[0\]\.keystore_password: give the keystore password'):
        keystores.keystore_material(P12, None, password_option='environments[0].keystore_password')
    with pytest.raises(InvalidInput, match='^file: give the keystore file as base64 text'):
        keystores.decode_file_option('not base64!')


def test_a_wrong_password_names_the_password_option():
    with pytest.raises(PemError) as caught:
        keystores.keystore_material(P12, 'wrong-password')
    assert str(caught.value) == ('file: the PKCS#12 file cannot be opened with keystore_password: the password is '
                                 'wrong or the file is damaged.')
