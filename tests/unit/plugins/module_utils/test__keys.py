# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.apinizer.apiops.plugins.module_utils import _keys as keys
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._pem import PemError
from apinizer_emulator import testcerts

RSA = testcerts.cached_key('rsa')
AES_256 = bytes(range(32))
AES_B64 = base64.b64encode(AES_256).decode('ascii')
PATH = '/apiops/projects/demo/keys/k/'
LIST_PATH = '/apiops/projects/demo/keys/'
OPTIONS = keys.KeyOptions('demo')


def env(name, alias='', content='Y29udGVudA==', fingerprint=None):
    return dict(name=name, alias=alias, content=content, public_key_sha256=fingerprint)


def server_key(environments, key_type='SECRET_KEY', description='', by_id=False):
    items = []
    for name, alias in environments:
        item = {'content': 'ENCRYPTED', 'alias': alias}
        item.update({'environmentId': 'id-' + name} if by_id else {'environmentName': name})
        items.append(item)
    return {'name': 'k', 'description': description, 'keyType': key_type, 'cryptoKeyInfoEnvironmentList': items}


def test_secret_key_from_base64_text_and_from_raw_file_bytes():
    assert keys.key_material('secret_key', content=AES_B64) == (AES_B64, None, None)
    assert keys.key_material('secret_key', content_bytes=AES_256) == (AES_B64, None, None)
    # line breaks in base64 text are tolerated
    assert keys.key_material('secret_key', content=AES_B64[:20] + '\n' + AES_B64[20:])[0] == AES_B64


@pytest.mark.parametrize('kwargs, text', [
    (dict(content=base64.b64encode(b'x' * 15).decode()), 'content: a secret key is 8 (DES), 16, 24 or 32 (AES, DESede) bytes long; this one has 15.'),
    (dict(content='not base64!'), 'content: a secret_key is given as base64 text of the raw key bytes; this is not base64.'),
    (dict(content_bytes=b'x' * 33, option='content_path'), 'content_path: a secret key is 8 (DES), 16, 24 or 32'),
])
def test_secret_key_refusals(kwargs, text):
    with pytest.raises(InvalidInput) as caught:
        keys.key_material('secret_key', **kwargs)
    assert text in str(caught.value)


def test_private_key_is_sent_as_base64_of_unencrypted_pkcs8_pem():
    encrypted = testcerts.private_key_text(RSA, fmt='traditional', passphrase='correct horse')
    content, fingerprint, _check = keys.key_material('private_key', content=encrypted, passphrase='correct horse')
    sent = base64.b64decode(content).decode('ascii')
    assert sent == testcerts.private_key_text(RSA)
    spki = base64.b64decode(''.join(testcerts.public_key_text(RSA).splitlines()[1:-1]))
    assert fingerprint == hashlib.sha256(spki).hexdigest().upper()


def inconsistent_rsa_pem():
    """An RSA private key whose CRT exponent does not belong to its primes: well formed, but not a valid key."""
    numbers = RSA.private_numbers()
    broken = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d, numbers.dmp1 + 2, numbers.dmq1, numbers.iqmp,
                                   numbers.public_numbers)
    return testcerts.private_key_text(broken.private_key(unsafe_skip_rsa_key_validation=True))


def test_a_private_key_is_checked_in_full_only_when_its_material_is_sent():
    material = keys.key_material('private_key', content=inconsistent_rsa_pem())
    assert material.public_key_sha256 == keys.key_material('private_key', content=testcerts.private_key_text(RSA))[1]
    desired = keys.desired_key('k', 'private_key', [dict(name='production', alias='', content=material.content,
                                                         public_key_sha256=material.public_key_sha256,
                                                         check=material.check)])
    stored = keys.current_key(server_key([('production', '')], key_type='PRIVATE_KEY'))
    converged = keys.plan(desired, stored, OPTIONS)
    keys.check_sent_material([converged])  # nothing is sent: the costly check does not run
    with pytest.raises(PemError) as caught:
        keys.check_sent_material([keys.plan(desired, stored, OPTIONS._replace(force=True))])
    assert str(caught.value) == 'content: the private key (PRIVATE KEY) is damaged and could not be loaded'


def test_public_key_is_sent_as_base64_of_its_pem_and_fingerprinted_like_the_private_half():
    content, fingerprint, check = keys.key_material('public_key', content=testcerts.public_key_text(RSA, 'pkcs1'))
    assert check is None
    assert base64.b64decode(content).decode('ascii') == testcerts.public_key_text(RSA)
    assert fingerprint == keys.key_material('private_key', content=testcerts.private_key_text(RSA))[1]


@pytest.mark.parametrize('key_type, content, kwargs, text', [
    ('private_key', testcerts.public_key_text(RSA), {}, 'content: expected a PEM private key, found a public key'),
    ('public_key', testcerts.private_key_text(RSA), {}, 'content: expected a PEM public key, found a private key'),
    ('private_key', testcerts.private_key_text(RSA, passphrase='pw'), {}, 'the private key is encrypted; set passphrase'),
    ('private_key', testcerts.private_key_text(RSA, passphrase='pw'), dict(passphrase='wrong'), 'passphrase is wrong'),
    ('private_key', 'garbage', {}, 'content: expected a PEM private key'),
])
def test_asymmetric_refusals_say_what_was_found(key_type, content, kwargs, text):
    with pytest.raises(PemError) as caught:
        keys.key_material(key_type, content=content, **kwargs)
    assert text in str(caught.value)


EC = testcerts.cached_key('ec')
ED25519 = testcerts.cached_key('ed25519')


@pytest.mark.parametrize('key_type, content, found', [
    ('private_key', testcerts.private_key_text(EC), 'EC (secp256r1)'),
    ('private_key', testcerts.private_key_text(EC, 'traditional'), 'EC (secp256r1)'),
    ('private_key', testcerts.private_key_text(ED25519), 'Ed25519'),
    ('public_key', testcerts.public_key_text(EC), 'EC (secp256r1)'),
    ('public_key', testcerts.public_key_text(ED25519), 'Ed25519'),
])
def test_a_key_the_api_cannot_hold_is_refused(key_type, content, found):
    with pytest.raises(InvalidInput) as caught:
        keys.key_material(key_type, content=content, option='environments[1].content')
    assert str(caught.value) == ('environments[1].content: the key is %s, but a %s (%s) on the Apinizer API is RSA only; '
                                 'give an RSA key.' % (found, key_type, keys.KEY_TYPES[key_type]))


def test_desired_key_requires_material_everywhere():
    with pytest.raises(InvalidInput, match='environments: no key content for staging'):
        keys.desired_key('k', 'secret_key', [env('production'), env('staging', content=None)])
    with pytest.raises(InvalidInput, match='names production more than once'):
        keys.desired_key('k', 'secret_key', [env('production'), env('production')])


def test_differences_ignore_content_and_order_but_see_aliases():
    desired = keys.desired_key('k', 'secret_key', [env('staging', 's'), env('production', 'p')])
    assert keys.differences(desired, keys.current_key(server_key([('production', 'p'), ('staging', 's')]))) == []
    assert keys.differences(desired, keys.current_key(server_key([('production', 'p'), ('staging', 'x')]))) == ['environments']
    assert keys.differences(desired, keys.current_key(server_key([('production', 'p')]))) == ['environments']
    assert keys.differences(desired, keys.current_key(server_key([('production', 'p'), ('staging', 's')], 'PRIVATE_KEY'))) == ['key_type']


def test_list_entries_resolve_environment_ids():
    current = keys.current_key(server_key([('production', 'p')], by_id=True), {'id-production': 'production'})
    assert current['environments'][0]['name'] == 'production'


@pytest.mark.parametrize('options, stored, action', [
    (OPTIONS, True, 'none'),
    (OPTIONS._replace(update_content='always'), True, 'update'),
    (OPTIONS._replace(force=True), True, 'update'),
    (OPTIONS, False, 'create'),
    (OPTIONS._replace(state='absent'), True, 'delete'),
    (OPTIONS._replace(state='absent'), False, 'none'),
])
def test_plan_sends_content_on_create_and_on_request_only(options, stored, action):
    wanted = keys.desired_key('k', 'secret_key', [env('production')]) if options.state == 'present' else keys.absent('k')
    change = keys.plan(wanted, keys.current_key(server_key([('production', '')])) if stored else None, options)
    assert (change.kind, change.name, change.action) == ('key', 'k', action)
    expected = dict(create=('POST', LIST_PATH), update=('PUT', PATH), delete=('DELETE', PATH)).get(action)
    assert (change.request.method, change.request.path) == expected if expected else change.request is None
    assert change.sends_material is (action in ('create', 'update'))


def test_an_update_carries_content_for_every_environment_it_names():
    desired = keys.desired_key('k', 'secret_key', [env('production', 'p', 'UFJPRA=='), env('staging', '', 'U1RBRw==')])
    change = keys.plan(desired, keys.current_key(server_key([('production', 'p')])), OPTIONS)
    assert change.action == 'update'
    assert change.request.params == {'jwkUpdateAction': 'NULLIFY', 'updateReferencedJwks': 'false'}
    assert change.request.body() == {'json': {
        'name': 'k', 'description': '', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [
            {'environmentName': 'production', 'content': 'UFJPRA==', 'alias': 'p'},
            {'environmentName': 'staging', 'content': 'U1RBRw=='}]}}
    assert change.diff == {'before': {'name': 'k', 'environments': [{'name': 'production', 'alias': 'p'}]},
                           'after': {'name': 'k', 'environments': [{'name': 'production', 'alias': 'p'},
                                                                   {'name': 'staging', 'alias': ''}]}}


def test_content_only_update_is_shown_without_material():
    desired = keys.desired_key('k', 'secret_key', [env('production', content=AES_B64)])
    change = keys.plan(desired, keys.current_key(server_key([('production', '')])),
                       OPTIONS._replace(update_content='always'))
    assert change.diff == {'before': {'name': 'k', 'content': 'stored'}, 'after': {'name': 'k', 'content': 'replaced'}}
    assert AES_B64 not in repr((change.before, change.after, change.diff))


def test_views_never_carry_material():
    desired = keys.desired_key('k', 'secret_key', [env('production', content=AES_B64)])
    change = keys.plan(desired, None, OPTIONS)
    assert AES_B64 not in repr((change.before, change.after, change.diff))
    assert change.after == {'name': 'k', 'description': '', 'key_type': 'secret_key',
                            'environments': [{'name': 'production', 'alias': ''}]}


def test_a_key_type_the_server_spells_its_own_way_is_not_compared():
    desired = keys.desired_key('k', 'private_key', [env('production')])
    assert keys.differences(desired, keys.current_key(server_key([('production', '')], key_type='RSA'))) == []


def test_the_diff_of_a_description_change_shows_only_the_description():
    desired = keys.desired_key('k', 'private_key', [env('production', fingerprint='AB' * 32)], description='new')
    current = keys.current_key(server_key([('production', '')], key_type='PRIVATE_KEY'))
    change = keys.plan(desired, current, OPTIONS)
    assert change.diff == {'before': {'name': 'k', 'description': ''}, 'after': {'name': 'k', 'description': 'new'}}
