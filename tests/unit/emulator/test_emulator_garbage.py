# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The garbage faults, over real HTTP: what a client receives in place of the API's answer, and whether the API
processed the request first."""

from __future__ import annotations

import json

import pytest
import requests

KEYS = '/apiops/projects/demo/keys/'
CERTS = '/apiops/projects/demo/certificates/'
SECRET = b'0123456789abcdef'


def _keys(api):
    return [item['name'] for item in api.emulator.control.state()['projects']['demo']['keys']]


@pytest.mark.parametrize('processed', [False, True])
def test_html_page_answers_a_proxy_page_and_processes_only_when_told(api, processed):
    control = api.emulator.control
    control.add_fault('html_page', method='POST', path='/keys/$', processed=processed)
    response = api.create_key('k1', {'production': (SECRET, None)})
    assert response.status_code == 502 and response.headers['Content-Type'] == 'text/html'
    assert '<title>502 Bad Gateway</title>' in response.text and 'nginx' in response.text
    assert _keys(api) == (['k1'] if processed else [])
    [entry] = control.writes()
    assert entry['status'] == 502 and entry['faults'] == ['html_page']


def test_html_page_with_its_own_status_and_title(api):
    api.emulator.control.add_fault('html_page', status=200, title='Sign in')
    response = api.get(KEYS)
    assert response.status_code == 200 and '<title>Sign in</title>' in response.text


def test_truncated_json_sends_part_of_the_processed_answer(api):
    api.emulator.control.add_fault('truncated_json', method='POST', keep=0.5)
    response = api.create_key('k1', {'production': (SECRET, None)})
    whole = json.dumps(api.create_key('k2', {'production': (SECRET, None)}).json())
    assert response.status_code == 200 and response.headers['Content-Type'] == 'application/json'
    assert int(response.headers['Content-Length']) == len(response.content) == len(whole) // 2
    assert whole.startswith(response.text)
    with pytest.raises(ValueError):
        response.json()
    assert _keys(api) == ['k1', 'k2']


def test_success_false_answers_200(api):
    api.emulator.control.add_fault('success_false', method='GET', message='Project is locked')
    response = api.get(KEYS)
    assert response.status_code == 200 and response.json() == {'success': False, 'message': 'Project is locked'}
    api.emulator.control.add_fault('success_false', method='POST', message=None, processed=True)
    assert api.create_key('k1', {'production': (SECRET, None)}).json() == {'success': False}
    assert _keys(api) == ['k1']


def test_wrong_content_type_keeps_the_processed_body(api):
    api.emulator.control.add_fault('wrong_content_type', content_type='application/xml')
    response = api.get(KEYS)
    assert response.status_code == 200 and response.headers['Content-Type'] == 'application/xml'
    assert response.json() == {'success': True, 'resultList': []}


def test_empty_body(api):
    api.emulator.control.add_fault('empty_body', method='DELETE', processed=True)
    assert api.create_key('k1', {'production': (SECRET, None)}).status_code == 200
    response = api.delete(KEYS + 'k1/')
    assert response.status_code == 200 and response.content == b'' and response.headers['Content-Length'] == '0'
    assert _keys(api) == []


@pytest.mark.parametrize('content_length', [True, False])
def test_huge_body_is_valid_json_of_exactly_the_size_asked(api, content_length):
    size = 3 * 1024 * 1024 + 7
    api.emulator.control.add_fault('huge_body', bytes=size, content_length=content_length)
    response = api.get(KEYS, stream=True)
    if content_length:
        assert response.headers['Content-Length'] == str(size)
    else:
        assert 'Content-Length' not in response.headers and response.headers['Transfer-Encoding'] == 'chunked'
    body = response.content
    assert len(body) == size
    assert len(json.loads(body)['resultList']) == (size - 33 - 4) // 3 + 1
    [entry] = api.emulator.control.requests()
    assert entry['status'] == 200 and entry['faults'] == ['huge_body']


def test_huge_body_is_made_as_it_is_read_and_a_client_may_stop(api):
    api.emulator.control.add_fault('huge_body', bytes=4 * 1024 ** 3, content_length=False)
    response = api.get(KEYS, stream=True)
    assert len(next(response.iter_content(1024 * 1024))) > 0
    response.close()
    assert api.get(KEYS).status_code == 200, 'the server keeps serving'


def test_redirect_points_the_same_path_elsewhere_and_processes_nothing(api):
    api.emulator.control.add_fault('redirect', status=307, location='http://localhost:9/')
    response = api.post(KEYS + '?x=1', json={}, allow_redirects=False)
    assert response.status_code == 307 and response.headers['Location'] == 'http://localhost:9' + KEYS + '?x=1'
    assert _keys(api) == []


@pytest.mark.parametrize('spec', [
    {'kind': 'html_page', 'status': 100},
    {'kind': 'html_page', 'processed': 'yes'},
    {'kind': 'truncated_json', 'keep': 1},
    {'kind': 'truncated_json', 'processed': True},
    {'kind': 'success_false', 'message': 3},
    {'kind': 'wrong_content_type', 'content_type': ''},
    {'kind': 'empty_body', 'status': 404},
    {'kind': 'huge_body', 'bytes': 5 * 1024 ** 3},
    {'kind': 'huge_body', 'content_length': 'no'},
    {'kind': 'redirect'},
    {'kind': 'redirect', 'location': '/relative'},
    {'kind': 'redirect', 'status': 200, 'location': 'http://localhost:9'},
])
def test_invalid_garbage_faults_are_refused(api, spec):
    response = requests.post(api.url + '/_emulator/faults', json=spec, timeout=10)
    assert response.status_code == 400, spec
