# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles as bundles
from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates, _keys, _keystores
from ansible_collections.apinizer.apiops.plugins.module_utils._server import ServerState, replan
from apinizer_emulator import testcerts

CHAIN = testcerts.make_chain('api.example.com')
OTHER = testcerts.make_certificate('other.example.com')
EC_LEAF = testcerts.make_certificate('ec.example.com', key_kind='ec')
SECRET = base64.b64encode(b'k' * 16).decode('ascii')
P12_PASSPHRASE = 'bundle-p12-passphrase-3f9a61c2'
# The CA certificates in the order a PKCS#12 exporter may keep them: not the chain's.
P12 = CHAIN.leaf.pkcs12([CHAIN.root, CHAIN.intermediate], passphrase=P12_PASSPHRASE)
P12_B64 = base64.b64encode(P12).decode('ascii')


def spec(**fields):
    base = dict(name='api', state='present', environments=None, description='', alias=None, certificate=None,
                certificate_path=None, chain=None, chain_path=None, private_key=None, private_key_path=None,
                private_key_passphrase=None, secret_key=None, secret_key_path=None, public_key=None,
                public_key_path=None, pkcs12=None, pkcs12_path=None, pkcs12_passphrase=None, update_content='on_create',
                force=False, allow_expired=False)
    base.update(fields)
    return base


def test_a_full_chain_pem_is_split_into_leaf_and_numbered_chain_certificates():
    bundle = bundles.desired_bundle(spec(certificate=CHAIN.bundle(), private_key=CHAIN.leaf.key_text(), alias='a'),
                                    ['production'])
    assert [(c['name'], c['alias']) for c in bundle['certificates']] == [
        ('api', 'a'), ('api-chain-1', 'a-chain-1'), ('api-chain-2', 'a-chain-2')]
    assert [c['der'] for c in bundle['certificates']] == [CHAIN.leaf.cert_der, CHAIN.intermediate.cert_der, CHAIN.root.cert_der]
    assert bundle['key']['key_type'] == 'private_key'
    assert bundle['key']['environments'][0]['alias'] == 'a'


@pytest.mark.parametrize('fields, text', [
    (dict(certificate=CHAIN.leaf.cert_text, private_key=OTHER.key_text()), 'bundle api: the private key for production does not match'),
    (dict(certificate=CHAIN.leaf.cert_text, chain=CHAIN.root.cert_text + CHAIN.intermediate.cert_text), 'bundle api: chain certificate 1'),
    (dict(certificate=testcerts.expired_certificate().cert_text), 'bundle api: the certificate (CN=expired.example.com) expired on'),
    (dict(certificate=testcerts.not_yet_valid_certificate().cert_text), 'is not valid before'),
    (dict(chain=CHAIN.root.cert_text), 'bundle api: chain needs certificate'),
    (dict(), 'bundle api: nothing to deploy'),
    (dict(certificate=CHAIN.leaf.cert_text, environments=[]), None),
    (dict(secret_key=base64.b64encode(b'x' * 15).decode()), 'bundle api: secret_key: a secret key is 8 (DES), 16, 24 or 32'),
    (dict(environments=[{'name': 'production', 'secret_key': SECRET}, 'staging']), 'bundle api: no secret_key for environment staging'),
    (dict(certificate='garbage'), 'bundle api: certificate: expected'),
    (dict(name='a b', certificate=CHAIN.leaf.cert_text), "bundle a b: name 'a b' holds characters"),
    (dict(certificate=CHAIN.leaf.cert_text, private_key=CHAIN.leaf.key_text(passphrase='pw')),
     'bundle api: private_key: the private key is encrypted; set private_key_passphrase'),
    (dict(certificate=CHAIN.leaf.cert_text, private_key=CHAIN.leaf.key_text(passphrase='pw'), private_key_passphrase='wrong'),
     'bundle api: private_key: could not decrypt the private key: private_key_passphrase is wrong'),
    (dict(certificate=EC_LEAF.cert_text, private_key=EC_LEAF.key_text()),
     'bundle api: private_key: the key is EC (secp256r1), but a private_key (PRIVATE_KEY) on the Apinizer API is RSA '
     'only; give an RSA key, or leave private_key out to deploy the certificate alone.'),
    (dict(environments=[{'name': 'production', 'private_key': EC_LEAF.key_text()}]),
     'bundle api: environments[0].private_key: the key is EC (secp256r1), but a private_key (PRIVATE_KEY) on the '
     'Apinizer API is RSA only; give an RSA key.'),
    (dict(public_key=testcerts.public_key_text(EC_LEAF.key)),
     'bundle api: public_key: the key is EC (secp256r1), but a public_key (PUBLIC_KEY) on the Apinizer API is RSA '
     'only; give an RSA key.'),
])
def test_bad_bundles_are_refused_naming_the_bundle(fields, text):
    if text is None:  # no environments here and none by default
        with pytest.raises(bundles.BundleError, match='no environments'):
            bundles.desired_bundle(spec(**fields), [])
        return
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(spec(**fields), ['production'])
    assert text in str(caught.value)


def test_a_certificate_with_an_ec_key_is_deployed_without_its_key():
    bundle = bundles.desired_bundle(spec(certificate=EC_LEAF.cert_text), ['production'])
    assert [c['name'] for c in bundle['certificates']] == ['api'] and bundle['key'] is None


def test_allow_expired_accepts_an_expired_certificate():
    bundle = bundles.desired_bundle(spec(certificate=testcerts.expired_certificate().cert_text, allow_expired=True), ['production'])
    assert bundle['certificates'][0]['facts']['expired'] is True


def test_names_must_not_collide_across_bundles():
    first = bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text, chain=CHAIN.intermediate.cert_text), ['production'])
    second = bundles.desired_bundle(spec(name='api-chain-1', certificate=OTHER.cert_text), ['production'])
    with pytest.raises(bundles.BundleError, match='bundle api-chain-1: the name is one that bundle api keeps for its chain'):
        bundles.check_names_unique([first, second])
    # even when bundle api has no chain now: it would delete a stored api-chain-1 as a chain left over
    leaf_only = bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text), ['production'])
    with pytest.raises(bundles.BundleError, match='keeps for its chain'):
        bundles.check_names_unique([leaf_only, second])


def test_names_given_twice_are_refused_in_one_pass():
    many = [bundles.desired_bundle(spec(name='b%d' % i, secret_key=SECRET), ['production']) for i in range(2000)]
    bundles.check_names_unique(many)
    with pytest.raises(bundles.BundleError, match='bundle b7: the name is given to more than one bundle'):
        bundles.check_names_unique(many + [many[7]])


def test_environments_must_exist():
    bundle = bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text, environments=['production', 'moon']), [])
    with pytest.raises(bundles.BundleError) as caught:
        bundles.refuse_unknown_environments_of([bundle], ['staging', 'production'], 'p')
    assert str(caught.value) == ('bundle api: environments: the project p has no environment moon; '
                                 'it has production, staging.')


def server_state(certificates=(), keys=()):
    return ServerState(list(certificates), list(keys))


def stored(desired):
    """The server's view of a desired certificate, as the list would give it."""
    return _certificates.current_certificate({'name': desired['name'], 'description': desired['description'],
                                              'certificateEnvironmentList': [
                                                  {'environmentName': e, 'alias': desired['alias'],
                                                   'sha1Thumbprint': desired['facts']['sha1_thumbprint'],
                                                   'base64EncodedContent': base64.b64encode(desired['der']).decode()}
                                                  for e in desired['environments']]})


def stored_key(name='api', key_type='PRIVATE_KEY'):
    return _keys.current_key({'name': name, 'keyType': key_type, 'description': '',
                              'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'alias': name}]})


def planned(changes):
    return [(c.group, c.kind, c.name, c.action, c.depends_on) for c in changes]


def test_a_new_bundle_plans_chain_then_leaf_then_the_key_that_depends_on_it():
    bundle = bundles.desired_bundle(spec(certificate=CHAIN.bundle(), private_key=CHAIN.leaf.key_text()), ['production'])
    assert planned(bundles.plan([bundle], server_state(), 'p')) == [
        ('api', 'certificate', 'api-chain-1', 'create', ()),
        ('api', 'certificate', 'api-chain-2', 'create', ()),
        ('api', 'certificate', 'api', 'create', (('certificate', 'api-chain-1'), ('certificate', 'api-chain-2'))),
        ('api', 'key', 'api', 'create', (('certificate', 'api'),))]


def test_a_new_leaf_sends_the_private_key_again_whatever_update_content_says():
    old = bundles.desired_bundle(spec(certificate=OTHER.cert_text, private_key=OTHER.key_text()), ['production'])
    new = bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text, private_key=CHAIN.leaf.key_text()), ['production'])
    changes = bundles.plan([new], server_state([stored(old['certificates'][0])], [stored_key()]), 'p')
    assert planned(changes) == [('api', 'certificate', 'api', 'update', ()),
                                ('api', 'key', 'api', 'update', (('certificate', 'api'),))]
    sent = changes[1].request.body()['json']['cryptoKeyInfoEnvironmentList'][0]['content']
    assert sent == new['key']['environments'][0]['content']
    assert changes[1].diff == {'before': {'name': 'api', 'content': 'stored'}, 'after': {'name': 'api', 'content': 'replaced'}}


def test_a_key_created_beside_a_new_leaf_is_not_forced():
    bundle = bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text, private_key=CHAIN.leaf.key_text()), ['production'])
    key_change = bundles.plan([bundle], server_state(), 'p')[-1]
    assert key_change.action == 'create' and not key_change.options.force


def test_a_converged_bundle_plans_nothing_and_extra_chain_certificates_are_deleted_after_the_leaf():
    with_chain = bundles.desired_bundle(spec(certificate=CHAIN.bundle(with_root=False)), ['production'])
    leaf_only = bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text), ['production'])
    state = server_state([stored(c) for c in with_chain['certificates']])
    assert [c.action for c in bundles.plan([with_chain], state, 'p')] == ['none', 'none']
    assert planned(bundles.plan([leaf_only], state, 'p')) == [
        ('api', 'certificate', 'api', 'none', ()),
        ('api', 'certificate', 'api-chain-1', 'delete', (('certificate', 'api'),))]


def test_an_absent_bundle_deletes_its_key_then_its_certificates():
    with_chain = bundles.desired_bundle(spec(certificate=CHAIN.bundle(with_root=False)), ['production'])
    state = server_state([stored(c) for c in with_chain['certificates']], [stored_key()])
    gone = bundles.desired_bundle(spec(state='absent'), [])
    assert planned(bundles.plan([gone], state, 'p')) == [
        ('api', 'key', 'api', 'delete', ()),
        ('api', 'certificate', 'api', 'delete', (('key', 'api'),)),
        ('api', 'certificate', 'api-chain-1', 'delete', (('key', 'api'), ('certificate', 'api')))]
    assert bundles.plan([gone], server_state(), 'p') == []


def test_every_change_comes_after_the_changes_it_depends_on():
    specs = [spec(name='b%d' % i, certificate=CHAIN.bundle(), private_key=CHAIN.leaf.key_text()) for i in range(3)]
    changes = bundles.plan([bundles.desired_bundle(s, ['production']) for s in specs], server_state(), 'p')
    seen = set()
    for change in changes:
        assert set(change.depends_on) <= seen
        seen.add(change.key)
    assert [c.group for c in changes] == ['b0'] * 4 + ['b1'] * 4 + ['b2'] * 4


def test_an_unquoted_number_in_an_environment_mapping_is_refused_before_any_write():
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(spec(certificate=CHAIN.leaf.cert_text, environments=[{'name': 'production', 'alias': 2024}]), [])
    assert str(caught.value) == 'bundle api: environments[0].alias must be text, not int; quote it.'


def stored_certificate(name):
    """A certificate the server holds under name (whoever put it there)."""
    return _certificates.current_certificate({'name': name, 'description': '', 'certificateEnvironmentList': [
        {'environmentName': 'production', 'alias': name, 'sha1Thumbprint': OTHER.sha1,
         'base64EncodedContent': base64.b64encode(OTHER.cert_der).decode()}]})


def pruning(bundle_list, certificate_names=(), key_names=(), pattern='team-a-.*'):
    state = server_state([stored_certificate(n) for n in certificate_names], [stored_key(n) for n in key_names])
    return planned(bundles.plan_prune(bundle_list, state, 'p', bundles.prune_pattern(pattern)))


def test_prune_deletes_only_undeclared_names_the_pattern_matches_in_full_key_before_certificate():
    kept = bundles.desired_bundle(spec(name='team-a-api', certificate=CHAIN.leaf.cert_text), ['production'])
    assert pruning([kept], ['team-a-old', 'team-a-api', 'team-b-web', 'old-team-a-x'], ['team-a-old', 'team-a-aes']) == [
        ('prune:team-a-aes', 'key', 'team-a-aes', 'delete', ()),
        ('prune:team-a-old', 'key', 'team-a-old', 'delete', ()),
        ('prune:team-a-old', 'certificate', 'team-a-old', 'delete', (('key', 'team-a-old'),))]


def test_prune_never_plans_the_chain_certificates_of_a_declared_bundle_whatever_their_number():
    kept = bundles.desired_bundle(spec(name='team-a-api', certificate=CHAIN.leaf.cert_text), ['production'])
    chains = ['team-a-api-chain-1', 'team-a-api-chain-2', 'team-a-api-chain-17']
    assert pruning([kept], chains + ['team-a-gone-chain-1']) == [
        ('prune:team-a-gone-chain-1', 'certificate', 'team-a-gone-chain-1', 'delete', ())]
    # The bundle itself deletes the chain certificates it no longer has: each is deleted once, by the bundle.
    state = server_state([stored_certificate(n) for n in chains])
    assert [c.name for c in bundles.plan([kept], state, 'p') if c.action == 'delete'] == chains


def test_an_absent_bundle_declares_its_names_so_its_deletes_are_not_planned_twice():
    gone = bundles.desired_bundle(spec(name='team-a-old', state='absent'), [])
    state = server_state([stored_certificate('team-a-old'), stored_certificate('team-a-old-chain-1')],
                         [stored_key('team-a-old')])
    assert bundles.plan_prune([gone], state, 'p', bundles.prune_pattern('team-a-.*')) == []
    assert [(c.kind, c.name) for c in bundles.plan([gone], state, 'p')] == [
        ('key', 'team-a-old'), ('certificate', 'team-a-old'), ('certificate', 'team-a-old-chain-1')]


def test_prune_with_no_bundles_deletes_every_match_and_nothing_else():
    assert [change[2] for change in pruning([], ['a', 'team-a-1', 'team-a-2'], ['b'], pattern='team-a-[0-9]')] == [
        'team-a-1', 'team-a-2']


class CountingPattern(object):
    """A compiled pattern that counts its fullmatch calls."""

    def __init__(self, text):
        self.pattern = bundles.prune_pattern(text)
        self.calls = 0

    def fullmatch(self, name):
        self.calls += 1
        return self.pattern.fullmatch(name)


def test_prune_planning_looks_at_each_server_name_once_whatever_the_number_of_bundles():
    specs = [spec(name='team-a-%d' % i, state='absent') for i in range(2000)]
    declared = [bundles.desired_bundle(s, []) for s in specs]
    names = ['team-a-%d' % i for i in range(4000)] + ['team-a-%d-chain-1' % i for i in range(4000)]
    state = server_state([stored_certificate(n) for n in names], [stored_key(n) for n in names[:4000]])
    pattern = CountingPattern('team-a-.*')
    changes = bundles.plan_prune(declared, state, 'p', pattern)
    assert pattern.calls == len(names) - len(declared)  # a declared name is not even matched
    # 2000 undeclared names, each with a key and a certificate, and 2000 chain certificates of no bundle.
    assert len(changes) == 2000 * 2 + 2000


@pytest.mark.parametrize('text, message', [
    ('', 'prune_match (role apinizer_deploy: apinizer_deploy_prune_match) is empty; give a regular expression that the '
         'whole name of every certificate and key to prune matches, for example "payments-.*".'),
    ('team-[a', "prune_match (role apinizer_deploy: apinizer_deploy_prune_match) 'team-[a' is not a valid Python "
                'regular expression: unterminated character set at position 5; fix the pattern (it must match the '
                'whole name).'),
])
def test_a_bad_prune_match_is_refused_naming_the_option_and_the_regex_error(text, message):
    with pytest.raises(bundles.InvalidInput) as caught:
        bundles.prune_pattern(text)
    assert str(caught.value) == message


# ---------------------------------------------------------------- PKCS#12 bundles

def p12_spec(**fields):
    given = dict(pkcs12=P12_B64, pkcs12_passphrase=P12_PASSPHRASE)
    given.update(fields)
    return spec(**given)


def test_a_pkcs12_bundle_is_the_bundle_of_the_same_pem_with_the_chain_put_in_order(tmp_path):
    as_pem = bundles.desired_bundle(spec(certificate=CHAIN.bundle(), private_key=CHAIN.leaf.key_text()), ['production'])
    path = tmp_path / 'api.p12'
    path.write_bytes(P12)
    for as_p12 in (bundles.desired_bundle(p12_spec(), ['production']),
                   bundles.desired_bundle(spec(pkcs12_path=str(path), pkcs12_passphrase=P12_PASSPHRASE), ['production'])):
        assert [(c['name'], c['der']) for c in as_p12['certificates']] == \
            [(c['name'], c['der']) for c in as_pem['certificates']]
        # the key goes out as the same PKCS#8 PEM, and is checked before it is sent
        assert [(e['content'], e['public_key_sha256']) for e in as_p12['key']['environments']] == \
            [(e['content'], e['public_key_sha256']) for e in as_pem['key']['environments']]
        assert as_p12['key']['environments'][0]['check'] is not None


def test_a_converged_pkcs12_bundle_plans_nothing():
    as_pem = bundles.desired_bundle(spec(certificate=CHAIN.bundle(), private_key=CHAIN.leaf.key_text()), ['production'])
    state = server_state([stored(c) for c in as_pem['certificates']], [stored_key()])
    assert [c.action for c in bundles.plan([bundles.desired_bundle(p12_spec(), ['production'])], state, 'p')] == \
        ['none', 'none', 'none', 'none']


EC_P12 = base64.b64encode(EC_LEAF.pkcs12(passphrase=P12_PASSPHRASE)).decode('ascii')
EXPIRED = testcerts.expired_certificate()


@pytest.mark.parametrize('fields, message', [
    (dict(pkcs12_passphrase=P12_PASSPHRASE + '-wrong'),
     'bundle api: pkcs12: could not open the PKCS#12 file: pkcs12_passphrase is wrong'),
    (dict(pkcs12=base64.b64encode(testcerts.pkcs12_file(None, CHAIN.leaf.certificate)).decode()),
     'bundle api: pkcs12: the PKCS#12 file holds no private key; export it with the private key of its certificate, '
     'or give the certificate as certificate_path to deploy it without a key'),
    (dict(pkcs12=base64.b64encode(testcerts.pkcs12_file(CHAIN.leaf.key)).decode()),
     'bundle api: pkcs12: the PKCS#12 file holds no certificate of its private key; export it with the certificate '
     'the key belongs to'),
    (dict(pkcs12=base64.b64encode(CHAIN.leaf.pkcs12([CHAIN.intermediate, OTHER])).decode()),
     'bundle api: pkcs12: the PKCS#12 file holds a certificate (CN=other.example.com) that did not issue its '
     'certificate (CN=api.example.com) or its chain; export the file with the certificate, its key and only the CA '
     'certificates that issued it, or give them as certificate_path, chain_path and private_key_path'),
    (dict(pkcs12=base64.b64encode(EXPIRED.pkcs12()).decode()),
     'bundle api: the certificate (CN=expired.example.com) expired on %s; renew it, or set allow_expired to deploy '
     'it anyway.' % bundles._pem.certificate_facts(EXPIRED.certificate)['not_after']),
    (dict(pkcs12=EC_P12),
     'bundle api: pkcs12: the key is EC (secp256r1), but a private_key (PRIVATE_KEY) on the Apinizer API is RSA only; '
     'give an RSA key, or give the certificate alone as certificate_path (PEM) to deploy it without its key.'),
    (dict(pkcs12='not base64 at all!'), 'bundle api: pkcs12: expected base64 text of a PKCS#12 file; this is not base64.'),
    (dict(pkcs12=None, pkcs12_path='/nonexistent/api.p12'),
     'bundle api: pkcs12_path: cannot read /nonexistent/api.p12: No such file or directory.'),
    (dict(pkcs12=None), 'bundle api: pkcs12_passphrase is given without a PKCS#12 file; give pkcs12_path (or pkcs12), '
     'or leave pkcs12_passphrase out.'),
], ids=['wrong passphrase', 'no key', 'no certificate', 'unrelated certificate', 'expired leaf', 'EC key',
        'not base64', 'unreadable file', 'passphrase alone'])
def test_a_bad_pkcs12_bundle_is_refused_naming_the_bundle_and_never_the_passphrase(fields, message):
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(p12_spec(**fields), ['production'])
    assert str(caught.value) == message
    assert P12_PASSPHRASE not in str(caught.value) and P12_B64[100:120] not in str(caught.value)


def test_an_expired_pkcs12_leaf_is_deployed_with_allow_expired():
    bundle = bundles.desired_bundle(p12_spec(pkcs12=base64.b64encode(EXPIRED.pkcs12()).decode(), allow_expired=True),
                                    ['production'])
    assert bundle['certificates'][0]['facts']['expired'] is True and bundle['key']['key_type'] == 'private_key'


@pytest.mark.parametrize('fields, other', [
    (dict(certificate=CHAIN.leaf.cert_text), 'certificate'),
    (dict(certificate_path='/tmp/api.pem'), 'certificate_path'),
    (dict(chain=CHAIN.intermediate.cert_text), 'chain'),
    (dict(chain_path='/tmp/ca.pem'), 'chain_path'),
    (dict(private_key=CHAIN.leaf.key_text()), 'private_key'),
    (dict(private_key_path='/tmp/api.key'), 'private_key_path'),
    (dict(private_key_passphrase='key-passphrase'), 'private_key_passphrase'),
    (dict(secret_key=SECRET), 'secret_key'),
    (dict(environments=['staging', {'name': 'production', 'private_key': CHAIN.leaf.key_text()}]),
     'environments[1].private_key'),
    (dict(environments=[{'name': 'production', 'private_key_path': '/tmp/api.key'}]), 'environments[0].private_key_path'),
])
def test_a_pkcs12_file_excludes_every_other_source_of_the_certificate_chain_and_key(fields, other):
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(p12_spec(**fields), ['production'])
    assert str(caught.value) == (
        'bundle api: pkcs12 and %s cannot be combined: the PKCS#12 file gives the certificate, its chain and its '
        'private key; remove %s, or give the bundle as PEM (certificate, chain and private_key, or their _path forms) '
        'instead of pkcs12.' % (other, other))


def test_a_pkcs12_bundle_keeps_per_environment_aliases():
    bundle = bundles.desired_bundle(p12_spec(environments=[{'name': 'production', 'alias': 'prod-api'}, 'staging']), [])
    assert [(e['name'], e['alias']) for e in bundle['key']['environments']] == [('production', 'prod-api'), ('staging', 'api')]


# --- bundles[].keystore: the certificate and key stored also as a PKCS#12 keystore --------------------------------

KEYSTORE_PASSWORD = 'bundle-keystore-password-7c1e90d4'


def keystore_spec(keystore=None, **fields):
    base = dict(certificate=CHAIN.bundle(with_root=False), private_key=CHAIN.leaf.key_text(), description='tls',
                keystore=dict(dict(password=KEYSTORE_PASSWORD, name=None, alias=None, description=None),
                              **(keystore or {})))
    base.update(fields)
    return spec(**base)


def stored_keystore(name='api', description='tls', environments=('production',), keystore_type='PKCS12'):
    return _keystores.current_keystore({'name': name, 'description': description, 'keyStoreEnvironmentList': [
        {'environmentName': e, 'type': keystore_type, 'file': base64.b64encode(b'any stored file').decode()}
        for e in environments]})


def converged_state(bundle, keystores=()):
    key = stored_key()
    key['description'] = bundle['key']['description']
    return ServerState([stored(c) for c in bundle['certificates']], [key], keystores=list(keystores))


def opened(change):
    """The body of a keystore change, with its file opened with the password (cryptography)."""
    body = change.request.body()['json']
    entries = body['keyStoreEnvironmentList']
    assert len(set(e['file'] for e in entries)) == 1  # the same file in every environment
    loaded = pkcs12.load_pkcs12(base64.b64decode(entries[0]['file']), KEYSTORE_PASSWORD.encode())
    return body, loaded


def test_a_new_bundle_with_a_keystore_creates_it_last_from_the_leaf_chain_and_key():
    bundle = bundles.desired_bundle(keystore_spec(), ['production', 'staging'])
    changes = bundles.plan([bundle], server_state(), 'p')
    assert planned(changes)[-1] == ('api', 'keystore', 'api', 'create', (('certificate', 'api-chain-1'),
                                                                         ('certificate', 'api'), ('key', 'api')))
    body, loaded = opened(changes[-1])
    assert [(e['environmentName'], e['keyStoreType'], e['alias'], e['password']) for e in body['keyStoreEnvironmentList']] == [
        ('production', 'PKCS12', 'api', KEYSTORE_PASSWORD), ('staging', 'PKCS12', 'api', KEYSTORE_PASSWORD)]
    assert body['name'] == 'api' and body['description'] == 'tls'
    assert loaded.cert.certificate.public_bytes(serialization.Encoding.DER) == CHAIN.leaf.cert_der
    assert loaded.cert.friendly_name == b'api'
    assert [c.certificate.public_bytes(serialization.Encoding.DER) for c in loaded.additional_certs] == [
        CHAIN.intermediate.cert_der]
    assert loaded.key.public_key().public_numbers() == CHAIN.leaf.key.public_key().public_numbers()
    assert changes[-1].diff['before'] == {}
    shown = changes[-1].diff['after']['environments'][0]['certificates']
    assert [(c['private_key'], c['sha256_fingerprint']) for c in shown] == [
        (True, hashlib.sha256(CHAIN.leaf.cert_der).hexdigest().upper()),
        (False, hashlib.sha256(CHAIN.intermediate.cert_der).hexdigest().upper())]
    assert KEYSTORE_PASSWORD not in repr(changes[-1].diff) + repr(changes[-1].after) + repr(changes[-1].before)


def test_a_converged_bundle_with_its_keystore_plans_nothing_and_builds_no_file(monkeypatch):
    bundle = bundles.desired_bundle(keystore_spec(), ['production'])
    monkeypatch.setattr(bundles._pem, 'build_pkcs12', lambda *a, **kw: pytest.fail('a file was built'))
    changes = bundles.plan([bundle], converged_state(bundle, [stored_keystore()]), 'p')
    assert [(c.kind, c.action) for c in changes] == [('certificate', 'none'), ('certificate', 'none'), ('key', 'none'),
                                                     ('keystore', 'none')]


def test_the_keystore_follows_a_new_leaf_with_the_new_leaf_inside():
    old = bundles.desired_bundle(keystore_spec(certificate=OTHER.cert_text, private_key=OTHER.key_text()), ['production'])
    new = bundles.desired_bundle(keystore_spec(certificate=CHAIN.leaf.cert_text), ['production'])
    state = ServerState([stored(old['certificates'][0])], [stored_key()], keystores=[stored_keystore()])
    changes = bundles.plan([new], state, 'p')
    assert planned(changes) == [('api', 'certificate', 'api', 'update', ()),
                                ('api', 'key', 'api', 'update', (('certificate', 'api'),)),
                                ('api', 'keystore', 'api', 'update', (('certificate', 'api'), ('key', 'api')))]
    _body, loaded = opened(changes[-1])
    assert loaded.cert.certificate.public_bytes(serialization.Encoding.DER) == CHAIN.leaf.cert_der
    assert changes[-1].diff['before']['file'] == 'stored' and changes[-1].diff['after']['file'] == 'replaced'
    assert changes[-1].diff['after']['environments'][0]['certificates'][0]['subject'] == 'CN=api.example.com'


def test_the_keystore_follows_a_new_chain_alone_with_the_new_chain_inside():
    bundle = bundles.desired_bundle(keystore_spec(), ['production'])
    state = converged_state(bundle, [stored_keystore()])
    del state.certificates['api-chain-1']  # the server holds the leaf and key, but not the chain certificate
    changes = bundles.plan([bundle], state, 'p')
    assert [(c.kind, c.name, c.action) for c in changes] == [
        ('certificate', 'api-chain-1', 'create'), ('certificate', 'api', 'none'), ('key', 'api', 'none'),
        ('keystore', 'api', 'update')]
    assert ('certificate', 'api-chain-1') in changes[-1].depends_on
    assert [c.certificate.public_bytes(serialization.Encoding.DER) for c in opened(changes[-1])[1].additional_certs] == [
        CHAIN.intermediate.cert_der]


@pytest.mark.parametrize('fields, query', [
    (dict(), {'jwkUpdateAction': 'NULLIFY', 'updateReferencedJwks': 'false'}),
    (dict(jwk_update_action='update'), {'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true',
                                        'updateScope': 'SAME_PROJECT'}),
])
def test_the_key_and_keystore_writes_carry_the_bundles_jwk_query(fields, query):
    """JWKs made from the bundle's key or keystore follow them as those made from its certificate do."""
    old = bundles.desired_bundle(keystore_spec(certificate=OTHER.cert_text, private_key=OTHER.key_text()), ['production'])
    new = bundles.desired_bundle(keystore_spec(certificate=CHAIN.leaf.cert_text, **fields), ['production'])
    state = ServerState([stored(old['certificates'][0])], [stored_key()], keystores=[stored_keystore()])
    changes = bundles.plan([new], state, 'p')
    assert [(c.kind, c.request.params) for c in changes] == [('certificate', query), ('key', query), ('keystore', query)]


@pytest.mark.parametrize('fields, expected', [
    (dict(force=True), 'update'),
    (dict(update_content='always'), 'update'),
    (dict(environments=['production', 'staging']), 'update'),
])
def test_the_keystore_is_sent_again_with_force_always_or_other_environments(fields, expected):
    bundle = bundles.desired_bundle(keystore_spec(**fields), ['production'])
    state = converged_state(bundle, [stored_keystore()])
    assert bundles.plan([bundle], state, 'p')[-1].action == expected


def test_a_stored_jks_keystore_of_the_same_name_is_replaced_by_the_pkcs12():
    bundle = bundles.desired_bundle(keystore_spec(), ['production'])
    change = bundles.plan([bundle], converged_state(bundle, [stored_keystore(keystore_type='JKS')]), 'p')[-1]
    assert change.action == 'update' and opened(change)[0]['keyStoreEnvironmentList'][0]['keyStoreType'] == 'PKCS12'


def test_a_changed_description_alone_updates_the_keystore_without_its_file():
    bundle = bundles.desired_bundle(keystore_spec(keystore=dict(description='mTLS keystore')), ['production'])
    change = bundles.plan([bundle], converged_state(bundle, [stored_keystore()]), 'p')[-1]
    assert (change.action, change.request.method) == ('update', 'PUT')
    assert change.request.body() == {'json': {'name': 'api', 'description': 'mTLS keystore'}}
    assert change.diff == {'before': {'name': 'api', 'description': 'tls'},
                           'after': {'name': 'api', 'description': 'mTLS keystore'}}


def test_keystore_name_alias_and_description_can_differ_from_the_bundle():
    bundle = bundles.desired_bundle(keystore_spec(alias='tls-alias', keystore=dict(name='api-ks', alias='client',
                                                                                   description='')), ['production'])
    change = bundles.plan([bundle], server_state(), 'p')[-1]
    body, loaded = opened(change)
    assert (change.name, body['description'], body['keyStoreEnvironmentList'][0]['alias']) == ('api-ks', '', 'client')
    assert loaded.cert.friendly_name == b'client'
    without = bundles.desired_bundle(keystore_spec(alias='tls-alias'), ['production'])
    assert without['keystore']['environments'][0]['alias'] == 'tls-alias'


def test_an_absent_bundle_with_a_keystore_deletes_it_before_its_key_and_certificates():
    present = bundles.desired_bundle(keystore_spec(keystore=dict(name='api-ks')), ['production'])
    gone = bundles.desired_bundle(spec(state='absent', keystore=dict(password=KEYSTORE_PASSWORD, name='api-ks')), [])
    changes = bundles.plan([gone], converged_state(present, [stored_keystore('api-ks')]), 'p')
    assert [(c.kind, c.name, c.action) for c in changes] == [
        ('keystore', 'api-ks', 'delete'), ('key', 'api', 'delete'), ('certificate', 'api', 'delete'),
        ('certificate', 'api-chain-1', 'delete')]
    assert changes[0].request.method == 'DELETE'
    assert bundles.plan([gone], server_state(), 'p') == []
    # An absent bundle needs no password to delete its keystore.
    without_password = bundles.desired_bundle(spec(state='absent', keystore=dict(password=None, name='api-ks')), [])
    assert [(c.kind, c.name) for c in bundles.plan([without_password], converged_state(present, [
        stored_keystore('api-ks')]), 'p')][0] == ('keystore', 'api-ks')


@pytest.mark.parametrize('fields, message', [
    (dict(private_key=None), 'bundle api: keystore: a keystore holds the certificate and its private key, but the '
     'bundle has no private key; give certificate and private_key (or their _path forms, or pkcs12_path), or leave '
     'keystore out.'),
    (dict(certificate=None, private_key=None, secret_key=SECRET), 'bundle api: keystore: a keystore holds the '
     'certificate and its private key, but the bundle has no certificate; give certificate and private_key (or their '
     '_path forms, or pkcs12_path), or leave keystore out.'),
    (dict(keystore=dict(password='')), 'bundle api: keystore.password is missing or empty; give the password that protects the '
     'PKCS#12 keystore (the API needs it with the file).'),
    (dict(keystore=dict(password=None)), 'bundle api: keystore.password is missing or empty; give the password that protects '
     'the PKCS#12 keystore (the API needs it with the file).'),
    (dict(keystore=dict(name='a b')), "bundle api: keystore.name 'a b' holds characters"),
])
def test_a_bad_keystore_is_refused_naming_the_bundle_and_the_option(fields, message):
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(keystore_spec(**fields), ['production'])
    assert str(caught.value).startswith(message)


def test_a_keystore_name_given_twice_in_the_run_is_refused():
    first = bundles.desired_bundle(keystore_spec(name='a', keystore=dict(name='shared')), ['production'])
    second = bundles.desired_bundle(keystore_spec(name='b', keystore=dict(name='shared')), ['production'])
    with pytest.raises(bundles.BundleError) as caught:
        bundles.check_copy_names_unique([first, second])
    assert str(caught.value) == ("bundle b: keystore.name shared is the keystore of bundle a too; give each bundle's "
                                 "keystore its own name.")
    # Keystores are their own namespace: a keystore may bear the name of another bundle.
    bundles.check_copy_names_unique([first, bundles.desired_bundle(keystore_spec(name='c', keystore=dict(name='a')),
                                                                   ['production'])])


def test_a_keystore_change_planned_again_from_a_fresh_read_stays_a_bundle_keystore():
    # A create whose answer was lost: the keystore is there now, and since the leaf was sent in this run, the
    # keystore built from it is sent again (its file is never compared).
    bundle = bundles.desired_bundle(keystore_spec(), ['production'])
    change = bundles.plan([bundle], server_state(), 'p')[-1]._replace(group='api')

    class Reader(object):
        def get_one(self, path):
            return {'name': 'api', 'description': 'tls', 'keyStoreEnvironmentList': [
                {'environmentName': 'production', 'type': 'PKCS12', 'file': 'QUJD'}]}

    again = replan(Reader(), change)
    assert (again.action, again.request.method, again.group) == ('update', 'PUT', 'api')
    assert opened(again)[1].cert.certificate.public_bytes(serialization.Encoding.DER) == CHAIN.leaf.cert_der
    unforced = replan(Reader(), change._replace(options=change.options._replace(force=False)))
    assert unforced.action == 'none'
