# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime

import pytest

from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates as certs
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.module_utils._common import EnvironmentCheck, InvalidInput, jwk_update_params
from ansible_collections.apinizer.apiops.plugins.module_utils._pem import PemError
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import FakeClient, report
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.pki import make_certificate, make_chain, utc

OLD = make_certificate('old.example.com', key_kind='ec')
NEW = make_certificate('new.example.com', key_kind='ec')
PATH = '/apiops/projects/demo/certificates/api/'
LIST_PATH = '/apiops/projects/demo/certificates/'


def server_entry(issued, environments=('production', 'staging'), alias='api-alias', description='', content=True):
    return {'name': 'api', 'description': description, 'certificateEnvironmentList': [
        dict({'environmentName': e, 'alias': alias, 'sha1Thumbprint': issued.sha1.lower(), 'subjectDn': 'CN=x',
              'startDate': '2026-01-01T00:00:00.000Z', 'endDate': '2027-01-01T00:00:00.000Z'},
             **({'base64EncodedContent': base64.b64encode(issued.der).decode('ascii')} if content else {}))
        for e in environments]}


def desired(issued=NEW, environments=('staging', 'production'), alias='api-alias', description=''):
    return certs.desired_certificate('api', issued.pem, alias=alias, description=description,
                                     environments=list(environments))


def error_404():
    return ApinizerError('no such path', status=404, error='not_found', description='No handler found')


def not_found():
    return ApinizerError('gone', status=400, error='bad_request', description='Certificate (name: api) is not found!')


def test_desired_certificate_normalises_and_fingerprints():
    wanted = certs.desired_certificate('api', NEW.pem, environments=['staging', 'production'])
    assert wanted['alias'] == 'api'
    assert wanted['environments'] == ['production', 'staging']
    assert wanted['description'] == ''
    assert wanted['der'] == NEW.der
    assert wanted['facts']['sha1_thumbprint'] == NEW.sha1


@pytest.mark.parametrize('kwargs, error, text', [
    (dict(certificate=make_chain().bundle()), PemError, 'certificate: expected one PEM certificate, found 3 certificates'),
    (dict(certificate=NEW.key_pem()), PemError, 'private key'),
    (dict(alias='  '), InvalidInput, 'alias must not be empty'),
    (dict(environments=[]), InvalidInput, 'environments must name at least one environment'),
    (dict(environments=['prod', 'prod', 'dev']), InvalidInput, 'environments names prod more than once'),
    (dict(name='a/b'), InvalidInput, "name 'a/b' holds characters"),
    (dict(name='x' * 300), InvalidInput, 'name is 300 characters long; the limit is 128'),
])
def test_desired_certificate_refuses_bad_input(kwargs, error, text):
    arguments = dict(name='api', certificate=NEW.pem, environments=['production'])
    arguments.update(kwargs)
    with pytest.raises(error) as caught:
        certs.desired_certificate(**arguments)
    assert text in str(caught.value)


def test_current_certificate_from_a_list_with_and_without_content():
    full = certs.current_certificate(server_entry(OLD, environments=('staging', 'production')))
    assert full['environments'] == ['production', 'staging']
    assert full['sha1_thumbprint'] == OLD.sha1
    assert full['der'] == OLD.der
    bare = certs.current_certificate(server_entry(OLD, content=False))
    assert bare['der'] is None and bare['sha1_thumbprint'] == OLD.sha1
    mixed = server_entry(OLD)
    mixed['certificateEnvironmentList'][1]['alias'] = 'other'
    assert certs.current_certificate(mixed)['alias'] == 'api-alias,other'


@pytest.mark.parametrize('change, expected', [
    ({}, []),
    (dict(issued=NEW), ['sha1_thumbprint']),
    (dict(environments=('production',)), ['environments']),
    (dict(alias='other'), ['alias']),
    (dict(description='new'), ['description']),
])
def test_differences_compare_thumbprint_alias_description_and_environment_set(change, expected):
    arguments = dict(issued=OLD, environments=('staging', 'production'))
    arguments.update(change)
    current = certs.current_certificate(server_entry(OLD))
    assert certs.differences(desired(**arguments), current) == expected


def test_plan():
    current = certs.current_certificate(server_entry(OLD))
    assert certs.plan(desired(OLD), None, 'present') == 'create'
    assert certs.plan(desired(OLD), current, 'present') is None
    assert certs.plan(desired(OLD), current, 'present', force=True) == 'update'
    assert certs.plan(desired(NEW), current, 'present') == 'update'
    assert certs.plan(None, current, 'absent') == 'delete'
    assert certs.plan(None, None, 'absent') is None


def test_form_and_replace_query():
    data, files = certs.form(desired(description='d'))
    assert data == {'certificateName': 'api', 'alias': 'api-alias', 'certificateDescription': 'd',
                    'environmentList': 'production,staging'}
    assert files['pemEncodedFile'][1] == NEW.pem
    assert 'certificateName' not in certs.form(desired(), include_name=False)[0]
    assert jwk_update_params() == {'jwkUpdateAction': 'NULLIFY', 'updateReferencedJwks': 'false'}
    assert jwk_update_params('update', 'all_projects') == {
        'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true', 'updateScope': 'ALL_PROJECTS'}


def test_check_mode_predicts_and_sends_nothing():
    client = FakeClient()
    result = certs.reconcile(client, 'demo', desired(NEW), certs.current_certificate(server_entry(OLD)), check_mode=True)
    assert (result['action'], result['changed'], client.calls) == ('updated', True, [])
    before = result['diff']['before']
    assert (before['name'], before['sha1_thumbprint'], before['subject']) == ('api', OLD.sha1, 'CN=old.example.com')
    assert not set(before) & set(['alias', 'description', 'environments'])
    assert result['diff']['after']['sha1_thumbprint'] == NEW.sha1


def test_create_posts_the_multipart_form_and_reports_deployment():
    client = FakeClient([('POST', LIST_PATH, report('production', 'staging'))])
    result = certs.reconcile(client, 'demo', desired(NEW), None)
    assert result['action'] == 'created' and result['failure'] is None
    assert result['diff'] == {'before': {}, 'after': dict((k, result['after'][k]) for k in ('name',) + certs.DIFF_FIELDS)}
    assert client.calls[0]['data']['environmentList'] == 'production,staging'
    assert result['deployment']['environments'] == [
        {'name': 'production', 'success': True, 'message': 'Deployed successfully'},
        {'name': 'staging', 'success': True, 'message': 'Deployed successfully'}]


def test_unchanged_sends_nothing():
    client = FakeClient()
    result = certs.reconcile(client, 'demo', desired(OLD), certs.current_certificate(server_entry(OLD)))
    assert result['action'] == 'unchanged' and not result['changed'] and client.calls == []


def test_deployment_failure_names_each_failed_environment():
    client = FakeClient([('POST', LIST_PATH, report('production', 'staging', failed=('staging',)))])
    result = certs.reconcile(client, 'demo', desired(NEW), None)
    assert result['failure'] == ('Certificate api was stored, but its deployment failed in staging (staging: Pod '
                                 'unreachable). Run again with force=true to deploy it again (a server that leaves '
                                 'the failed environment out of the certificate is redeployed by a plain run too).')


def test_replace_from_a_list_without_content_reads_the_old_certificate_first():
    client = FakeClient([('GET', PATH, {'resultList': [server_entry(OLD)]}),
                         ('PUT', PATH, report('production', 'staging'))])
    result = certs.reconcile(client, 'demo', desired(NEW), certs.current_certificate(server_entry(OLD, content=False)),
                             jwk_update_action='update', jwk_update_scope='same_project')
    assert result['action'] == 'updated' and result['failure'] is None
    assert client.calls[1]['params']['jwkUpdateAction'] == 'UPDATE'
    assert 'certificateName' not in client.calls[1]['data']


def test_a_replace_whose_create_half_failed_puts_the_old_certificate_back():
    failure = ApinizerError('create failed', status=500, error='internal_error', description='create failed')
    client = FakeClient([('PUT', PATH, failure), ('GET', PATH, not_found()),
                         ('POST', LIST_PATH, report('production', 'staging'))])
    current = certs.current_certificate(server_entry(OLD))
    result = certs.reconcile(client, 'demo', desired(NEW, alias='new-alias'), current)
    restored = client.calls[2]
    assert restored['data'] == {'certificateName': 'api', 'alias': 'api-alias', 'certificateDescription': '',
                                'environmentList': 'production,staging'}
    assert restored['files']['pemEncodedFile'][1] == OLD.pem
    assert 'was put back in production, staging' in result['failure']
    assert result['after']['sha1_thumbprint'] == OLD.sha1


def test_a_failed_restore_raises_naming_both_failures():
    client = FakeClient([('PUT', PATH, ApinizerError('create failed', status=500)), ('GET', PATH, not_found()),
                         ('POST', LIST_PATH, ApinizerError('restore failed', status=500))])
    with pytest.raises(ApinizerError) as caught:
        certs.reconcile(client, 'demo', desired(NEW), certs.current_certificate(server_entry(OLD)))
    assert 'putting the previous certificate (SHA-1 %s) back failed too' % OLD.sha1 in str(caught.value)


@pytest.mark.parametrize('failure, script', [
    (ApinizerError('dropped', outcome_unknown=True), []),
    (ApinizerError('alias used', status=400), [('GET', PATH, {'resultList': [server_entry(OLD)]})]),
])
def test_no_restore_when_the_outcome_is_unknown_or_the_old_certificate_is_still_there(failure, script):
    client = FakeClient([('PUT', PATH, failure)] + script)
    with pytest.raises(ApinizerError):
        certs.reconcile(client, 'demo', desired(NEW), certs.current_certificate(server_entry(OLD)))
    assert client.writes == ['PUT']


def test_absent_and_already_gone_sends_nothing():
    client = FakeClient()
    result = certs.reconcile(client, 'demo', None, None, state='absent')
    assert (result['action'], result['changed'], result['after'], client.calls) == ('unchanged', False, {}, [])


def test_unknown_environments_are_refused_before_the_write_and_in_check_mode():
    for check_mode in (False, True):
        client = FakeClient([('GET', '/apiops/environments/demo', {'resultList': [{'name': 'production'}]})])
        with pytest.raises(InvalidInput) as caught:
            certs.reconcile(client, 'demo', desired(NEW, environments=['production', 'moon']), None,
                            check_mode=check_mode, check_environments=EnvironmentCheck(client, 'demo'))
        assert str(caught.value) == 'environments: the project demo has no environment moon; it has production.'
        assert client.writes == []


def test_the_environments_are_read_once_and_only_when_a_write_is_planned():
    client = FakeClient([('GET', '/apiops/environments/demo', error_404()),
                         ('GET', '/apiops/environments/demo/', {'resultList': [{'name': 'production'}, {'name': 'staging'}]}),
                         ('POST', LIST_PATH, report('production', 'staging'))])
    check = EnvironmentCheck(client, 'demo')
    certs.reconcile(client, 'demo', desired(OLD), certs.current_certificate(server_entry(OLD)), check_environments=check)
    assert client.calls == []
    certs.reconcile(client, 'demo', desired(NEW), None, check_environments=check)
    check(['production'])
    assert [c['method'] for c in client.calls] == ['GET', 'GET', 'POST']


def test_delete():
    client = FakeClient([('DELETE', PATH, report('production'))])
    result = certs.reconcile(client, 'demo', None, certs.current_certificate(server_entry(OLD)), state='absent')
    assert result['action'] == 'deleted' and result['after'] == {} and result['diff']['after'] == {}


def test_certificate_info_days_remaining_and_expiry_flag():
    now = utc(2026, 12, 22, 12)
    info = certs.certificate_info(certs.current_certificate(server_entry(OLD)), now, expires_within_days=30)
    assert info['days_remaining'] == 9 and info['expires_soon'] and not info['expired']
    assert info['environments'][0]['not_after'] == '2027-01-01T00:00:00Z'
    later = certs.certificate_info(certs.current_certificate(server_entry(OLD)), now + datetime.timedelta(days=20))
    assert later['expired'] and later['days_remaining'] == -11 and 'expires_soon' not in later


@pytest.mark.parametrize('value, expected', [
    ('2024-01-01T00:00:00.000Z', utc(2024, 1, 1)),
    ('2025-12-31T23:59:59+03:00', utc(2025, 12, 31, 20, 59, 59)),
    (1735689599000, utc(2024, 12, 31, 23, 59, 59)),
    ('not a date', None),
])
def test_parse_api_time(value, expected):
    assert certs.parse_api_time(value) == expected
