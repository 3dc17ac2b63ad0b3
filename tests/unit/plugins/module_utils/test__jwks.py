# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.apinizer.apiops.plugins.module_utils import _apply, _pem, _server
from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates as certs
from ansible_collections.apinizer.apiops.plugins.module_utils import _keys as keys
from ansible_collections.apinizer.apiops.plugins.module_utils import _jwks as jwks
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.module_utils._jwks import jwk_action_path, jwk_path
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import FakeClient, report
from apinizer_emulator import testcerts
from apinizer_emulator.testcerts import make_certificate

OLD = make_certificate('old.example.com')
NEW = make_certificate('new.example.com')
OPTIONS = jwks.JwkOptions('demo')
PATH = '/apiops/projects/demo/jwks/j/'
# Long, unique private values: a leak would be found by a plain substring search.
PRIVATE = dict(d='PRIVATE-d-' + 'x' * 40, p='PRIVATE-p-' + 'y' * 40, q='PRIVATE-q-' + 'z' * 40)


def members(issued):
    return _pem.jwk_public_members(issued.key.public_key())[1]


def certificate_on_server(issued):
    return certs.current_certificate({'name': 'c', 'description': '', 'certificateEnvironmentList': [
        {'environmentName': 'production', 'alias': 'c', 'sha1Thumbprint': issued.sha1,
         'base64EncodedContent': base64.b64encode(issued.cert_der).decode('ascii')}]}, complete=True)


def from_certificate(issued=OLD, description=''):
    desired = jwks.desired_jwk('j', 'certificate', description, certificate_name='c', environment='production',
                               algorithm='RS256')
    return jwks.with_certificate(desired, certificate_on_server(issued))


def answer(issued=OLD, source_id='cert-id', description='', source_type='CERTIFICATE', kid=None):
    """A JWK GET answer, private members in clear as the server sends them."""
    return {'name': 'j', 'description': description, 'sourceType': source_type, 'sourceId': source_id,
            'sourceUrl': None, 'type': 'RSA', 'kid': kid, 'rsa': dict(members(issued), **PRIVATE)}


def current(**kwargs):
    return jwks.current_jwk(answer(**kwargs))


def actions(changes):
    return [(c.action, c.request.method if c.request else None) for c in changes]


def test_the_paths_percent_encode_names_and_the_actions_have_no_trailing_slash():
    assert jwk_path('my project', 'a/b') == '/apiops/projects/my%20project/jwks/a%2Fb/'
    assert jwk_path('demo') == '/apiops/projects/demo/jwks/'
    assert jwk_action_path('demo', 'generate') == '/apiops/projects/demo/jwks/generate'
    assert jwk_action_path('demo', 'parse-from-certificate') == '/apiops/projects/demo/jwks/parse-from-certificate'
    with pytest.raises(ValueError):
        jwk_action_path('demo', 'parse-from-anything')


def test_a_get_answer_keeps_only_public_members():
    kept = current()
    assert kept['public'] == members(OLD)
    assert not any(value in json.dumps(kept) for value in PRIVATE.values())
    assert set(jwks.public_fields(kept)['public_members']) == set(['n', 'e'])


def test_a_certificate_jwk_that_matches_is_left_alone():
    assert actions(jwks.plan(from_certificate(), current(), OPTIONS)) == [('none', None)]


def test_a_missing_jwk_is_parsed_from_the_certificate_without_a_trailing_slash():
    (change,) = jwks.plan(from_certificate(), None, OPTIONS)
    assert (change.action, change.request.path) == ('create', '/apiops/projects/demo/jwks/parse-from-certificate')
    assert change.request.body()['json'] == {'name': 'j', 'description': '', 'certificateName': 'c',
                                             'environmentName': 'production', 'useType': 'SIGNATURE',
                                             'algorithm': 'RS256'}
    assert change.after['public_members'] == members(OLD)


@pytest.mark.parametrize('server, field', [
    (dict(issued=NEW), 'public_members'),        # the certificate was rotated without the JWK following
    (dict(source_id=None), 'source_id'),         # jwkUpdateAction=NULLIFY cut it loose
    (dict(description='old'), 'description'),    # a PUT would cut it loose: made again instead
])
def test_a_certificate_jwk_that_differs_is_deleted_then_created_in_one_group(server, field):
    changes = jwks.plan(from_certificate(), current(**server), OPTIONS)
    assert actions(changes) == [('delete', 'DELETE'), ('create', 'POST')]
    assert changes[0].group == changes[1].group == 'jwk:j'
    assert changes[1].depends_on == (('jwk', 'j'),)
    assert field in changes[1].diff['after']
    assert not any(value in json.dumps([c.diff for c in changes]) for value in PRIVATE.values())


def test_a_pasted_jwk_description_change_is_one_put_of_name_and_description():
    pasted = json.dumps(dict(members(OLD), kty='RSA', kid='k1'))
    desired = jwks.desired_jwk('j', 'json', 'new', jwk_json=pasted)
    (change,) = jwks.plan(desired, current(source_type='COPY_PASTE', source_id=None, kid='k1'), OPTIONS)
    assert (change.action, change.request.method, change.request.path) == ('update', 'PUT', PATH)
    assert change.request.body() == {'json': {'name': 'j', 'description': 'new'}}
    assert change.diff == {'before': {'name': 'j', 'description': ''}, 'after': {'name': 'j', 'description': 'new'}}


def test_a_generated_jwk_is_never_generated_again_unless_forced():
    desired = jwks.desired_jwk('j', 'generate', jwk_type='rsa', algorithm='RS256')
    stored = current(source_type='GENERATE', source_id=None, issued=NEW, kid='1700000000000')
    assert actions(jwks.plan(desired, stored, OPTIONS)) == [('none', None)]
    forced = jwks.plan(desired, stored, OPTIONS._replace(force=True))
    assert actions(forced) == [('delete', 'DELETE'), ('create', 'POST')]
    assert forced[1].diff['after']['public_members'] == 'made again'
    assert forced[1].options.force is False


def test_generate_bodies_use_the_generate_spelling_and_both_curve_fields():
    rsa_body = jwks.desired_jwk('j', 'generate', jwk_type='rsa', algorithm='RSA-OAEP-256', use='encryption')['fields']
    assert rsa_body == {'name': 'j', 'description': '', 'type': 'RSA',
                        'rsa': {'keySize': 2048, 'keyUseType': 'ENCRYPTION', 'algorithm': 'RSA_OAEP_256'}}
    ec_body = jwks.desired_jwk('j', 'generate', jwk_type='ec', curve='P-384', kid='k')['fields']
    assert ec_body['ec'] == {'curveType': 'P384', 'crv': 'P-384', 'keyUseType': 'SIGNATURE'}
    assert ec_body['kid'] == 'k'
    assert [jwks.generate_algorithm(a) for a in ('RS512', 'PS256', 'ECDH-ES+A128KW', 'PBES2-HS256+A128KW')] == [
        'RSA512', 'PS256', 'ECDH_ES_A128KW', 'PBES2_HS256_A128KW']


@pytest.mark.parametrize('kwargs, message', [
    (dict(source='certificate', certificate_name='c', environment='production'),
     'algorithm is required with source=certificate.'),
    (dict(source='certificate', certificate_name='c', environment='production', algorithm='HS256', use='encryption'),
     'algorithm: HS256 is not an algorithm for RSA/EC/OKP/OCT encryption keys;'),
    (dict(source='generate'), 'jwk_type is required with source=generate: rsa, ec, oct or okp.'),
    (dict(source='generate', jwk_type='ec', curve='X25519'), 'curve: X25519 is not a curve of ec keys; give one of '
     'P-256, P-384, P-521, secp256k1.'),
    (dict(source='generate', jwk_type='oct', key_size=512), 'key_size: a generated oct key is 128, 192, 256 bits;'),
    (dict(source='json'), 'jwk_json is required with source=json: the JWK or JWK Set as JSON.'),
    (dict(source='json', jwk_json='{"keys": [{"kty": "RSA", "n": "AQ", "e": "AQAB", "kid": "a"}, '
                                  '{"kty": "RSA", "n": "AQ", "e": "AQAB", "kid": "b"}]}'),
     'jwk_json: the JWK Set holds 2 keys; set kid to the one to take.'),
    (dict(source='json', jwk_json='{"kty": "RSA", "e": "AQAB", "d": "%s"}' % PRIVATE['d']),
     'jwk_json: the RSA JWK lacks its member n.'),
])
def test_bad_input_is_refused_naming_the_option(kwargs, message):
    with pytest.raises(InvalidInput) as caught:
        jwks.desired_jwk('j', **kwargs)
    assert str(caught.value).startswith(message)
    assert PRIVATE['d'] not in str(caught.value)


def test_a_certificate_the_project_lacks_or_has_elsewhere_is_refused_before_any_write():
    desired = jwks.desired_jwk('j', 'certificate', certificate_name='c', environment='staging', algorithm='RS256')
    with pytest.raises(InvalidInput, match='^certificate_name: the project has no certificate c;'):
        jwks.with_certificate(desired, None)
    with pytest.raises(InvalidInput, match=r'^environment: certificate c is not deployed to staging; it is deployed '
                                           r'to production\.$'):
        jwks.with_certificate(desired, certificate_on_server(OLD))


def test_a_pasted_jwk_set_entry_is_taken_by_kid_and_private_values_are_found_for_masking():
    text = json.dumps({'keys': [dict(members(OLD), kty='RSA', kid='a', **PRIVATE), dict(members(NEW), kty='RSA', kid='b')]})
    desired = jwks.desired_jwk('j', 'json', jwk_json=text, kid='b')
    assert (desired['jwk_type'], desired['public'], desired['kid']) == ('RSA', members(NEW), 'b')
    assert jwks.private_values(text) == set(PRIVATE.values())


def test_delete_and_absent():
    (change,) = jwks.plan(jwks.absent('j'), current(), OPTIONS._replace(state='absent'))
    assert (change.action, change.request.method, change.request.path, change.after) == ('delete', 'DELETE', PATH, {})
    (nothing,) = jwks.plan(jwks.absent('j'), None, OPTIONS._replace(state='absent'))
    assert nothing.action == 'none'


def test_the_executor_replaces_in_order_and_reads_the_jwk_through_its_get():
    client = FakeClient([('DELETE', PATH, report('production')),
                         ('POST', '/apiops/projects/demo/jwks/parse-from-certificate', report('production'))])
    changes = jwks.plan(from_certificate(NEW), current(), OPTIONS)
    applied = _apply.apply(client, changes, _server.replan, 3)
    assert [o.action for o in applied.outcomes] == ['deleted', 'created'] and applied.failure is None
    reader = FakeClient([('GET', PATH, {'success': True, 'resultList': [answer(NEW)]})])
    assert _server.read_jwk(reader, 'demo', 'j')['public'] == members(NEW)
    missing = ApinizerError('gone', status=400, error='bad_request', description='JWK (name: j) is not found!')
    assert _server.read_jwk(FakeClient([('GET', PATH, missing)]), 'demo', 'j') is None


# --- sources key, keystore and url -----------------------------------------------------------------------------------

KEYSTORE_PASSWORD = 'keystore-password-' + 'k' * 30


def key_on_server(key_type='PRIVATE_KEY', environments=('production',)):
    return keys.current_key({'name': 'k', 'description': '', 'keyType': key_type, 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': e, 'alias': 'k'} for e in environments]})


def from_key(key_type='PRIVATE_KEY', description=''):
    desired = jwks.desired_jwk('j', 'key', description, key_name='k', environment='production', algorithm='RS256')
    return jwks.with_key(desired, key_on_server(key_type))


def keystore_on_server(data, environment='production'):
    """What read_keystore_files() gives for a keystore whose GET answers data (bytes, or None: no file)."""
    item = {'environmentName': environment, 'type': 'PKCS12'}
    if data is not None:
        item['file'] = base64.b64encode(data).decode('ascii')
    entry = {'name': 'ks', 'description': '', 'keyStoreEnvironmentList': [item]}
    reader = FakeClient([('GET', '/apiops/projects/demo/keystores/ks/', {'success': True, 'resultList': [entry]})])
    return _server.read_keystore_files(reader, 'demo', 'ks')


def from_keystore(data, password=None, alias='ks-entry'):
    desired = jwks.desired_jwk('j', 'keystore', keystore_name='ks', environment='production', alias=alias,
                               algorithm='RS256')
    keystore, files = keystore_on_server(data)
    return jwks.with_keystore(desired, keystore, files, password=password)


def test_a_key_jwk_is_parsed_from_the_key_and_takes_the_key_type_as_source_type():
    (change,) = jwks.plan(from_key(), None, OPTIONS)
    assert (change.action, change.request.path) == ('create', '/apiops/projects/demo/jwks/parse-from-key')
    assert change.request.body()['json'] == {'name': 'j', 'description': '', 'keyName': 'k',
                                             'environmentName': 'production', 'useType': 'SIGNATURE',
                                             'algorithm': 'RS256'}
    assert change.after['source_type'] == 'PRIVATE_KEY' and change.after['type'] is None
    assert from_key('PUBLIC_KEY')['source_type'] == 'PUBLIC_KEY'


def test_a_key_jwk_that_matches_is_left_alone_and_one_cut_loose_or_changed_is_made_again():
    stored = dict(source_type='PRIVATE_KEY', source_id='key-id')
    assert actions(jwks.plan(from_key(), current(**stored), OPTIONS)) == [('none', None)]
    for server, field in ((dict(stored, source_id=None), 'source_id'),            # nullify cut it loose
                          (dict(stored, source_type='PUBLIC_KEY'), 'source_type'),  # the key changed its type
                          (dict(stored, description='old'), 'description')):     # a PUT would cut it loose
        changes = jwks.plan(from_key(), current(**server), OPTIONS)
        assert actions(changes) == [('delete', 'DELETE'), ('create', 'POST')], field
        assert field in changes[1].diff['after'] and 'public_members' not in changes[1].diff['after']
        assert not any(value in json.dumps([c.diff for c in changes]) for value in PRIVATE.values())


def test_a_key_the_project_lacks_a_secret_key_or_one_elsewhere_is_refused_before_any_write():
    desired = jwks.desired_jwk('j', 'key', key_name='k', environment='staging', algorithm='RS256')
    with pytest.raises(InvalidInput) as caught:
        jwks.with_key(desired, None)
    assert str(caught.value) == 'key_name: the project has no key k; create it first (apinizer_key).'
    with pytest.raises(InvalidInput) as caught:
        jwks.with_key(desired, key_on_server('SECRET_KEY', ('staging',)))
    assert str(caught.value) == ('key_name: key k is a secret key; a JWK is parsed from a public or private key only: '
                                 'name a PUBLIC_KEY or PRIVATE_KEY key.')
    with pytest.raises(InvalidInput) as caught:
        jwks.with_key(desired, key_on_server('PUBLIC_KEY', ('production', 'test')))
    assert str(caught.value) == 'environment: key k is not deployed to staging; it is deployed to production, test.'


def test_a_key_type_the_module_does_not_know_leaves_the_source_type_uncompared():
    desired = jwks.desired_jwk('j', 'key', key_name='k', environment='production', algorithm='RS256')
    unknown = jwks.with_key(desired, key_on_server('RSA'))
    assert unknown['source_type'] is None
    assert actions(jwks.plan(unknown, current(source_type='PRIVATE_KEY', source_id='key-id'), OPTIONS)) == [
        ('none', None)]


def test_a_pkcs12_keystore_jwk_is_compared_with_the_entry_public_key_when_the_password_is_given():
    data = testcerts.pkcs12_keystore(KEYSTORE_PASSWORD, key_entry=OLD, alias='ks-entry')
    desired = from_keystore(data, KEYSTORE_PASSWORD)
    assert (desired['jwk_type'], desired['public'], desired['source_type']) == ('RSA', members(OLD), 'KEYSTORE')
    (change,) = jwks.plan(desired, None, OPTIONS)
    assert (change.action, change.request.path) == ('create', '/apiops/projects/demo/jwks/parse-from-keystore')
    assert change.request.body()['json'] == {'name': 'j', 'description': '', 'keyStoreName': 'ks',
                                             'environmentName': 'production', 'aliasName': 'ks-entry',
                                             'useType': 'SIGNATURE', 'algorithm': 'RS256'}
    assert KEYSTORE_PASSWORD not in json.dumps([change.after, change.diff, change.request.body()])
    stored = dict(source_type='KEYSTORE', source_id='ks-id')
    assert actions(jwks.plan(desired, current(**stored), OPTIONS)) == [('none', None)]
    changes = jwks.plan(desired, current(issued=NEW, **stored), OPTIONS)  # rotated without the JWK following
    assert actions(changes) == [('delete', 'DELETE'), ('create', 'POST')]
    assert changes[1].diff['after']['public_members'] == members(OLD)


def test_a_keystore_file_that_cannot_be_read_leaves_the_public_members_uncompared():
    pkcs12 = testcerts.pkcs12_keystore(KEYSTORE_PASSWORD, key_entry=OLD, alias='ks-entry')
    for desired in (from_keystore(pkcs12), from_keystore(None, KEYSTORE_PASSWORD)):  # no password; no file
        assert (desired['jwk_type'], desired['public']) == (None, None)
        stored = current(issued=NEW, source_type='KEYSTORE', source_id='ks-id')
        assert actions(jwks.plan(desired, stored, OPTIONS)) == [('none', None)]


def test_a_jks_keystore_entry_is_read_without_the_password_and_a_given_password_is_checked():
    data = testcerts.jks_keystore(KEYSTORE_PASSWORD, {'ca': NEW}, key_entries={'ks-entry': OLD})
    assert from_keystore(data)['public'] == members(OLD)
    assert from_keystore(data, alias='ca')['public'] == members(NEW)
    with pytest.raises(InvalidInput) as caught:
        from_keystore(data, password='wrong-' + KEYSTORE_PASSWORD)
    assert str(caught.value) == ('keystore ks in production: the JKS file fails its integrity check with '
                                 'keystore_password: the password is wrong or the file is damaged.')
    assert KEYSTORE_PASSWORD not in str(caught.value)


def test_a_keystore_alias_missing_from_the_file_or_a_keystore_elsewhere_is_refused_before_any_write():
    data = testcerts.pkcs12_keystore(KEYSTORE_PASSWORD, key_entry=OLD, alias='ks-entry')
    with pytest.raises(InvalidInput) as caught:
        from_keystore(data, KEYSTORE_PASSWORD, alias='other')
    assert str(caught.value) == 'alias: keystore ks holds no entry other in its file for production; it holds ks-entry.'
    with pytest.raises(InvalidInput) as caught:
        from_keystore(data, 'wrong-' + KEYSTORE_PASSWORD)
    assert str(caught.value) == ('keystore ks in production: the PKCS#12 file cannot be opened with keystore_password: '
                                 'the password is wrong or the file is damaged.')
    desired = jwks.desired_jwk('j', 'keystore', keystore_name='ks', environment='staging', alias='a', algorithm='RS256')
    with pytest.raises(InvalidInput) as caught:
        jwks.with_keystore(desired, *keystore_on_server(data))
    assert str(caught.value) == 'environment: keystore ks is not deployed to staging; it is deployed to production.'
    with pytest.raises(InvalidInput) as caught:
        jwks.with_keystore(desired, None, {})
    assert str(caught.value) == ('keystore_name: the project has no keystore ks; create it first '
                                 '(apinizer_keystore).')


def test_a_url_jwk_sends_the_url_options_only_when_given_and_compares_the_source_url():
    desired = jwks.desired_jwk('j', 'url', source_url='http://127.0.0.1:8080/jwks.json', kid='k1', url_read_timeout=3000)
    (change,) = jwks.plan(desired, None, OPTIONS)
    assert (change.action, change.request.path) == ('create', '/apiops/projects/demo/jwks/parse-from-url')
    assert change.request.body()['json'] == {'name': 'j', 'description': '', 'url': 'http://127.0.0.1:8080/jwks.json',
                                             'kid': 'k1', 'urlOptionReadTimeout': 3000}
    assert change.after['source_url'] == 'http://127.0.0.1:8080/jwks.json' and change.after['type'] is None
    assert change.diff['after']['source_url'] == 'http://127.0.0.1:8080/jwks.json'
    plain = jwks.desired_jwk('j', 'url', source_url='https://idp.example.com/jwks', url_connect_timeout=1,
                             url_size_limit=4096)['fields']
    assert plain == {'name': 'j', 'description': '', 'url': 'https://idp.example.com/jwks',
                     'urlOptionConnectTimeout': 1, 'urlOptionSizeLimit': 4096}
    stored = dict(source_type='URL', source_id=None, kid='k1')
    held = dict(answer(**stored), sourceUrl='http://127.0.0.1:8080/jwks.json')
    assert actions(jwks.plan(desired, jwks.current_jwk(held), OPTIONS)) == [('none', None)]
    url = 'http://127.0.0.1:8080/jwks.json'
    for server, field, before, after in (
            (dict(held, sourceUrl='http://127.0.0.1:8080/other.json'), 'source_url', 'http://127.0.0.1:8080/other.json',
             url),
            (dict(held, sourceUrl=None), 'source_url', None, url),  # a PUT cut it loose
            (dict(held, kid='k0'), 'kid', 'k0', 'k1'),
            (dict(held, description='old'), 'description', 'old', '')):  # a PUT would cut it loose
        changes = jwks.plan(desired, jwks.current_jwk(server), OPTIONS)
        assert actions(changes) == [('delete', 'DELETE'), ('create', 'POST')], field
        assert (changes[1].diff['before'][field], changes[1].diff['after'][field]) == (before, after)


@pytest.mark.parametrize('kwargs, message', [
    (dict(source='key', environment='production', algorithm='RS256'), 'key_name is required with source=key.'),
    (dict(source='key', key_name='k', algorithm='RS256'), 'environment is required with source=key.'),
    (dict(source='key', key_name='k', environment='production'), 'algorithm is required with source=key.'),
    (dict(source='key', key_name='k', environment='production', algorithm='RS256', kid='x'),
     'kid: a JWK made from a key takes no kid; leave kid out.'),
    (dict(source='key', key_name='k/../x', environment='production', algorithm='RS256'), 'key_name'),
    (dict(source='keystore', environment='production', alias='a', algorithm='RS256'),
     'keystore_name is required with source=keystore.'),
    (dict(source='keystore', keystore_name='ks', environment='production', algorithm='RS256'),
     'alias is required with source=keystore.'),
    (dict(source='keystore', keystore_name='ks', environment='production', alias='a', algorithm='A128KW'),
     'algorithm: A128KW is not an algorithm for RSA/EC/OKP/OCT signature keys;'),
    (dict(source='keystore', keystore_name='ks', environment='production', alias='a', algorithm='RS256', kid='x'),
     'kid: a JWK made from a keystore takes no kid; leave kid out.'),
    (dict(source='url'), 'source_url is required with source=url: the address of the JWK or JWK Set (a JWKS '
     'endpoint).'),
    (dict(source='url', source_url='ftp://idp.example.com/jwks'), 'source_url: ftp://idp.example.com/jwks is not an http or '
     'https URL; give the full address, for example https://issuer.example.com/.well-known/jwks.json.'),
    (dict(source='url', source_url='https://idp.example.com:port/jwks'), 'source_url: https://idp.example.com:port/jwks is not an'),
    (dict(source='url', source_url='https://idp.example.com/jwks', url_connect_timeout=0),
     "url_connect_timeout: 0 is not a time in milliseconds; give a positive number or leave it out for the server's "
     "default."),
    (dict(source='url', source_url='https://idp.example.com/jwks', url_size_limit=-1),
     "url_size_limit: -1 is not a size in bytes; give a positive number or leave it out for the server's default."),
])
def test_bad_input_of_the_key_keystore_and_url_sources_is_refused_naming_the_option(kwargs, message):
    with pytest.raises(InvalidInput) as caught:
        jwks.desired_jwk('j', **kwargs)
    assert str(caught.value).startswith(message)


def test_an_existing_desired_jwk_call_keeps_its_behaviour():
    # The bundle module calls desired_jwk(name, 'certificate', ...) positionally and with_certificate / plan.
    desired = jwks.desired_jwk('j', 'certificate', 'd', None, 'c', 'production', 'signature', 'RS256')
    assert desired['fields'] == {'name': 'j', 'description': 'd', 'certificateName': 'c',
                                 'environmentName': 'production', 'useType': 'SIGNATURE', 'algorithm': 'RS256'}
    assert (desired['certificate_name'], desired['source_type']) == ('c', 'CERTIFICATE')
    (change,) = jwks.plan(jwks.with_certificate(desired, certificate_on_server(OLD)), None, OPTIONS)
    assert 'source_url' not in change.diff['after'] and 'source_url' not in change.after
