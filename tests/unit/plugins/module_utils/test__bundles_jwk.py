# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The JWK a bundle publishes from its leaf (bundles[].jwk): input checks and planning."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles as bundles
from ansible_collections.apinizer.apiops.plugins.module_utils import _jwks, _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._server import ServerState
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.test__bundles import spec, stored
from apinizer_emulator import testcerts

LEAF = testcerts.make_certificate('jwk.example.com')
NEW_LEAF = testcerts.make_certificate('jwk-new.example.com')
EC_LEAF = testcerts.make_certificate('ec-jwk.example.com', key_kind='ec')
ENVIRONMENTS = ['production', 'staging']
PUBLIC = _pem.jwk_public_members(_pem.load_single_certificate(LEAF.cert_text).public_key())[1]


def jwk_spec(jwk=None, **fields):
    jwk_options = dict(name=None, environment=None, use='signature', algorithm=None, description=None)
    jwk_options.update(jwk or {})
    given = dict(certificate=LEAF.cert_text, jwk=jwk_options, jwk_update_action=None, jwk_update_scope=None)
    given.update(fields)
    return spec(**given)


def desired(jwk=None, **fields):
    return bundles.desired_bundle(jwk_spec(jwk, **fields), ENVIRONMENTS)


def listed_jwk(name='api', source_id='cert-id-1', jwk_type='RSA', description=''):
    return _jwks.current_jwk(dict(name=name, description=description, sourceType='CERTIFICATE', sourceId=source_id,
                                  sourceUrl=None, type=jwk_type, kid=None))


def server_with(bundle, leaf=True, jwks=()):
    certificates = [stored(bundle['certificates'][0])] if leaf else []
    return ServerState(certificates, [], list(jwks))


def jwk_changes(bundle, server):
    return [c for c in bundles.plan([bundle], server, 'demo') if c.kind == 'jwk']


def test_defaults_name_environment_use_algorithm_description_and_update_action():
    bundle = desired(description='TLS of jwk.example.com')
    jwk = bundle['jwk']
    assert (jwk['name'], jwk['environment'], jwk['use'], jwk['algorithm'], jwk['description']) == (
        'api', 'production', 'signature', 'RS256', 'TLS of jwk.example.com')
    assert (jwk['certificate_name'], jwk['jwk_type'], jwk['public']) == ('api', 'RSA', PUBLIC)
    assert (bundle['jwk_update_action'], bundle['jwk_update_scope']) == ('update', None)


def test_without_jwk_the_leaf_replace_still_nullifies():
    bundle = bundles.desired_bundle(spec(certificate=LEAF.cert_text), ENVIRONMENTS)
    assert bundle['jwk'] is None and bundle['jwk_update_action'] == 'nullify'
    server = ServerState([stored(bundles.desired_bundle(spec(certificate=NEW_LEAF.cert_text), ENVIRONMENTS)
                                 ['certificates'][0])], [])
    leaf = bundles.plan([bundle], server, 'demo')[0]
    assert leaf.action == 'update' and leaf.request.params == {'jwkUpdateAction': 'NULLIFY',
                                                               'updateReferencedJwks': 'false'}


@pytest.mark.parametrize('kind, algorithm, jwk_type', [
    ('ec', 'ES256', 'EC'), ('ec384', 'ES384', 'EC'), ('ed25519', 'EdDSA', 'OKP')])
def test_the_default_algorithm_follows_the_leaf_key(kind, algorithm, jwk_type):
    if kind == 'ec384':
        issued = testcerts.make_certificate('ec384.example.com', key=testcerts.new_key('ec', curve=ec.SECP384R1()))
    else:
        issued = testcerts.make_certificate('%s.example.com' % kind, key_kind=kind)
    jwk = desired(certificate=issued.cert_text)['jwk']
    assert (jwk['algorithm'], jwk['jwk_type']) == (algorithm, jwk_type)
    assert jwk['public']['x'] and 'd' not in jwk['public']


@pytest.mark.parametrize('fields, message', [
    (dict(jwk_update_action='nullify'),
     'bundle api: jwk and jwk_update_action=nullify cannot be combined: nullify cuts the JWK loose from the certificate '
     'on every rotation; leave jwk_update_action out (or set it to update), or remove jwk.'),
    (dict(jwk=dict(environment='moon')),
     'bundle api: jwk.environment: moon is not an environment of the bundle; give one of production, staging.'),
    (dict(jwk=dict(algorithm='ES256')),
     'bundle api: jwk.algorithm: ES256 is not an algorithm for RSA signature keys; give one of PS256, PS384, PS512, '
     'RS256, RS384, RS512.'),
    (dict(jwk=dict(use='encryption', algorithm='RS256')),
     'bundle api: jwk.algorithm: RS256 is not an algorithm for RSA encryption keys; give one of RSA-OAEP, '
     'RSA-OAEP-256, RSA-OAEP-384, RSA-OAEP-512, RSA1_5.'),
    (dict(jwk=dict(name='a b')),
     "bundle api: jwk.name 'a b' holds characters the Apinizer API cannot keep in a name; use only letters A-Z and "
     'a-z, digits, "_", "-" and "." (not first).'),
    (dict(certificate=None, public_key=testcerts.public_key_text(LEAF.key)),
     "bundle api: jwk needs certificate (or certificate_path, pkcs12_path or pkcs12): the JWK is parsed from the bundle's "
     'certificate.'),
])
def test_bad_jwk_options_are_refused_naming_the_options(fields, message):
    jwk = fields.pop('jwk', None)
    with pytest.raises(bundles.BundleError) as caught:
        desired(jwk, **fields)
    assert str(caught.value) == message


def test_encryption_with_an_ec_key_needs_an_algorithm():
    with pytest.raises(bundles.BundleError) as caught:
        desired(jwk=dict(use='encryption'), certificate=EC_LEAF.cert_text)
    assert str(caught.value).startswith('bundle api: jwk.algorithm: there is no default for a JWK of use encryption '
                                        'from a EC (secp256r1) key; give one of ECDH-ES, ')


def test_two_bundles_cannot_name_one_jwk():
    first = desired(jwk=dict(name='shared'))
    second = bundles.desired_bundle(dict(jwk_spec(dict(name='shared')), name='other'), ENVIRONMENTS)
    with pytest.raises(bundles.BundleError) as caught:
        bundles.check_copy_names_unique([first, second])
    assert str(caught.value) == ('bundle other: jwk.name shared is the JWK of bundle api too; give each bundle a JWK '
                                 'of its own.')


def test_a_new_jwk_is_created_after_the_leaf_from_the_leaf():
    bundle = desired(jwk=dict(name='api-jwk', environment='staging'))
    changes = bundles.plan([bundle], server_with(bundle, leaf=False), 'demo')
    assert [(c.kind, c.action) for c in changes] == [('certificate', 'create'), ('jwk', 'create')]
    jwk = changes[-1]
    assert jwk.depends_on == (('certificate', 'api'),) and jwk.group == 'api'
    assert jwk.request.path == '/apiops/projects/demo/jwks/parse-from-certificate'
    assert jwk.request.body()['json'] == dict(name='api-jwk', description='', certificateName='api',
                                              environmentName='staging', useType='SIGNATURE', algorithm='RS256')
    assert jwk.after['public_members'] == PUBLIC and jwk.diff['after']['source_type'] == 'CERTIFICATE'


def test_a_referenced_jwk_beside_an_unchanged_leaf_is_unchanged_from_the_list_alone():
    bundle = desired()
    changes = jwk_changes(bundle, server_with(bundle, jwks=[listed_jwk()]))
    assert [(c.action, c.read_first) for c in changes] == [('none', False)]
    assert changes[0].after['public_members'] == PUBLIC


@pytest.mark.parametrize('listed, field', [
    (listed_jwk(source_id=None), 'source_id'),
    (listed_jwk(jwk_type='EC'), 'type'),
    (listed_jwk(description='old'), 'description'),
])
def test_a_jwk_cut_loose_or_of_another_type_or_description_is_made_again(listed, field):
    bundle = desired()
    changes = jwk_changes(bundle, server_with(bundle, jwks=[listed]))
    assert [c.action for c in changes] == ['delete', 'create']
    assert changes[0].request.method == 'DELETE' and changes[0].request.path == '/apiops/projects/demo/jwks/api/'
    assert all(('certificate', 'api') in c.depends_on for c in changes)
    assert field in changes[1].diff['after']


def test_a_rotation_sends_update_and_then_checks_the_jwk():
    bundle = desired(jwk_update_scope='all_projects')
    old = bundles.desired_bundle(spec(certificate=NEW_LEAF.cert_text), ENVIRONMENTS)
    server = ServerState([stored(old['certificates'][0])], [], [listed_jwk()])
    changes = bundles.plan([bundle], server, 'demo')
    leaf, jwk = changes
    assert leaf.action == 'update' and leaf.request.params == {
        'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true', 'updateScope': 'ALL_PROJECTS'}
    # no write of its own: the executor reads it once after the leaf's replace
    assert (jwk.kind, jwk.action, jwk.request, jwk.read_first) == ('jwk', 'update', None, True)
    assert jwk.depends_on == (('certificate', 'api'),)
    assert jwk.desired['public'] == PUBLIC and jwk.after['public_members'] == PUBLIC
    assert jwk.diff == dict(before=dict(name='api', public_members='of the replaced certificate'),
                            after=dict(name='api', public_members=PUBLIC))


def test_a_leaf_update_that_keeps_the_certificate_leaves_the_jwk_unread():
    """A new alias replaces the leaf on the server, but the certificate and so the JWK's key stay: no check."""
    bundle = desired(alias='new-alias')
    server = server_with(desired(), jwks=[listed_jwk()])
    leaf, jwk = bundles.plan([bundle], server, 'demo')
    assert leaf.action == 'update' and leaf.diff['after']['alias'] == 'new-alias'
    assert (jwk.kind, jwk.action, jwk.request, jwk.read_first) == ('jwk', 'none', None, False)


def test_a_referenced_jwk_beside_a_leaf_created_now_is_made_again():
    bundle = desired()
    assert [c.action for c in jwk_changes(bundle, server_with(bundle, leaf=False, jwks=[listed_jwk()]))] == [
        'delete', 'create']


def test_force_makes_the_jwk_again():
    bundle = dict(desired(), force=True)
    assert [c.action for c in jwk_changes(bundle, server_with(bundle, jwks=[listed_jwk()]))] == ['delete', 'create']


def test_an_absent_bundle_deletes_its_jwk_first():
    present = desired(jwk=dict(name='api-jwk'))
    absent = bundles.desired_bundle(dict(jwk_spec(dict(name='api-jwk')), state='absent'), ENVIRONMENTS)
    server = ServerState([stored(present['certificates'][0])], [], [listed_jwk('api-jwk')])
    changes = bundles.plan([absent], server, 'demo')
    assert [(c.kind, c.action) for c in changes] == [('jwk', 'delete'), ('certificate', 'delete')]
    assert changes[1].depends_on == ()
    # nothing to delete when the server holds no such JWK
    assert [c.kind for c in bundles.plan([absent], ServerState([], [], []), 'demo')] == []


def test_bundles_without_jwk_name_no_jwk_to_read():
    assert bundles.jwk_names([bundles.desired_bundle(spec(certificate=LEAF.cert_text), ENVIRONMENTS)]) == []
    assert bundles.jwk_names([desired(jwk=dict(name='x'))]) == ['x']
