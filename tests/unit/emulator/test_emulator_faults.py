# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every fault kind, over real HTTP: what the client sees and what the server then holds."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from apinizer_emulator.client import EmulatorControlError

KEYS = '/apiops/projects/demo/keys/'
CERTS = '/apiops/projects/demo/certificates/'
SECRET = b'0123456789abcdef'


def _names(api, kind):
    return [item['name'] for item in api.emulator.control.state()['projects']['demo'][kind]]


def test_status_fault_answers_without_processing(api):
    control = api.emulator.control
    fault = control.add_fault('status', status=503, method='POST', path='/keys/$')
    assert fault['id'] and fault['count'] == 1 and fault['kind'] == 'status'
    response = api.create_key('k1', {'production': (SECRET, None)})
    api.expect_error(response, 503, 'service_unavailable')
    assert _names(api, 'keys') == []
    assert control.faults() == [], 'count 1: used up'
    assert api.create_key('k1', {'production': (SECRET, None)}).status_code == 200


def test_status_fault_with_own_texts_and_unlimited_count(api):
    control = api.emulator.control
    control.add_fault('status', status=500, error='server_error', error_description='boom', path='/certificates/', count=None)
    for _attempt in range(3):
        api.expect_error(api.get(CERTS), 500, 'server_error', 'boom')
    assert api.get(KEYS).status_code == 200, 'the path does not match'
    assert len(control.faults()) == 1
    control.clear_faults()
    assert api.get(CERTS).status_code == 200


def test_count_and_method_filters(api):
    control = api.emulator.control
    control.add_fault('status', status=502, method='GET', count=2)
    assert api.create_key('k1', {'production': (SECRET, None)}).status_code == 200, 'POST does not match'
    assert api.get(KEYS).status_code == 502
    assert api.get(KEYS).status_code == 502
    assert api.get(KEYS).status_code == 200


def test_faults_can_be_listed_and_removed_one_by_one(api):
    control = api.emulator.control
    first = control.add_fault('latency', seconds=0.01, count=None)
    second = control.add_fault('status', status=503, count=None)
    assert [fault['id'] for fault in control.faults()] == [first['id'], second['id']]
    control.remove_fault(second['id'])
    assert [fault['id'] for fault in control.faults()] == [first['id']]
    assert api.get(KEYS).status_code == 200
    with pytest.raises(EmulatorControlError):
        control.remove_fault(second['id'])


@pytest.mark.parametrize('spec', [
    {'kind': 'nope'},
    {'kind': 'status', 'status': 'x'},
    {'kind': 'status', 'path': '('},
    {'kind': 'status', 'count': 0},
    {'kind': 'drop', 'when': 'during'},
    {'kind': 'latency', 'secs': 1},
    {'kind': 'rate_limit', 'retry_after': -1},
])
def test_invalid_faults_are_refused(api, spec):
    response = requests.post(api.url + '/_emulator/faults', json=spec, timeout=10)
    assert response.status_code == 400, spec


def test_latency_delays_then_processes(api):
    api.emulator.control.add_fault('latency', seconds=0.3, method='POST')
    started = time.monotonic()
    assert api.create_key('k1', {'production': (SECRET, None)}).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert _names(api, 'keys') == ['k1']
    [entry] = api.emulator.control.writes()
    assert entry['duration_ms'] >= 300 and entry['faults'] == ['latency']


def test_latency_lets_a_client_time_out(api):
    api.emulator.control.add_fault('latency', seconds=0.5)
    with pytest.raises(requests.exceptions.Timeout):
        api.get(KEYS, timeout=0.1)


def test_rate_limit_with_and_without_header(api):
    control = api.emulator.control
    control.add_fault('rate_limit', retry_after=2)
    response = api.get(KEYS)
    body = api.expect_error(response, 429, 'rate_limit_exceeded')
    assert body['retry_after'] == 2
    assert response.headers['Retry-After'] == '2'
    control.add_fault('rate_limit', retry_after=1, header=False)
    response = api.get(KEYS)
    assert response.status_code == 429 and 'Retry-After' not in response.headers and response.json()['retry_after'] == 1
    assert api.get(KEYS).status_code == 200


def test_drop_before_gives_a_connection_error_and_stores_nothing(api):
    api.emulator.control.add_fault('drop', when='before', method='POST')
    with pytest.raises(requests.exceptions.ConnectionError):
        api.create_key('k1', {'production': (SECRET, None)})
    assert _names(api, 'keys') == []
    [entry] = api.emulator.control.writes()
    assert entry['status'] is None and entry['dropped'] is True and entry['faults'] == ['drop_before']
    assert api.get(KEYS).status_code == 200, 'the server keeps serving'


def test_drop_after_gives_a_connection_error_but_the_write_took_effect(api, example_cert):
    api.emulator.control.add_fault('drop', when='after', method='POST', path='/certificates/$')
    with pytest.raises(requests.exceptions.ConnectionError):
        api.create_certificate('c1', example_cert.cert_pem)
    assert _names(api, 'certificates') == ['c1']
    [entry] = api.emulator.control.writes()
    assert entry['status'] is None and entry['dropped'] is True
    api.expect_error(api.create_certificate('c1', example_cert.cert_pem), 400, 'bad_request',
                     'Certificate (name: c1) is already exist!')


def test_drop_of_a_read(api):
    api.emulator.control.add_fault('drop', when='after', method='GET')
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get(KEYS)
    assert api.get(KEYS).status_code == 200


def test_deploy_failure_keeps_the_object_stored_in_the_failed_environment(api, example_cert):
    control = api.emulator.control
    control.add_fault('deploy_failure', environment='staging', message='Connection refused to gateway pod')
    response = api.create_certificate('c1', example_cert.cert_pem, environments='production,staging')
    assert response.status_code == 200
    assert response.json() == {'success': True, 'deploymentResult': {
        'success': False, 'message': 'Deployment failed for 1 environment(s)', 'environmentResults': [
            {'environmentName': 'production', 'success': True, 'message': 'Deployed successfully'},
            {'environmentName': 'staging', 'success': False, 'message': 'Connection refused to gateway pod'}]}}
    # The contract: the write succeeded, the deployment did not; the object is still stored, staging included.
    [certificate] = control.state()['projects']['demo']['certificates']
    assert (certificate['environments'], certificate['failed_environments']) == (['production', 'staging'], ['staging'])
    listed = api.get(CERTS).json()['resultList'][0]['certificateEnvironmentList']
    assert [entry['environmentName'] for entry in listed] == ['production', 'staging']
    assert control.faults() == [], 'count counts affected writes'
    # Only a new write deploys it again; then nothing has failed.
    api.expect_deployed(api.replace_certificate('c1', example_cert.cert_pem, environments='production,staging'), ['production', 'staging'])
    [certificate] = control.state()['projects']['demo']['certificates']
    assert (certificate['environments'], certificate['failed_environments']) == (['production', 'staging'], [])


def test_deploy_failure_on_keys_and_deletes(api):
    control = api.emulator.control

    def stored():
        [key] = control.state()['projects']['demo']['keys']
        return [entry['name'] for entry in key['environments']], key['failed_environments']

    control.add_fault('deploy_failure', environment='production', count=None)
    response = api.create_key('k1', {'production': (SECRET, None), 'staging': (SECRET, None)})
    assert response.json()['deploymentResult']['success'] is False
    assert stored() == (['production', 'staging'], ['production'])
    listed = api.get(KEYS + 'k1/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']
    assert [entry['environmentName'] for entry in listed] == ['production', 'staging']
    # An update deploys every environment the key lists, so the failing one fails again.
    body = api.put(KEYS + 'k1/', json={'description': 'x'}).json()
    assert body['deploymentResult']['success'] is False and stored() == (['production', 'staging'], ['production'])
    # A write that does not touch the failing environment is not affected.
    api.expect_deployed(api.put(KEYS + 'k1/', json={'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'staging', 'content': 'AAAA'}]}), ['staging'])
    assert stored() == (['staging'], [])
    control.clear_faults()
    assert api.create_key('k2', {'production': (SECRET, None)}).status_code == 200
    control.add_fault('deploy_failure', environment='production', message='gateway unreachable')
    body = api.delete(KEYS + 'k2/').json()
    assert body['deploymentResult'] == {'success': False, 'message': 'Undeployment failed for 1 environment(s)', 'environmentResults': [
        {'environmentName': 'production', 'success': False, 'message': 'gateway unreachable'}]}
    assert [item['name'] for item in control.state()['projects']['demo']['keys']] == ['k1']


def test_deploy_failure_without_environment_fails_every_environment(api):
    api.emulator.control.add_fault('deploy_failure')
    body = api.create_key('k1', {'production': (SECRET, None), 'staging': (SECRET, None)}).json()
    assert body['success'] is True
    assert body['deploymentResult']['message'] == 'Deployment failed for 2 environment(s)'
    assert [result['success'] for result in body['deploymentResult']['environmentResults']] == [False, False]


def test_replace_create_fails_leaves_the_old_certificate_deleted(api, example_cert, other_cert):
    control = api.emulator.control
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    control.add_fault('replace_create_fails')
    api.expect_error(api.replace_certificate('c1', other_cert.cert_pem), 500, 'internal_error',
                     'Certificate could not be created after the old one was deleted')
    assert _names(api, 'certificates') == []
    api.expect_error(api.get(CERTS + 'c1/'), 400, 'bad_request', 'Certificate (name: c1) is not found!')
    # A client puts the old certificate back.
    api.expect_deployed(api.create_certificate('c1', example_cert.cert_pem), ['production', 'staging'])
    assert [entry['faults'] for entry in control.writes()][1] == ['replace_create_fails']


def test_replace_create_fails_does_not_fire_on_other_writes(api, example_cert):
    api.emulator.control.add_fault('replace_create_fails')
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    assert api.create_key('k1', {'production': (SECRET, None)}).status_code == 200
    assert len(api.emulator.control.faults()) == 1


def test_faults_do_not_touch_the_control_surface(api):
    api.emulator.control.add_fault('status', status=503, count=None)
    assert api.emulator.control.health() == {'ok': True}
    assert api.emulator.control.state()['projects']['demo']['keys'] == []


def test_reset_clears_faults(api):
    api.emulator.control.add_fault('status', status=503, count=None)
    api.emulator.control.reset()
    assert api.emulator.control.faults() == []
    assert api.get(KEYS).status_code == 200


@pytest.mark.parametrize('when', ['before', 'after'])
def test_a_dropped_connection_carries_no_http_bytes(api, when):
    api.emulator.control.add_fault('drop', when=when)
    host, port = api.url.split('//', 1)[1].split(':')
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n' % (KEYS, host, api.emulator.token)).encode())
        received = b''
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
    assert received == b''


def test_write_latency_slows_every_write_and_no_read(api):
    api.emulator.control.add_fault('latency', seconds=0.3, method='WRITE', count=None)
    started = time.monotonic()
    assert api.get(KEYS).status_code == 200
    read_seconds = time.monotonic() - started
    started = time.monotonic()
    assert api.create_key('slow', {'production': (SECRET, 'slow')}).status_code == 200
    write_seconds = time.monotonic() - started
    assert read_seconds < 0.3 <= write_seconds
