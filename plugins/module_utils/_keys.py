# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Crypto keys: key material checks, the desired state from options, what the server holds, and plan(): the one
function that decides what to send for one key. Pure: no I/O.

Key content can never be read back (the server returns it encrypted), so only description, key type, the set of
environments and their aliases are compared; content is sent on create, on request, and with every update."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import functools
from collections import namedtuple

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._apply import (
    Change,
    Request,
    field_diff,
    planned_action,
    unchanged,
)
from ansible_collections.apinizer.apiops.plugins.module_utils._client import jwk_update_params, object_path
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import check_environment_list, check_name

KEY_TYPES = dict(secret_key='SECRET_KEY', private_key='PRIVATE_KEY', public_key='PUBLIC_KEY')
SECRET_KEY_LENGTHS = (8, 16, 24, 32)  # DES, AES-128, AES-192/DESede, AES-256
UPDATE_CONTENT = ('on_create', 'always')


class KeyOptions(namedtuple('KeyOptions', ['project', 'state', 'force', 'update_content', 'jwk_update_action',
                                           'jwk_update_scope'])):
    """How one key is planned: its project, state (present/absent), force, update_content and the JWK query of an
    update."""

    __slots__ = ()

    def __new__(cls, project, state='present', force=False, update_content='on_create', jwk_update_action='nullify',
                jwk_update_scope=None):
        return super(KeyOptions, cls).__new__(cls, project, state, force, update_content, jwk_update_action,
                                              jwk_update_scope)


def key_path(project, name=None):
    return object_path(project, 'keys', name)


class Material(namedtuple('Material', ['content', 'public_key_sha256', 'check'])):
    """Key material as it is sent: content (base64), the public key's SHA-256 fingerprint (None for secret keys),
    and check(), the consistency check of a private key (None when there is nothing more to check), which
    runs only for material about to be sent."""

    __slots__ = ()


def check_key_algorithm(key_type, public_key, option, alternative=''):
    """The API holds a PRIVATE_KEY or PUBLIC_KEY as RSA only: refuse any other key before the first request, rather
    than write a bundle's certificate and have the server refuse its key. alternative ends the fix (', or ...')."""
    if not _pem.is_rsa(public_key):
        raise InvalidInput('%s: the key is %s, but a %s (%s) on the Apinizer API is RSA only; give an RSA key%s.'
                           % (option, _pem.key_algorithm(public_key), key_type, KEY_TYPES[key_type], alternative))


def key_material(key_type, content=None, content_bytes=None, passphrase=None, option='content',
                 passphrase_option='passphrase', alternative='', private_key=None):
    """Check key material and return its Material.

    content is what the user typed (PEM text, or base64 of a secret key); content_bytes what a file held
    (PEM, or the raw secret key bytes); private_key a private key already loaded from a container (a PKCS#12
    file), which is then checked and sent as one read from PEM would be. Always checked here: base64 and length of a secret key, the PEM structure,
    key type and passphrase of a private or public key, that such a key is RSA (alternative: as for
    check_key_algorithm), and the public key, which the fingerprint (and a bundle's match with its certificate)
    needs. Raises InvalidInput / PemError naming the option (and passphrase_option, the option that holds the
    passphrase)."""
    if key_type == 'secret_key':
        if content_bytes is not None:
            raw = content_bytes
        else:
            try:
                raw = base64.b64decode(''.join((content or '').split()), validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput('%s: a secret_key is given as base64 text of the raw key bytes; this is not base64.'
                                   % option)
        if len(raw) not in SECRET_KEY_LENGTHS:
            raise InvalidInput('%s: a secret key is 8 (DES), 16, 24 or 32 (AES, DESede) bytes long; this one has %d.'
                               % (option, len(raw)))
        return Material(base64.b64encode(raw).decode('ascii'), None, None)
    data = content_bytes if content_bytes is not None else content
    check = None
    if key_type == 'private_key':
        if private_key is None:
            private_key = _pem.load_private_key(data, passphrase=passphrase, option=option,
                                                passphrase_option=passphrase_option, check_consistency=False)
        pem = _pem.private_key_to_pkcs8_pem(private_key)
        public_key = private_key.public_key()
        # The PEM names the key's label in a failed check; a key from a container has only the PKCS#8 it is sent as.
        check = functools.partial(_pem.check_private_key, private_key, pem if data is None else data, option=option)
    else:
        public_key = _pem.load_public_key(data, option=option)
        pem = _pem.public_key_pem(public_key)
    check_key_algorithm(key_type, public_key, option, alternative)
    return Material(base64.b64encode(pem.encode('ascii')).decode('ascii'),
                    _pem.public_key_sha256_fingerprint(public_key), check)


def check_sent_material(changes):
    """Run the consistency check of every key material that the changes send, each once, before the first write
    (in check mode too, so that it fails where the real run would). Raises PemError naming the option."""
    checked = set()
    for change in changes:
        if not change.sends_material:
            continue
        for entry in change.desired['environments']:
            check = entry.get('check')
            if check is not None and id(check) not in checked:
                checked.add(id(check))
                check()


def desired_key(name, key_type, environments, description=''):
    """The key as the user wants it. environments: list of dicts name, alias, content (base64 to send),
    public_key_sha256 -- as built by the module from its options. Raises InvalidInput."""
    check_name(name)
    if key_type not in KEY_TYPES:
        raise InvalidInput('key_type must be one of %s.' % ', '.join(sorted(KEY_TYPES)))
    check_environment_list([e['name'] for e in environments])
    missing = [e['name'] for e in environments if not e.get('content')]
    if missing:
        raise InvalidInput('environments: no key content for %s; give content or content_path (for all, or per '
                           'environment).' % ', '.join(sorted(missing)))
    return dict(name=name, description=description or '', key_type=key_type,
                environments=sorted(environments, key=lambda e: e['name']))


def absent(name):
    """The desired state of a key that must not exist."""
    return dict(name=name)


def current_key(entry, environment_names=None):
    """What the server holds, normalised. List entries name environments by id: pass environment_names
    ({id: name}) to resolve them; the get answer names them directly."""
    environment_names = environment_names or {}
    environments = []
    for item in entry.get('cryptoKeyInfoEnvironmentList') or []:
        name = item.get('environmentName') or environment_names.get(item.get('environmentId'))
        environments.append(dict(name=name, alias=item.get('alias') or '', environment_id=item.get('environmentId')))
    key_type = entry.get('keyType') or ''
    # Report whatever the server calls the type (older servers say RSA/EC); compare in our spelling.
    known = dict((v, k) for k, v in KEY_TYPES.items())
    return dict(name=entry.get('name'), description=entry.get('description') or '',
                key_type=known.get(key_type, key_type), environments=sorted(environments, key=lambda e: e['name'] or ''))


def _diff_fields(key):
    """What a diff shows of a key: its public fields without the name (added by the diff) and without fingerprints, which
    the server's side can never show, so that only real changes appear."""
    if not key:
        return {}
    shown = dict((k, v) for k, v in public_fields(key).items() if k != 'name')
    shown['environments'] = _public_environments(key['environments'])
    return shown


def _public_environments(environments):
    return [dict(name=e['name'], alias=e.get('alias') or '') for e in environments]


def differences(desired, current):
    """The compared fields that differ: description, key_type, and environments (the set with each alias). A type
    the server spells its own way (older servers say RSA or EC) cannot be compared, so it is not."""
    comparable = ('description', 'key_type') if current['key_type'] in KEY_TYPES else ('description',)
    changed = [field for field in comparable if desired[field] != current[field]]
    if _public_environments(desired['environments']) != _public_environments(current['environments']):
        changed.append('environments')
    return changed


def public_fields(key):
    """What the modules return about a key: never content, only public identity."""
    if not key:
        return {}
    environments = []
    for entry in key['environments']:
        item = dict(name=entry['name'], alias=entry.get('alias') or '')
        if entry.get('public_key_sha256'):
            item['public_key_sha256'] = entry['public_key_sha256']
        environments.append(item)
    return dict(name=key['name'], description=key['description'], key_type=key['key_type'], environments=environments)


def json_body(desired):
    """The JSON of a create or update, as keyword arguments of the client's request(). An update replaces the
    stored environment list, so it always carries every environment's content: an entry without content would
    blank that environment's key."""
    entries = []
    for entry in desired['environments']:
        item = dict(environmentName=entry['name'], content=entry['content'])
        if entry.get('alias'):
            item['alias'] = entry['alias']
        entries.append(item)
    return dict(json=dict(name=desired['name'], description=desired['description'],
                          keyType=KEY_TYPES[desired['key_type']], cryptoKeyInfoEnvironmentList=entries))


def plan(desired, current, options):
    """The one change that brings a key from current (None: absent on the server) to desired (absent(name) with
    options.state absent). Content cannot be compared, so it is sent on create, with update_content=always, with
    force, and with every update. Pure."""
    name = desired['name']
    present = options.state == 'present'
    after = public_fields(desired) if present else {}
    changed_fields = differences(desired, current) if present and current else []
    action = planned_action(present, bool(current),
                            options.force or options.update_content == 'always' or bool(changed_fields))
    if action == 'none':
        return unchanged('key', name, after, desired, options)
    before_diff, after_diff = _diff_fields(current), _diff_fields(desired if present else None)
    if action == 'update' and not changed_fields:
        # Only the (invisible) content changes: say so instead of showing an empty diff.
        before_diff['content'], after_diff['content'] = 'stored', 'replaced'
    if action == 'create':
        request = Request('POST', key_path(options.project), None, functools.partial(json_body, desired))
    elif action == 'update':
        request = Request('PUT', key_path(options.project, name),
                          jwk_update_params(options.jwk_update_action, options.jwk_update_scope),
                          functools.partial(json_body, desired))
    else:
        request = Request('DELETE', key_path(options.project, name), None, None)
    return Change('key', name, action, public_fields(current), after, field_diff(name, before_diff, after_diff), request, (),
                  None, desired, options, None, False)
