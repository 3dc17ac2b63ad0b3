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
from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._pem import PemError
from apinizer_emulator.testcerts import make_certificate, make_chain, utc

OLD = make_certificate('old.example.com')
NEW = make_certificate('new.example.com')
PATH = '/apiops/projects/demo/certificates/api/'
LIST_PATH = '/apiops/projects/demo/certificates/'


def server_entry(issued, environments=('production', 'staging'), alias='api-alias', description='', content=True):
    return {'name': 'api', 'description': description, 'certificateEnvironmentList': [
        dict({'environmentName': e, 'alias': alias, 'sha1Thumbprint': issued.sha1.lower(), 'subjectDn': 'CN=x',
              'startDate': '2026-01-01T00:00:00.000Z', 'endDate': '2027-01-01T00:00:00.000Z'},
             **({'base64EncodedContent': base64.b64encode(issued.cert_der).decode('ascii')} if content else {}))
        for e in environments]}


def desired(issued=NEW, environments=('staging', 'production'), alias='api-alias', description=''):
    return certs.desired_certificate('api', issued.cert_text, alias=alias, description=description,
                                     environments=list(environments))


def current(issued=OLD, **kwargs):
    return certs.current_certificate(server_entry(issued, **kwargs))


OPTIONS = certs.CertificateOptions('demo')


def test_desired_certificate_normalises_and_fingerprints():
    wanted = certs.desired_certificate('api', NEW.cert_text, environments=['staging', 'production'])
    assert wanted['alias'] == 'api'
    assert wanted['environments'] == ['production', 'staging']
    assert wanted['description'] == ''
    assert wanted['der'] == NEW.cert_der
    assert wanted['facts']['sha1_thumbprint'] == NEW.sha1


@pytest.mark.parametrize('kwargs, error, text', [
    (dict(certificate=make_chain().bundle()), PemError, 'certificate: expected one PEM certificate, found 3 certificates'),
    (dict(certificate=NEW.key_text()), PemError, 'private key'),
    (dict(alias='  '), InvalidInput, 'alias must not be empty'),
    (dict(environments=[]), InvalidInput, 'environments must name at least one environment'),
    (dict(environments=['prod', 'prod', 'dev']), InvalidInput, 'environments names prod more than once'),
    (dict(name='a/b'), InvalidInput, "name 'a/b' holds characters"),
    (dict(name='x' * 300), InvalidInput, 'name is 300 characters long; the limit is 128'),
])
def test_desired_certificate_refuses_bad_input(kwargs, error, text):
    arguments = dict(name='api', certificate=NEW.cert_text, environments=['production'])
    arguments.update(kwargs)
    with pytest.raises(error) as caught:
        certs.desired_certificate(**arguments)
    assert text in str(caught.value)


def test_current_certificate_from_a_list_with_and_without_content():
    full = certs.current_certificate(server_entry(OLD, environments=('staging', 'production')))
    assert full['environments'] == ['production', 'staging']
    assert full['sha1_thumbprint'] == OLD.sha1
    assert full['der'] == OLD.cert_der
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


def test_a_certificate_the_server_holds_as_desired_plans_nothing_and_no_request():
    change = certs.plan(desired(OLD), current(), OPTIONS)
    assert (change.kind, change.name, change.action, change.request) == ('certificate', 'api', 'none', None)
    assert change.diff == {'before': {}, 'after': {}} and change.after == change.before


def test_a_missing_certificate_plans_one_multipart_post():
    change = certs.plan(desired(NEW, description='d'), None, OPTIONS)
    assert change.action == 'create'
    assert (change.request.method, change.request.path, change.request.params) == ('POST', LIST_PATH, None)
    sent = change.request.body()
    assert sent['data'] == {'certificateName': 'api', 'alias': 'api-alias', 'certificateDescription': 'd',
                            'environmentList': 'production,staging'}
    assert sent['files']['pemEncodedFile'] == ('api.pem', NEW.cert_text, 'application/x-pem-file')
    assert change.diff['before'] == {} and change.diff['after']['sha1_thumbprint'] == NEW.sha1
    assert set(change.diff['after']) == set(('name',) + certs.DIFF_FIELDS)
    assert change.restore is None and not change.read_first


def test_a_new_certificate_plans_a_replace_with_the_jwk_query_and_a_copy_to_restore():
    options = OPTIONS._replace(jwk_update_action='update', jwk_update_scope='all_projects')
    change = certs.plan(desired(NEW), current(), options)
    assert (change.action, change.request.method, change.request.path) == ('update', 'PUT', PATH)
    assert change.request.params == {'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true',
                                     'updateScope': 'ALL_PROJECTS'}
    assert 'certificateName' not in change.request.body()['data']
    before, after = change.diff['before'], change.diff['after']
    assert (before['name'], before['sha1_thumbprint'], before['subject']) == ('api', OLD.sha1, 'CN=old.example.com')
    assert after['sha1_thumbprint'] == NEW.sha1
    assert not set(before) & set(['alias', 'description', 'environments'])
    restore = change.restore
    assert (restore.sha1_thumbprint, restore.alias) == (OLD.sha1, 'api-alias')
    assert restore.environments == ['production', 'staging']
    assert (restore.request.method, restore.request.path) == ('POST', LIST_PATH)
    assert restore.request.body()['files']['pemEncodedFile'][1] == OLD.cert_text


def test_a_replace_planned_from_a_list_without_content_reads_the_certificate_first():
    change = certs.plan(desired(NEW), current(content=False), OPTIONS)
    assert change.action == 'update' and change.restore is None and change.read_first
    from_get = certs.entry_from_answer(server_entry(OLD, content=False))
    assert not certs.plan(desired(NEW), from_get, OPTIONS).read_first


@pytest.mark.parametrize('options, current_issued, action', [
    (OPTIONS._replace(force=True), OLD, 'update'),
    (OPTIONS._replace(state='absent'), OLD, 'delete'),
    (OPTIONS._replace(state='absent'), None, 'none'),
])
def test_force_and_absent(options, current_issued, action):
    wanted = desired(OLD) if options.state == 'present' else certs.absent('api')
    change = certs.plan(wanted, current(current_issued) if current_issued else None, options)
    assert change.action == action
    if action == 'delete':
        assert (change.request.method, change.request.path, change.request.body) == ('DELETE', PATH, None)
        assert change.after == {} and change.diff['after'] == {} and change.diff['before']['sha1_thumbprint'] == OLD.sha1
    if action == 'none':
        assert change.after == {} and change.request is None


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


def test_a_replace_parses_the_server_copy_once(monkeypatch):
    calls = []
    real = _pem.load_certificates

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_pem, 'load_certificates', counted)
    change = certs.plan(desired(NEW), current(), OPTIONS)
    assert change.diff['before']['subject'] == 'CN=old.example.com' and change.restore.sha1_thumbprint == OLD.sha1
    assert len(calls) == 1
