# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_certificate
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import report
from apinizer_emulator.testcerts import make_certificate
from ansible_collections.apinizer.apiops.tests.unit.plugins.modules.conftest import TOKEN

OLD = make_certificate('old.example.com', days=100)
NEW = make_certificate('new.example.com')
PATH = '/apiops/projects/demo/certificates/api/'
LIST_PATH = '/apiops/projects/demo/certificates/'
ENVIRONMENTS = ('GET', '/apiops/environments/demo', {'resultList': [{'name': 'production'}, {'name': 'staging'}]})
ARGS = dict(name='api', certificate=NEW.cert_text, environments=['staging', 'production'], alias='api')


def stored(issued):
    return {'resultList': [{'name': 'api', 'description': '', 'certificateEnvironmentList': [
        {'environmentName': e, 'alias': 'api', 'sha1Thumbprint': issued.sha1,
         'base64EncodedContent': base64.b64encode(issued.cert_der).decode('ascii')} for e in ('production', 'staging')]}]}


def not_after(issued):
    return issued.certificate.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ')


def not_found():
    return ApinizerError('gone', status=400, error='bad_request', description='Certificate (name: api) is not found!')


def test_create_then_the_result_diff_and_exact_requests(run_module):
    result, server = run_module(apinizer_certificate, ARGS, [
        ('GET', PATH, not_found()), ENVIRONMENTS, ('POST', LIST_PATH, report('production', 'staging'))], diff=True)
    assert not result.failed
    assert result.result['msg'] == 'Certificate api created.'
    assert (result.result['changed'], result.result['action']) == (True, 'created')
    assert result.result['certificate']['sha1_thumbprint'] == NEW.sha1
    assert result.result['diff']['before'] == {} and result.result['diff']['after']['sha1_thumbprint'] == NEW.sha1
    assert result.result['deployment']['success'] is True
    assert server.requests == [('GET', PATH), ('GET', '/apiops/environments/demo'), ('POST', LIST_PATH)]
    assert server.calls[2]['data']['environmentList'] == 'production,staging'


def test_a_converged_certificate_sends_one_read_and_reports_unchanged(run_module):
    result, server = run_module(apinizer_certificate, ARGS, [('GET', PATH, stored(NEW))])
    assert (result.result['changed'], result.result['action'], result.result['msg']) == (
        False, 'unchanged', 'Certificate api is up to date.')
    assert 'deployment' not in result.result and 'diff' not in result.result
    assert server.writes == []


def test_check_mode_predicts_the_replace_and_writes_nothing(run_module):
    result, server = run_module(apinizer_certificate, ARGS, [('GET', PATH, stored(OLD)), ENVIRONMENTS],
                                check_mode=True, diff=True)
    assert (result.result['changed'], result.result['msg']) == (True, 'Certificate api would be replaced.')
    assert result.result['diff'] == {
        'before': {'name': 'api', 'sha1_thumbprint': OLD.sha1, 'subject': 'CN=old.example.com',
                   'not_after': not_after(OLD)},
        'after': {'name': 'api', 'sha1_thumbprint': NEW.sha1, 'subject': 'CN=new.example.com',
                  'not_after': not_after(NEW)}}
    assert server.writes == []


def test_an_unknown_environment_fails_before_any_write(run_module):
    result, server = run_module(apinizer_certificate, dict(ARGS, environments=['production', 'moon']),
                                [('GET', PATH, not_found()), ENVIRONMENTS])
    assert result.failed
    assert result.result['msg'] == ('environments: the project demo has no environment moon; it has production, '
                                    'staging.')
    assert server.writes == []


def test_bad_pem_fails_before_any_request_naming_the_option(run_module):
    result, server = run_module(apinizer_certificate, dict(ARGS, certificate=NEW.key_text()))
    assert result.failed and result.result['msg'].startswith('certificate: expected one PEM certificate, found')
    assert server.calls == []
    assert NEW.key_text() not in repr(result.result)


def test_a_failed_deployment_fails_the_task_with_the_report_and_changed(run_module):
    result, _server = run_module(apinizer_certificate, ARGS, [
        ('GET', PATH, not_found()), ENVIRONMENTS,
        ('POST', LIST_PATH, report('production', 'staging', failed=('staging',)))])
    assert result.failed and result.result['changed'] is True
    assert result.result['msg'].startswith('Certificate api was stored, but its deployment failed in staging')
    assert [e['success'] for e in result.result['deployment']['environments']] == [True, False]


def test_an_api_error_fails_with_its_status_and_never_the_token(run_module):
    refused = ApinizerError('Permission denied (403 forbidden: no) on GET %s.' % PATH, status=403, error='forbidden',
                            description='no', method='GET', path=PATH)
    result, _server = run_module(apinizer_certificate, ARGS, [('GET', PATH, refused)])
    assert result.failed and result.result['status'] == 403 and result.result['path'] == PATH
    assert TOKEN not in repr(result.result)


def test_absent_deletes_once(run_module):
    result, server = run_module(apinizer_certificate, dict(name='api', state='absent'), [
        ('GET', PATH, stored(OLD)), ('DELETE', PATH, report('production', 'staging'))])
    assert (result.result['action'], result.result['certificate']) == ('deleted', {})
    assert server.writes == ['DELETE'] and server.requests[-1] == ('DELETE', PATH)
