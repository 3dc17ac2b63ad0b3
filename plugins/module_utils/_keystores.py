# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Keystores: the file checks, the desired state from options, what the server holds, and plan(): the one function
that decides what to send for one keystore. Pure: no I/O.

The server answers each environment's file (base64) but never its password or, on documented servers, its alias.
Files are compared by their decoded bytes (as SHA-256, so that no copy of a file stays in the plan); where the
server returns no file, the file is sent on create, with update_content=always, with force, and with every update,
as for keys."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import functools
import hashlib
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

KEYSTORE_TYPES = dict(jks='JKS', pkcs12='PKCS12')
UPDATE_CONTENT = ('on_create', 'always')


class KeystoreOptions(namedtuple('KeystoreOptions', ['project', 'state', 'force', 'update_content',
                                                     'jwk_update_action', 'jwk_update_scope'])):
    """How one keystore is planned: as KeyOptions for a key."""

    __slots__ = ()

    def __new__(cls, project, state='present', force=False, update_content='on_create', jwk_update_action='nullify',
                jwk_update_scope=None):
        return super(KeystoreOptions, cls).__new__(cls, project, state, force, update_content, jwk_update_action,
                                                   jwk_update_scope)


def keystore_path(project, name=None):
    return object_path(project, 'keystores', name)


class Material(namedtuple('Material', ['file', 'file_sha256', 'keystore_type', 'certificates'])):
    """A keystore file as it is sent: file (base64), the SHA-256 of its bytes (compared with the server's), its
    type (jks or pkcs12) and the public facts of the certificates inside."""

    __slots__ = ()


def keystore_material(data, password, keystore_type=None, option='file', password_option='keystore_password',
                      type_option='keystore_type', now=None):
    """Open and check a keystore file (bytes, as read from file_path or decoded from file) with its password before
    any request (see _pem.open_keystore). Raises InvalidInput / PemError naming the option."""
    if not password:
        raise InvalidInput('%s: give the keystore password; the Apinizer API needs it with every keystore file.'
                           % password_option)
    contents = _pem.open_keystore(data, password, keystore_type, option=option, password_option=password_option,
                                  type_option=type_option, now=now)
    return Material(base64.b64encode(data).decode('ascii'), hashlib.sha256(data).hexdigest(), contents.keystore_type,
                    contents.certificates)


def decode_file_option(text, option='file'):
    """The bytes of a keystore file given as base64 text (line breaks allowed)."""
    try:
        return base64.b64decode(''.join((text or '').split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput('%s: give the keystore file as base64 text (or its path in file_path); this is not base64.'
                           % option)


def desired_keystore(name, environments, description=''):
    """The keystore as the user wants it. environments: list of dicts name, alias, password, and the Material
    fields (file, file_sha256, keystore_type, certificates), as built by the module. Raises InvalidInput."""
    check_name(name)
    check_environment_list([e['name'] for e in environments])
    missing = [e['name'] for e in environments if not e.get('file')]
    if missing:
        raise InvalidInput('environments: no keystore file for %s; give file or file_path (for all, or per '
                           'environment).' % ', '.join(sorted(missing)))
    return dict(name=name, description=description or '', environments=sorted(environments, key=lambda e: e['name']))


def absent(name):
    """The desired state of a keystore that must not exist."""
    return dict(name=name)


def _file_sha256(text):
    """SHA-256 of a file the server answered as base64, or None when it answered none (or no base64)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return hashlib.sha256(base64.b64decode(''.join(text.split()), validate=True)).hexdigest()
    except (binascii.Error, ValueError):
        return None


def current_keystore(entry):
    """What the server holds, normalised: per environment its name, type (type, or keyStoreType on servers that
    answer that), alias (None when the server does not answer one: documented servers never do) and file_sha256
    (None when no file came back). The file itself is not kept."""
    known = dict((v, k) for k, v in KEYSTORE_TYPES.items())
    environments = []
    for item in entry.get('keyStoreEnvironmentList') or []:
        spelled = item.get('keyStoreType') or item.get('type') or ''
        environments.append(dict(name=item.get('environmentName') or item.get('environmentId'),
                                 keystore_type=known.get(str(spelled).upper(), spelled), alias=item.get('alias'),
                                 file_sha256=_file_sha256(item.get('file'))))
    return dict(name=entry.get('name'), description=entry.get('description') or '',
                environments=sorted(environments, key=lambda e: e['name'] or ''))


def _compared_environments(desired, current):
    """Both sides' environments as they can be compared: name, type, the alias where the server answers one, and the
    file where the server answers one and the desired side knows its bytes (a file built when sent has none)."""
    by_name = dict((e['name'], e) for e in current['environments'])
    known_files = set(e['name'] for e in desired['environments'] if e.get('file_sha256'))
    mine, theirs = [], []
    for environment in desired['environments']:
        stored = by_name.get(environment['name'], {})
        item = dict(name=environment['name'], keystore_type=environment['keystore_type'])
        if stored.get('alias') is not None:
            item['alias'] = environment.get('alias') or ''
        if stored.get('file_sha256') and environment['name'] in known_files:
            item['file_sha256'] = environment['file_sha256']
        mine.append(item)
    for stored in current['environments']:
        item = dict(name=stored['name'], keystore_type=stored['keystore_type'])
        if stored.get('alias') is not None:
            item['alias'] = stored['alias'] or ''
        if stored.get('file_sha256') and stored['name'] in known_files:
            item['file_sha256'] = stored['file_sha256']
        theirs.append(item)
    return mine, theirs


def files_compared(desired, current):
    """Whether every file can be compared: the server answered each environment's file, and the desired side knows
    each file's bytes."""
    environments = current['environments'] + desired['environments']
    return all(e.get('file_sha256') for e in environments)


def differences(desired, current):
    """The compared fields that differ: description, and environments (the set, each type, the alias and the file
    where the server answers them)."""
    changed = ['description'] if desired['description'] != current['description'] else []
    mine, theirs = _compared_environments(desired, current)
    if mine != theirs:
        changed.append('environments')
    return changed


def _public_environment(entry):
    item = dict(name=entry['name'], keystore_type=entry.get('keystore_type') or '')
    if entry.get('alias') is not None:
        item['alias'] = entry.get('alias') or ''
    if entry.get('certificates') is not None:
        item['certificates'] = [dict(c) for c in entry['certificates']]
    return item


def public_fields(keystore):
    """What the modules return about a keystore: never its file or password; the certificates inside by fingerprint
    (for the files given in this run)."""
    if not keystore:
        return {}
    return dict(name=keystore['name'], description=keystore['description'],
                environments=[_public_environment(e) for e in keystore['environments']])


def _diff_fields(keystore, changed_fields):
    """What a diff shows: the changed fields only; environments with their type, alias and, on the desired side, the
    certificates inside by fingerprint (a stored file cannot be opened without its password, so that side shows
    whether its file differs, where the server answers one)."""
    if not keystore:
        return {}
    shown = dict((k, v) for k, v in public_fields(keystore).items() if k != 'name' and k in changed_fields)
    return shown


def json_body(desired, with_environments=True):
    """The JSON of a create or update. Every entry carries its file, password and type again (the API asks for
    them); the type goes as keyStoreType and, for older servers, as type. An update that changes only the
    description sends no environment list, which newer servers keep as it is."""
    body = dict(name=desired['name'], description=desired['description'])
    if with_environments:
        entries = []
        for entry in desired['environments']:
            item = dict(environmentName=entry['name'], file=entry['file'], password=entry['password'],
                        keyStoreType=KEYSTORE_TYPES[entry['keystore_type']], type=KEYSTORE_TYPES[entry['keystore_type']])
            if entry.get('alias'):
                item['alias'] = entry['alias']
            entries.append(item)
        body['keyStoreEnvironmentList'] = entries
    return dict(json=body)


def plan(desired, current, options, body=json_body):
    """The one change that brings a keystore from current (None: absent on the server) to desired (absent(name)
    with options.state absent). Files are compared where the server answers them and the desired side knows their
    bytes; otherwise, as for key content, they are sent on create, with update_content=always, with force, and with
    every update. body(desired, with_environments): the request's JSON (json_body, or one that builds the file when
    it is sent). Pure."""
    name = desired['name']
    present = options.state == 'present'
    after = public_fields(desired) if present else {}
    changed_fields = differences(desired, current) if present and current else []
    files_known = bool(present and current and files_compared(desired, current))
    resend = options.force or (options.update_content == 'always' and not files_known)
    action = planned_action(present, bool(current), resend or bool(changed_fields))
    if action == 'none':
        return unchanged('keystore', name, after, desired, options)
    description_only = changed_fields == ['description'] and not resend
    if action == 'update':
        # A file built when it is sent (its bytes unknown here) is shown by what goes in it, and said to be replaced.
        rebuilt = not description_only and not all(e.get('file_sha256') for e in desired['environments'])
        shown = set(changed_fields) | (set(['environments']) if rebuilt else set())
        before_diff, after_diff = _diff_fields(current, shown), _diff_fields(desired, shown)
        if not changed_fields or rebuilt:
            before_diff['file'], after_diff['file'] = 'stored', 'replaced'
    else:
        before_diff = _diff_fields(current, ('description', 'environments'))
        after_diff = _diff_fields(desired if present else None, ('description', 'environments'))
    if action == 'create':
        request = Request('POST', keystore_path(options.project), None, functools.partial(body, desired))
    elif action == 'update':
        request = Request('PUT', keystore_path(options.project, name),
                          jwk_update_params(options.jwk_update_action, options.jwk_update_scope),
                          functools.partial(body, desired, not description_only))
    else:
        request = Request('DELETE', keystore_path(options.project, name), None, None)
    return Change('keystore', name, action, public_fields(current), after, field_diff(name, before_diff, after_diff),
                  request, (), None, desired, options, None, False)
