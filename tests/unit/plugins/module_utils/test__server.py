# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading what the server holds: as few requests as the answers allow."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apinizer.apiops.plugins.module_utils import _server
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import FakeClient

LIST_PATH = '/apiops/projects/demo/keys/'


def server_key(name, environments, by_id=False):
    items = []
    for environment, alias in environments:
        item = {'content': 'ENCRYPTED', 'alias': alias}
        item.update({'environmentId': 'id-' + environment} if by_id else {'environmentName': environment})
        items.append(item)
    return {'name': name, 'description': '', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': items}


def test_keys_are_read_one_by_one_only_until_every_id_is_known():
    listed = [server_key('k1', [('production', 'a')], by_id=True),
              server_key('k2', [('production', 'b')], by_id=True),
              server_key('k3', [('production', 'c'), ('staging', 'd')], by_id=True),
              server_key('k4', [('staging', 'e')], by_id=True)]
    client = FakeClient([('GET', LIST_PATH, {'resultList': listed}),
                         ('GET', LIST_PATH + 'k1/', {'resultList': [server_key('k1', [('production', 'a')])]}),
                         ('GET', LIST_PATH + 'k3/', {'resultList': [server_key('k3', [('production', 'c'),
                                                                                      ('staging', 'd')])]})])
    found = _server.read_keys(client, 'demo')
    assert [k['name'] for k in found] == ['k1', 'k2', 'k3', 'k4']
    assert [e['name'] for e in found[3]['environments']] == ['staging']
    assert len(client.calls) == 3


def test_a_key_with_a_known_id_set_and_one_alias_is_settled_without_a_get():
    listed = [server_key('k1', [('production', 'same'), ('staging', 'same')], by_id=True),
              server_key('k2', [('staging', 'x'), ('production', 'x')], by_id=True),
              server_key('k3', [('production', 'a'), ('staging', 'b')], by_id=True)]
    client = FakeClient([('GET', LIST_PATH, {'resultList': listed}),
                         ('GET', LIST_PATH + 'k1/', {'resultList': [server_key('k1', [('production', 'same'),
                                                                                      ('staging', 'same')])]}),
                         ('GET', LIST_PATH + 'k3/', {'resultList': [server_key('k3', [('production', 'a'),
                                                                                      ('staging', 'b')])]})])
    found = _server.read_keys(client, 'demo')
    assert found[1]['environments'] == [dict(name='production', alias='x', environment_id=None),
                                        dict(name='staging', alias='x', environment_id=None)]
    assert [e['alias'] for e in found[2]['environments']] == ['a', 'b']
    assert len(client.calls) == 3


def test_an_older_key_list_names_environments_so_no_key_is_read_one_by_one():
    # Older servers: environmentName with publicKey/privateKey in place of environmentId and content.
    listed = [{'name': 'k1', 'description': 'd', 'keyType': 'PRIVATE_KEY', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'staging', 'publicKey': None, 'privateKey': 'ENCRYPTED', 'alias': 'b'},
        {'environmentName': 'production', 'publicKey': None, 'privateKey': 'ENCRYPTED', 'alias': 'a'}]},
        {'name': 'k2', 'description': '', 'keyType': 'PUBLIC_KEY', 'cryptoKeyInfoEnvironmentList': [
            {'environmentName': 'production', 'publicKey': 'ENCRYPTED', 'privateKey': None, 'alias': None}]}]
    client = FakeClient([('GET', LIST_PATH, {'resultList': listed})])
    found = _server.read_keys(client, 'demo')
    assert found[0] == dict(name='k1', description='d', key_type='private_key', environments=[
        dict(name='production', alias='a', environment_id=None), dict(name='staging', alias='b', environment_id=None)])
    assert found[1]['key_type'] == 'public_key' and found[1]['environments'][0]['name'] == 'production'
    assert len(client.calls) == 1


def test_only_the_keys_asked_for_are_resolved():
    listed = [server_key('mine', [('production', 'a')], by_id=True), server_key('other', [('staging', 'b')], by_id=True)]
    client = FakeClient([('GET', LIST_PATH, {'resultList': listed}),
                         ('GET', LIST_PATH + 'mine/', {'resultList': [server_key('mine', [('production', 'a')])]})])
    found = _server.read_keys(client, 'demo', names=['mine'])
    assert [e['name'] for e in found[0]['environments']] == ['production']
    assert found[1]['environments'][0]['name'] is None and len(client.calls) == 2


def test_keys_a_predicate_accepts_are_resolved_beside_those_asked_for():
    listed = [server_key('other', [('production', 'c'), ('staging', 'd')], by_id=True),
              server_key('mine', [('production', 'a')], by_id=True), server_key('stale', [('staging', 'b')], by_id=True)]
    client = FakeClient([('GET', LIST_PATH, {'resultList': listed}),
                         ('GET', LIST_PATH + 'mine/', {'resultList': [server_key('mine', [('production', 'a')])]}),
                         ('GET', LIST_PATH + 'stale/', {'resultList': [server_key('stale', [('staging', 'b')])]})])
    found = _server.read_keys(client, 'demo', names=['mine'], resolve=lambda name: name == 'stale')
    assert [[e['name'] for e in key['environments']] for key in found] == [[None, None], ['production'], ['staging']]
    assert len(client.calls) == 3


def test_chain_names_are_found_in_one_pass_in_chain_order():
    server = _server.ServerState([dict(name=n) for n in ('a', 'a-chain-10', 'a-chain-2', 'ab-chain-1', 'a-chain-1',
                                                         'a-chain-1-chain-1', 'a-chain-x')], [])
    assert server.chain_names('a') == ['a-chain-1', 'a-chain-2', 'a-chain-10']
    assert server.chain_names('a-chain-1') == ['a-chain-1-chain-1']
    assert server.chain_names('b') == []
