# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tokens, permissions, projects and environments over real HTTP."""

from __future__ import annotations

import pytest

TOKEN_PATH = '/apiops/auth/token'


def _exchange(api, username, password, grant_type='client_credentials'):
    return api.post(TOKEN_PATH, token=None, data={'grant_type': grant_type, 'client_id': username, 'client_secret': password})


@pytest.mark.parametrize('headers', [{}, {'Authorization': 'Bearer wrong'}, {'Authorization': 'Basic dXNlcjpwYXNz'}, {'Authorization': 'Bearer'}])
def test_missing_or_invalid_token_is_401(api, headers):
    response = api.get('/apiops/projects/demo/keys/', token=None, headers=headers)
    api.expect_error(response, 401, 'invalid_token', 'Token is invalid or expired')


def test_token_exchange_gives_a_read_write_bearer_token(api):
    response = _exchange(api, api.emulator.username, api.emulator.password)
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ['access_token', 'expires_in', 'token_type']
    assert body['token_type'] == 'Bearer' and body['expires_in'] == 3600
    issued = body['access_token']
    assert api.get('/apiops/projects/demo/keys/', token=issued).status_code == 200
    create = api.create_key('k1', {'production': (b'0123456789abcdef', None)}, token=issued)
    assert create.status_code == 200
    writes = api.emulator.control.writes()
    assert [(entry['method'], entry['path']) for entry in writes] == [('POST', '/apiops/projects/demo/keys/')]
    assert all(not entry['write'] for entry in api.emulator.control.requests() if entry['path'] == TOKEN_PATH)


def test_token_exchange_refuses_bad_credentials(api):
    for username, password in ((api.emulator.username, 'wrong'), ('nobody', api.emulator.password), ('', '')):
        api.expect_error(_exchange(api, username, password), 401, 'unauthorized_client', 'Bad credentials')
    response = _exchange(api, api.emulator.username, api.emulator.password, grant_type='password')
    assert response.status_code == 400


def test_an_expired_issued_token_is_token_expired(api):
    api.emulator.control.config(token_ttl=0)
    body = _exchange(api, api.emulator.username, api.emulator.password).json()
    assert body['expires_in'] == 0
    api.expect_error(api.get('/apiops/projects/demo/keys/', token=body['access_token']), 401, 'token_expired')


def test_a_token_is_checked_as_of_the_requests_arrival(api):
    # A token valid on arrival stays valid through a delay that outlasts it, as on a server that deploys slowly.
    api.emulator.control.config(token_ttl=1)
    token = _exchange(api, api.emulator.username, api.emulator.password).json()['access_token']
    api.emulator.control.add_fault('latency', seconds=1.5, method='GET', count=1)
    assert api.get('/apiops/projects/demo/keys/', token=token).status_code == 200
    api.expect_error(api.get('/apiops/projects/demo/keys/', token=token), 401, 'token_expired')


@pytest.mark.parametrize('method, path', [
    ('POST', '/apiops/projects/demo/certificates/'),
    ('PUT', '/apiops/projects/demo/certificates/c1/'),
    ('DELETE', '/apiops/projects/demo/certificates/c1/'),
    ('POST', '/apiops/projects/demo/keys/'),
    ('PUT', '/apiops/projects/demo/keys/k1/'),
    ('DELETE', '/apiops/projects/demo/keys/k1/'),
])
def test_read_only_token_cannot_write(api, method, path):
    body = api.expect_error(api.request(method, path, token=api.emulator.read_only_token, json={}), 403, 'forbidden')
    assert 'SECRETS+MANAGE' in body['error_description']


def test_read_only_token_can_read(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    read_only = api.emulator.read_only_token
    assert api.get('/apiops/projects/demo/certificates/', token=read_only).json()['resultList'][0]['name'] == 'c1'
    assert api.get('/apiops/projects/demo/certificates/c1/export/', token=read_only).status_code == 200
    assert api.get('/apiops/environments/demo', token=read_only).status_code == 200


def test_unknown_project(api):
    api.expect_error(api.get('/apiops/projects/nope/certificates/'), 404, 'not_found',
                     'Project(nope) was not found or user does not have privilege to access it!')
    api.expect_error(api.get('/apiops/environments/nope'), 400, 'bad_request',
                     'Project not found for name: (nope) or user has not privilege to access it!')


def test_project_environments_with_and_without_trailing_slash(api):
    for path in ('/apiops/environments/demo', '/apiops/environments/demo/'):
        response = api.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body['success'] is True and body['resultCount'] == 3
        assert [item['name'] for item in body['resultList']] == ['production', 'staging', 'development']
        for item in body['resultList']:
            assert sorted(item) == ['accessUrl', 'deployed', 'description', 'name', 'redeployRequired', 'status', 'type']


@pytest.mark.parametrize('apinizer_emulator_projects', [{'alpha': ['production', 'staging'], 'beta': ['production', 'qa']}])
def test_every_environment_is_for_admin_tokens_only(api):
    body = api.get('/apiops/environments/').json()
    assert [item['name'] for item in body['resultList']] == ['production', 'staging', 'qa']
    api.expect_error(api.get('/apiops/environments/', token=api.emulator.read_only_token), 403, 'forbidden')
    assert [item['name'] for item in api.get('/apiops/environments/beta').json()['resultList']] == ['production', 'qa']


def test_unknown_paths_and_methods(api):
    api.expect_error(api.get('/apiops/projects/demo/widgets/'), 404, 'not_found')
    api.expect_error(api.get('/elsewhere'), 404, 'not_found')
    api.expect_error(api.request('PATCH', '/apiops/projects/demo/keys/'), 405, 'method_not_allowed')
    api.expect_error(api.get(TOKEN_PATH, token=None), 405, 'method_not_allowed')
