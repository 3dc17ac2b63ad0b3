# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The server variants (variants.py): each switch over real HTTP on both sides, the profiles, and the ways to set
them (Python, control surface, command line, pytest option and fixture)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap

import pytest
import requests

from apinizer_emulator import testcerts
from apinizer_emulator.__main__ import build_parser, config_from_args
from apinizer_emulator.config import EmulatorConfig
from apinizer_emulator.variants import PROFILES, SWITCHES

CERTS = '/apiops/projects/demo/certificates/'
KEYS = '/apiops/projects/demo/keys/'
SECRET = b'0123456789abcdef'
EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'emulator'))
STRICT = {'omit_list_content': True, 'not_found_status': 404, 'key_list_shape': 'older', 'jwk_query': 'older',
          'strict_accept': True, 'keystore_request': 'older', 'jwk_request': 'older', 'jwk_action_paths': 'documented'}


def _switches(settings):
    return {name: settings[name] for name in SWITCHES}


# ---- profiles and the ways to set them ------------------------------------------------------------------------------

def test_the_strict_profile_is_the_other_side_of_every_switch():
    assert _switches(PROFILES['strict']) == STRICT
    assert all(PROFILES['default'][name] != PROFILES['strict'][name] for name in SWITCHES)
    assert EmulatorConfig(variant='strict').switches == PROFILES['strict']
    config = EmulatorConfig(variant='strict', strict_accept=False)
    assert config.switches == dict(STRICT, strict_accept=False) and config.variant == 'custom'
    assert EmulatorConfig().variant == 'default' and EmulatorConfig(not_found_status='404').not_found_status == 404
    # A new profile given to replace() starts from that profile; a switch alone keeps the others.
    assert config.replace(variant='default').switches == PROFILES['default']
    assert config.replace(jwk_query='oldest').switches == dict(STRICT, strict_accept=False, jwk_query='oldest')


@pytest.mark.parametrize('settings, message', [
    ({'variant': 'lenient'}, "variant must be one of default, strict, not 'lenient'"),
    ({'not_found_status': 410}, 'not_found_status must be one of 400, 404, not 410'),
    ({'jwk_query': 'newest'}, "jwk_query must be one of newer, older, oldest, not 'newest'"),
    ({'strict_accept': 'yes'}, "strict_accept must be one of false, true, not 'yes'"),
])
def test_bad_variant_settings_are_refused_with_the_choices(api, settings, message):
    with pytest.raises(ValueError) as caught:
        EmulatorConfig(**settings)
    assert str(caught.value) == message
    for path in ('reset', 'config'):
        response = requests.post(api.url + '/_emulator/' + path, json=settings, timeout=10)
        assert response.status_code == 400 and response.json()['error_description'] == message


def test_control_surface_sets_a_profile_or_single_switches_and_reset_returns_to_the_start(api):
    control = api.emulator.control
    settings = control.config()
    assert settings['variant'] == 'default' and _switches(settings) == PROFILES['default']
    assert _switches(control.config(variant='strict')) == STRICT
    settings = control.config(strict_accept=False)
    assert settings['variant'] == 'custom' and _switches(settings) == dict(STRICT, strict_accept=False)
    settings = control.reset()
    assert settings['variant'] == 'default' and _switches(settings) == PROFILES['default']
    settings = control.reset(variant='strict', not_found_status=400)
    assert _switches(settings) == dict(STRICT, not_found_status=400)
    assert _switches(control.reset(key_list_shape='older')) == dict(PROFILES['default'], key_list_shape='older')


def test_command_line_flags_build_the_config():
    def config(*flags):
        return config_from_args(build_parser().parse_args(['--token', 't'] + list(flags)))

    assert config().switches == PROFILES['default']
    assert config('--variant', 'strict').switches == PROFILES['strict']
    assert config('--variant', 'strict', '--no-strict-accept', '--jwk-query', 'oldest').switches == dict(
        STRICT, strict_accept=False, jwk_query='oldest')
    assert config('--omit-list-content', '--not-found-status', '404', '--key-list-shape', 'older', '--jwk-query', 'older',
                  '--strict-accept', '--keystore-request', 'older', '--jwk-request', 'older', '--jwk-action-paths',
                  'documented').switches == STRICT
    assert config('--keystore-request', 'oldest').switches == dict(PROFILES['default'], keystore_request='oldest')
    with pytest.raises(SystemExit):
        build_parser().parse_args(['--not-found-status', '410'])


def test_pytest_option_starts_the_session_server_with_a_profile_and_the_fixture_overrides_it(tmp_path):
    (tmp_path / 'test_user.py').write_text(textwrap.dedent('''
        import pytest

        def test_session_variant(apinizer_emulator):
            assert apinizer_emulator.settings['variant'] == 'strict'
            assert apinizer_emulator.control.config()['not_found_status'] == 404

        @pytest.mark.parametrize('apinizer_emulator_variant', [{'not_found_status': 400}, 'default'])
        def test_per_test_variant(apinizer_emulator, apinizer_emulator_variant):
            settings = apinizer_emulator.control.config()
            assert settings['not_found_status'] == 400
            assert settings['strict_accept'] is (apinizer_emulator_variant != 'default')
    '''))
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-p', 'apinizer_emulator.pytest_plugin',
                             '--apinizer-emulator-variant', 'strict', str(tmp_path / 'test_user.py')],
                            cwd=str(tmp_path), env=env, capture_output=True, timeout=120, check=False)
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output
    assert '3 passed' in output


# ---- omit_list_content ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('apinizer_emulator_variant', ['strict'])
def test_strict_lists_certificates_without_content(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    [listed] = api.get(CERTS).json()['resultList']
    assert all('base64EncodedContent' not in entry and entry['sha1Thumbprint'] == example_cert.sha1
               for entry in listed['certificateEnvironmentList'])
    [got] = api.get(CERTS + 'c1/').json()['resultList']
    assert all(base64.b64decode(entry['base64EncodedContent']) == example_cert.cert_der for entry in got['certificateEnvironmentList'])


# ---- not_found_status -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('apinizer_emulator_variant', [{'not_found_status': 404}])
@pytest.mark.parametrize('method, path, message', [
    ('GET', CERTS + 'c1/', 'Certificate (name: c1) is not found!'),
    ('PUT', CERTS + 'c1/', 'Certificate (name: c1) is not found!'),
    ('DELETE', CERTS + 'c1/', 'Certificate (name: c1) is not found!'),
    ('GET', CERTS + 'c1/export/', 'Certificate (name: c1) is not found!'),
    ('GET', KEYS + 'k1/', 'Key (name: k1) is not found!'),
    ('PUT', KEYS + 'k1/', 'Key (name: k1) is not found!'),
    ('DELETE', KEYS + 'k1/', 'Key (name: k1) is not found!'),
])
def test_a_missing_certificate_or_key_can_be_a_404_with_the_same_text(api, example_cert, method, path, message):
    kwargs = {}
    if method == 'PUT':
        kwargs = {'files': api.certificate_form(example_cert.cert_pem)} if 'certificates' in path else {'json': {}}
    api.expect_error(api.request(method, path, **kwargs), 404, 'not_found', message)


@pytest.mark.parametrize('apinizer_emulator_variant', [{'not_found_status': 404}])
def test_other_not_found_texts_stay_400(api, example_cert):
    api.expect_error(api.create_certificate('c1', example_cert.cert_pem, environments='qa'), 400, 'bad_request',
                     'Environment (name: qa) is not found!')
    api.expect_error(api.get('/apiops/projects/admin/certificates/truststore/qa/'), 400, 'bad_request',
                     'Environment (qa) is not found or user does not have privilege to access it!')
    api.expect_error(api.get('/apiops/environments/nope'), 400, 'bad_request',
                     'Project not found for name: (nope) or user has not privilege to access it!')


# ---- key_list_shape -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('apinizer_emulator_variant', [{'key_list_shape': 'older'}])
def test_the_older_key_list_names_environments_and_carries_public_or_private_key(api):
    assert api.create_key('secret', {'production': (SECRET, 'p'), 'staging': (SECRET, None)}).status_code == 200
    public_pem = testcerts.public_key_text(testcerts.cached_key()).encode('ascii')
    assert api.create_key('public', {'staging': (public_pem, 's')}, key_type='PUBLIC_KEY').status_code == 200
    listed = {key['name']: key for key in api.get(KEYS).json()['resultList']}
    secret_entries = listed['secret']['cryptoKeyInfoEnvironmentList']
    assert [sorted(entry) for entry in secret_entries] == [['alias', 'environmentName', 'privateKey', 'publicKey']] * 2
    assert [(entry['environmentName'], entry['alias'], entry['publicKey']) for entry in secret_entries] == [
        ('production', 'p', None), ('staging', None, None)]
    [public_entry] = listed['public']['cryptoKeyInfoEnvironmentList']
    assert public_entry['environmentName'] == 'staging' and public_entry['privateKey'] is None
    # The encrypted form, as in the newer content field: the same ciphertext the key's own get shows.
    got = {entry['environmentName']: entry for entry in api.get(KEYS + 'secret/').json()['resultList'][0]['cryptoKeyInfoEnvironmentList']}
    assert [sorted(entry) for entry in got.values()] == [['alias', 'content', 'environmentName']] * 2, 'the get keeps its shape'
    assert [entry['privateKey'] for entry in secret_entries] == [got['production']['content'], got['staging']['content']]
    assert base64.b64encode(SECRET).decode('ascii') not in str(listed)


# ---- jwk_query ------------------------------------------------------------------------------------------------------

def _last_query(api):
    recorded = api.emulator.control.state()['projects']['demo']['replace_queries'][-1]
    return recorded['query'], recorded['jwk_update_action'], recorded['update_scope']


BOTH = {'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true', 'updateScope': 'ALL_PROJECTS'}


@pytest.mark.parametrize('apinizer_emulator_variant, params, understood', [
    ({}, BOTH, ('UPDATE', 'ALL_PROJECTS')),
    ({}, {'updateReferencedJwks': 'true'}, ('NULLIFY', None)),
    ({'jwk_query': 'older'}, BOTH, ('UPDATE', 'ALL_PROJECTS')),
    ({'jwk_query': 'older'}, {'jwkUpdateAction': 'UPDATE', 'updateScope': 'SAME_PROJECT'}, ('NULLIFY', 'SAME_PROJECT')),
    ({'jwk_query': 'older'}, {'updateReferencedJwks': 'false'}, ('NULLIFY', None)),
    ({'jwk_query': 'oldest'}, BOTH, (None, None)),
    ({'jwk_query': 'oldest'}, {'jwkUpdateAction': 'MAYBE', 'updateScope': 'NOWHERE'}, (None, None)),
], ids=['newer-both', 'newer-older-only', 'older-both', 'older-newer-only', 'older-false', 'oldest-both', 'oldest-ignores'])
def test_each_jwk_query_variant_reads_its_own_parameters(api, example_cert, params, understood):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    assert api.create_key('k1', {'production': (SECRET, None)}).status_code == 200
    api.expect_deployed(api.replace_certificate('c1', example_cert.cert_pem, params=params), ['production', 'staging'])
    assert _last_query(api) == (params,) + understood
    assert api.put(KEYS + 'k1/', params=params, json={'description': 'd'}).status_code == 200
    assert _last_query(api) == (params,) + understood


@pytest.mark.parametrize('apinizer_emulator_variant', [{'jwk_query': 'older'}])
def test_an_older_server_wants_update_scope_with_update_referenced_jwks_and_checks_its_value(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    api.expect_error(api.replace_certificate('c1', example_cert.cert_pem, params={'updateReferencedJwks': 'true'}),
                     400, 'bad_request', 'updateScope value can not be empty!')
    api.expect_error(api.replace_certificate('c1', example_cert.cert_pem, params={'updateReferencedJwks': 'maybe'}),
                     400, 'invalid_parameter')
    assert api.emulator.control.state()['projects']['demo']['replace_queries'] == []
    assert api.emulator.control.state()['projects']['demo']['certificates'][0]['name'] == 'c1', 'a refused replace deletes nothing'


# ---- strict_accept --------------------------------------------------------------------------------------------------

ADMITS_JSON = [None, 'application/json', '*/*', 'application/*', 'application/octet-stream, application/json;q=0.5',
               'text/html, application/json;q=0.1']
REFUSES_JSON = ['application/octet-stream', 'text/html', 'application/json;q=0', 'application/xml, text/*']


@pytest.mark.parametrize('apinizer_emulator_variant', [{'strict_accept': True}])
def test_strict_accept_answers_406_when_the_accept_header_does_not_admit_the_answer(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    for accept in ADMITS_JSON:
        headers = {'Accept': accept} if accept else {}
        assert api.get(CERTS, headers=headers).status_code == 200, accept
        assert api.get('/apiops/environments/demo', headers=headers).status_code == 200, accept
    for accept in REFUSES_JSON:
        body = api.expect_error(api.get(CERTS, headers={'Accept': accept}), 406, 'not_acceptable')
        assert 'application/json' in body['error_description'] and accept in body['error_description']
    # The export answers application/octet-stream.
    for accept in (None, 'application/octet-stream', 'application/octet-stream, application/json;q=0.5', '*/*'):
        assert api.get(CERTS + 'c1/export/', headers={'Accept': accept} if accept else {}).status_code == 200, accept
    api.expect_error(api.get(CERTS + 'c1/export/', headers={'Accept': 'application/json'}), 406, 'not_acceptable')
    # A refused write writes nothing, the token endpoint is JSON too, and the control surface has no such rule.
    body = {'name': 'k1', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'production', 'content': base64.b64encode(SECRET).decode('ascii')}]}
    api.expect_error(api.post(KEYS, headers={'Accept': 'text/plain'}, json=body), 406, 'not_acceptable')
    api.expect_error(api.post('/apiops/auth/token', token=None, headers={'Accept': 'text/html'},
                              data={'grant_type': 'client_credentials'}), 406, 'not_acceptable')
    assert requests.get(api.url + '/_emulator/state', headers={'Accept': 'text/html'}, timeout=10).status_code == 200
    assert api.emulator.control.state()['projects']['demo']['keys'] == []
    assert [entry['status'] for entry in api.emulator.control.requests()][-2:] == [406, 406]


def test_without_strict_accept_the_accept_header_is_ignored(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    assert api.get(CERTS, headers={'Accept': 'text/html'}).status_code == 200
    assert api.get(CERTS + 'c1/export/', headers={'Accept': 'application/json'}).status_code == 200
