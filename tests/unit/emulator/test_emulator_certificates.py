# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificates over real HTTP: shapes, documented error texts, alias rules, replace, export, truststore."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from urllib.parse import quote

import pytest

from apinizer_emulator import testcerts

CERTS = '/apiops/projects/demo/certificates/'


def test_create_then_list_and_get_have_the_documented_shape(api, example_cert):
    api.expect_deployed(api.create_certificate('my-certificate', example_cert.cert_pem), ['production', 'staging'])

    listed = api.get(CERTS)
    assert listed.status_code == 200
    body = listed.json()
    assert body['success'] is True
    [certificate] = body['resultList']
    assert certificate['name'] == 'my-certificate'
    assert certificate['description'] == 'SSL certificate for API'
    entries = certificate['certificateEnvironmentList']
    assert [entry['environmentName'] for entry in entries] == ['production', 'staging']
    not_before = example_cert.certificate.not_valid_before_utc
    for entry in entries:
        assert sorted(entry) == ['alias', 'base64EncodedContent', 'endDate', 'environmentName', 'sha1Thumbprint', 'startDate', 'subjectDn']
        assert base64.b64decode(entry['base64EncodedContent']) == example_cert.cert_der
        assert entry['sha1Thumbprint'] == hashlib.sha1(example_cert.cert_der).hexdigest().upper()
        assert entry['subjectDn'] == 'CN=example.com, O=Example Inc, C=US'
        assert entry['alias'] == 'my-cert-alias'
        assert entry['startDate'] == not_before.strftime('%Y-%m-%dT%H:%M:%S.000Z')
        assert entry['endDate'].endswith('.000Z') and entry['endDate'] > entry['startDate']

    got = api.get(CERTS + 'my-certificate/')
    assert got.status_code == 200
    assert got.json() == {'success': True, 'resultList': [certificate]}


@pytest.mark.parametrize('missing, message', [
    ('certificateName', 'certificateName value can not be empty!'),
    ('alias', 'alias value can not be empty!'),
    ('pemEncodedFile', 'pemEncodedFile value can not be empty!'),
    ('environmentList', 'environmentList value can not be empty!'),
])
def test_empty_fields_have_the_documented_messages(api, example_cert, missing, message):
    for blank in (None, ' '):
        form = api.certificate_form(example_cert.cert_pem, name='c1')
        if blank is None:
            del form[missing]
        elif missing == 'pemEncodedFile':
            form[missing] = ('certificate.pem', b'  \n', 'application/x-pem-file')
        else:
            form[missing] = (None, blank)
        api.expect_error(api.post(CERTS, files=form), 400, 'bad_request', message)
    assert api.emulator.control.state()['projects']['demo']['certificates'] == []


def test_description_may_be_empty_but_must_be_present(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem, description='').status_code == 200
    form = api.certificate_form(example_cert.cert_pem, name='c2', alias='other')
    del form['certificateDescription']
    body = api.expect_error(api.post(CERTS, files=form), 400, 'bad_request')
    assert 'certificateDescription' in body['error_description']


def test_pem_sent_as_a_plain_field_counts_as_missing(api, example_cert):
    form = api.certificate_form(example_cert.cert_pem, name='c1')
    form['pemEncodedFile'] = (None, example_cert.cert_pem.decode('ascii'))
    api.expect_error(api.post(CERTS, files=form), 400, 'bad_request', 'pemEncodedFile value can not be empty!')


def test_a_json_body_is_refused(api):
    response = api.post(CERTS, json={'certificateName': 'c1'})
    assert response.status_code == 415


def test_duplicate_name_unknown_environment_and_bad_pem(api, example_cert, other_cert):
    assert api.create_certificate('my-certificate', example_cert.cert_pem).status_code == 200
    api.expect_error(api.create_certificate('my-certificate', other_cert.cert_pem, alias='another'), 400, 'bad_request',
                     'Certificate (name: my-certificate) is already exist!')
    api.expect_error(api.create_certificate('c2', other_cert.cert_pem, alias='a2', environments='production,qa'), 400, 'bad_request',
                     'Environment (name: qa) is not found!')
    body = api.expect_error(api.create_certificate('c3', b'-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n',
                                                   alias='a3'), 400, 'bad_request')
    assert body['error_description'].startswith('Certificate could not be parsed: ')
    body = api.expect_error(api.create_certificate('c4', example_cert.key_pem, alias='a4'), 400, 'bad_request')
    assert body['error_description'].startswith('Certificate could not be parsed: ')
    assert [item['name'] for item in api.emulator.control.state()['projects']['demo']['certificates']] == ['my-certificate']


def test_a_pem_with_several_certificates_stores_the_first(api, example_cert, other_cert):
    assert api.create_certificate('chain', example_cert.cert_pem + other_cert.cert_pem).status_code == 200
    [entry] = api.get(CERTS + 'chain/').json()['resultList'][0]['certificateEnvironmentList'][:1]
    assert base64.b64decode(entry['base64EncodedContent']) == example_cert.cert_der


def test_alias_is_unique_per_environment_but_reusable_in_another(api, example_cert, other_cert):
    assert api.create_certificate('c1', example_cert.cert_pem, alias='shared', environments='production').status_code == 200
    api.expect_error(api.create_certificate('c2', other_cert.cert_pem, alias='shared', environments='staging,production'),
                     400, 'bad_request', 'Alias (shared) is already used for another certificate, try changing this value!')
    api.expect_deployed(api.create_certificate('c3', other_cert.cert_pem, alias='shared', environments='staging'), ['staging'])


def test_environment_list_is_comma_separated_and_deduplicated(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem, environments=' staging , production,staging,').status_code == 200
    [certificate] = api.emulator.control.state()['projects']['demo']['certificates']
    assert certificate['environments'] == ['production', 'staging']


def test_replace_is_delete_then_create(api, example_cert, other_cert):
    assert api.create_certificate('first', example_cert.cert_pem, alias='keep-me').status_code == 200
    assert api.create_certificate('second', other_cert.cert_pem, alias='second-alias').status_code == 200
    # Same alias as before: allowed, because the old certificate is deleted first.
    response = api.replace_certificate('first', other_cert.cert_pem, alias='keep-me', environments='development',
                                       description='new', params={'jwkUpdateAction': 'UPDATE', 'updateScope': 'SAME_PROJECT'})
    api.expect_deployed(response, ['development'])
    names = [item['name'] for item in api.get(CERTS).json()['resultList']]
    assert names == ['second', 'first'], 'a replaced certificate is a new object, at the end of the list'
    state = api.emulator.control.state()['projects']['demo']
    first = [item for item in state['certificates'] if item['name'] == 'first'][0]
    assert first['environments'] == ['development'], 'environments left out lose the certificate'
    assert first['description'] == 'new'
    assert first['sha1_thumbprint'] == hashlib.sha1(other_cert.cert_der).hexdigest().upper()
    assert state['replace_queries'][-1]['query'] == {'jwkUpdateAction': 'UPDATE', 'updateScope': 'SAME_PROJECT'}


def test_replace_reads_jwk_update_action_ignores_the_older_parameter_and_refuses_bad_values(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    assert api.replace_certificate('c1', example_cert.cert_pem, params={'updateReferencedJwks': 'maybe'}).status_code == 200
    [recorded] = api.emulator.control.state()['projects']['demo']['replace_queries']
    assert recorded['query'] == {'updateReferencedJwks': 'maybe'}
    assert (recorded['jwk_update_action'], recorded['update_scope']) == ('NULLIFY', None), 'the documented default'
    api.expect_error(api.replace_certificate('c1', example_cert.cert_pem, params={'jwkUpdateAction': 'MAYBE'}), 400, 'invalid_parameter')


def test_replace_with_an_alias_taken_elsewhere_leaves_the_old_certificate_deleted(api, example_cert, other_cert):
    assert api.create_certificate('c1', example_cert.cert_pem, alias='a1').status_code == 200
    assert api.create_certificate('c2', other_cert.cert_pem, alias='a2').status_code == 200
    api.expect_error(api.replace_certificate('c1', example_cert.cert_pem, alias='a2'), 400, 'bad_request',
                     'Alias (a2) is already used for another certificate, try changing this value!')
    assert [item['name'] for item in api.emulator.control.state()['projects']['demo']['certificates']] == ['c2']


@pytest.mark.parametrize('method, suffix', [('GET', ''), ('PUT', ''), ('DELETE', ''), ('GET', 'export/')])
def test_a_missing_certificate_is_a_400_with_the_documented_text(api, example_cert, method, suffix):
    kwargs = {'files': api.certificate_form(example_cert.cert_pem)} if method == 'PUT' else {}
    api.expect_error(api.request(method, CERTS + 'my-certificate/' + suffix, **kwargs), 400, 'bad_request',
                     'Certificate (name: my-certificate) is not found!')


def test_delete_undeploys_from_every_environment(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem, environments='production,staging,development').status_code == 200
    api.expect_deployed(api.delete(CERTS + 'c1/'), ['production', 'staging', 'development'], undeploy=True)
    assert api.get(CERTS).json() == {'success': True, 'resultList': []}


def test_export_zip_holds_one_der_per_environment(api, example_cert):
    assert api.create_certificate('my-certificate', example_cert.cert_pem).status_code == 200
    response = api.get(CERTS + 'my-certificate/export/')
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/octet-stream'
    assert response.headers['Content-Disposition'] == 'attachment; filename="my-certificate-certificates.zip"'
    assert int(response.headers['Content-Length']) == len(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ['my-certificate-production.cer', 'my-certificate-staging.cer']
        for name in archive.namelist():
            assert archive.read(name) == example_cert.cert_der


def test_paths_without_trailing_slash_are_not_found(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    for path in ('/apiops/projects/demo/certificates', '/apiops/projects/demo/certificates/c1',
                 '/apiops/projects/demo/certificates/c1/export', '/apiops/projects/demo/keys'):
        api.expect_error(api.get(path), 404, 'not_found')


PERCENT_NAMES = ['with space', 'ünïcødé-名前', 'what?', 'hash#tag', 'slash/inside', 'double//slash', '100%', 'plus+sign']


@pytest.mark.parametrize('name', PERCENT_NAMES)
def test_percent_encoded_names(api, example_cert, name):
    assert api.create_certificate(name, example_cert.cert_pem, alias='alias').status_code == 200
    path = CERTS + quote(name, safe='') + '/'
    got = api.get(path)
    assert got.status_code == 200, got.text
    assert got.json()['resultList'][0]['name'] == name
    export = api.get(path + 'export/')
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert archive.namelist()[0] == '%s-production.cer' % name
    assert api.delete(path).status_code == 200
    assert api.emulator.control.state()['projects']['demo']['certificates'] == []


def test_unicode_name_export_has_an_rfc5987_filename(api, example_cert):
    assert api.create_certificate('名前', example_cert.cert_pem).status_code == 200
    disposition = api.get(CERTS + quote('名前') + '/export/').headers['Content-Disposition']
    assert "filename*=UTF-8''%s" % quote('名前-certificates.zip', safe='') in disposition


def test_omit_list_content_leaves_content_out_of_the_list_only(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    api.emulator.control.config(omit_list_content=True)
    for entry in api.get(CERTS).json()['resultList'][0]['certificateEnvironmentList']:
        assert 'base64EncodedContent' not in entry
        assert entry['sha1Thumbprint'] == hashlib.sha1(example_cert.cert_der).hexdigest().upper()
    for entry in api.get(CERTS + 'c1/').json()['resultList'][0]['certificateEnvironmentList']:
        assert base64.b64decode(entry['base64EncodedContent']) == example_cert.cert_der
    api.emulator.control.reset()
    assert api.emulator.control.config()['omit_list_content'] is False
    api.emulator.control.reset(omit_list_content=True)
    assert api.emulator.control.config()['omit_list_content'] is True


@pytest.mark.parametrize('apinizer_emulator_projects', [{'alpha': ['production', 'staging'], 'beta': ['production', 'qa']}])
def test_truststore_lists_every_project_in_one_environment(api, example_cert, other_cert):
    assert api.create_certificate('a-cert', example_cert.cert_pem, project='alpha', alias='a').status_code == 200
    assert api.create_certificate('b-cert', other_cert.cert_pem, project='beta', alias='b', environments='production,qa').status_code == 200
    assert api.create_certificate('b-qa', other_cert.cert_pem, project='beta', alias='q', environments='qa').status_code == 200
    response = api.get('/apiops/projects/admin/certificates/truststore/production/')
    assert response.status_code == 200, response.text
    certificates = response.json()['resultList']
    assert [item['name'] for item in certificates] == ['a-cert', 'b-cert']
    for item in certificates:
        assert [entry['environmentName'] for entry in item['certificateEnvironmentList']] == ['production']
    # Only the admin project has a truststore, and only an admin token sees the admin project.
    api.expect_error(api.get('/apiops/projects/alpha/certificates/truststore/production/'), 403, 'forbidden')
    api.expect_error(api.get('/apiops/projects/admin/certificates/truststore/production/', token=api.emulator.read_only_token),
                     404, 'not_found', 'Project(admin) was not found or user does not have privilege to access it!')
    # The two documented 400s, word for word.
    api.expect_error(api.get('/apiops/projects/admin/certificates/truststore/nowhere/'), 400, 'bad_request',
                     'Environment (nowhere) is not found or user does not have privilege to access it!')
    for blank in ('', '%20'):
        api.expect_error(api.get('/apiops/projects/admin/certificates/truststore/%s/' % blank), 400, 'bad_request',
                         'environmentName value can not be empty!')
    # An alias is unique in an environment across projects: the environment's truststore is shared.
    api.expect_error(api.create_certificate('clash', other_cert.cert_pem, project='beta', alias='a', environments='production'),
                     400, 'bad_request', 'Alias (a) is already used for another certificate, try changing this value!')


def test_a_certificate_named_truststore_does_not_shadow_the_truststore_route(api, example_cert):
    assert api.create_certificate('truststore', example_cert.cert_pem).status_code == 200
    assert api.get(CERTS + 'truststore/').json()['resultList'][0]['name'] == 'truststore'
    assert api.get('/apiops/projects/admin/certificates/truststore/production/').json()['resultList'][0]['name'] == 'truststore'


def test_subject_dn_shapes(api, ca):
    email = testcerts.make_certificate('svc', organization='Org, With Comma', issuer=ca)
    assert api.create_certificate('c1', email.cert_pem).status_code == 200
    [entry] = api.get(CERTS + 'c1/').json()['resultList'][0]['certificateEnvironmentList'][:1]
    assert entry['subjectDn'] == 'CN=svc, O=Org\\, With Comma'
