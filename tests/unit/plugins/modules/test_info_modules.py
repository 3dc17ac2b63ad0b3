# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_certificate_info, apinizer_key_info

KEYS = '/apiops/projects/demo/keys/'
CERTS = '/apiops/projects/demo/certificates/'


def test_key_info_returns_crypto_keys_without_content_and_never_changes(run_module):
    listed = {'resultList': [{'name': 'b', 'description': 'd', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'production', 'alias': 'x', 'content': 'ENCRYPTED-CONTENT'}]},
        {'name': 'a', 'description': '', 'keyType': 'RSA', 'cryptoKeyInfoEnvironmentList': []}]}
    result, server = run_module(apinizer_key_info, {}, [('GET', KEYS, listed)], check_mode=True)
    assert result.result == {'changed': False, 'crypto_keys': [
        {'name': 'a', 'description': '', 'key_type': 'RSA', 'environments': []},
        {'name': 'b', 'description': 'd', 'key_type': 'secret_key', 'environments': [{'name': 'production', 'alias': 'x'}]}]}
    assert 'ENCRYPTED-CONTENT' not in repr(result.result) and server.writes == []


def test_key_info_of_a_missing_key_is_an_empty_list(run_module):
    missing = ApinizerError('gone', status=400, error='bad_request', description='Key (name: k) is not found!')
    result, _server = run_module(apinizer_key_info, dict(name='k'), [('GET', KEYS + 'k/', missing)])
    assert result.result == {'changed': False, 'crypto_keys': []}


def test_certificate_info_flags_what_expires_within_the_window(run_module):
    listed = {'resultList': [{'name': 'soon', 'description': '', 'certificateEnvironmentList': [
        {'environmentName': 'production', 'alias': 'soon', 'sha1Thumbprint': 'AB' * 20,
         'startDate': '2020-01-01T00:00:00.000Z', 'endDate': '2020-02-01T00:00:00.000Z'}]}]}
    result, _server = run_module(apinizer_certificate_info, dict(expires_within_days=30), [('GET', CERTS, listed)])
    assert result.result['expiring'] == ['soon'] and result.result['certificates'][0]['expired'] is True
    assert result.result['changed'] is False


def test_a_bad_name_fails_before_any_request(run_module):
    result, server = run_module(apinizer_certificate_info, dict(name='a b'))
    assert result.failed and "name 'a b' holds characters" in result.result['msg'] and server.calls == []
