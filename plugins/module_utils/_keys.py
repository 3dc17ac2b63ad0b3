# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Crypto keys: key material checks, what the server holds, comparison, requests, and reconcile().

Key content can never be read back (the server returns it encrypted), so only description, key type, the set of
environments and their aliases are compared; content is sent on create, on request, and with every update."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, ApinizerError, Literal
from ansible_collections.apinizer.apiops.plugins.module_utils._common import (
    InvalidInput,
    changed_fields_diff,
    check_environments,
    check_name,
    deployment_failure_message,
    deployment_report,
    jwk_update_params,
    unwrap_one,
)

KEY_TYPES = dict(secret_key='SECRET_KEY', private_key='PRIVATE_KEY', public_key='PUBLIC_KEY')
SECRET_KEY_LENGTHS = (8, 16, 24, 32)  # DES, AES-128, AES-192/DESede, AES-256
UPDATE_CONTENT = ('on_create', 'always')


def key_path(project, name=None):
    if name is None:
        return ApinizerClient.project_path(project, Literal('keys'))
    return ApinizerClient.project_path(project, Literal('keys'), name)


def key_material(key_type, content=None, content_bytes=None, passphrase=None, option='content',
                 passphrase_option='passphrase'):
    """Check key material and return (base64 text to send, public-key SHA-256 fingerprint or None).

    content is what the user typed (PEM text, or base64 of a secret key); content_bytes what a file held
    (PEM, or the raw secret key bytes). Raises InvalidInput / PemError naming the option (and passphrase_option,
    the option that holds the passphrase)."""
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
        return base64.b64encode(raw).decode('ascii'), None
    data = content_bytes if content_bytes is not None else content
    if key_type == 'private_key':
        private_key = _pem.load_private_key(data, passphrase=passphrase, option=option,
                                            passphrase_option=passphrase_option)
        pem = _pem.private_key_to_pkcs8_pem(private_key)
        public_key = private_key.public_key()
    else:
        public_key = _pem.load_public_key(data, option=option)
        pem = _pem.public_key_pem(public_key)
    return base64.b64encode(pem.encode('ascii')).decode('ascii'), _pem.public_key_sha256_fingerprint(public_key)


def desired_key(name, key_type, environments, description=''):
    """The key as the user wants it. environments: list of dicts name, alias, content (base64 to send),
    public_key_sha256 -- as built by the module from its options. Raises InvalidInput."""
    check_name(name)
    if key_type not in KEY_TYPES:
        raise InvalidInput('key_type must be one of %s.' % ', '.join(sorted(KEY_TYPES)))
    check_environments([e['name'] for e in environments])
    missing = [e['name'] for e in environments if not e.get('content')]
    if missing:
        raise InvalidInput('environments: no key content for %s; give content or content_path (for all, or per '
                           'environment).' % ', '.join(sorted(missing)))
    return dict(name=name, description=description or '', key_type=key_type,
                environments=sorted(environments, key=lambda e: e['name']))


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


def _diff_view(key):
    """What a diff shows of a key: its view without the name (added by the diff) and without fingerprints, which
    the server's side can never show, so that only real changes appear."""
    if not key:
        return {}
    shown = dict((k, v) for k, v in view(key).items() if k != 'name')
    shown['environments'] = _public_environments(key['environments'])
    return shown


def _public_environments(environments):
    return [dict(name=e['name'], alias=e.get('alias') or '') for e in environments]


def differences(desired, current):
    """The compared fields that differ: description, key_type, and environments (the set with each alias). A type
    the server spells its own way (older servers say RSA or EC) cannot be compared, so it is not."""
    changed = [field for field in ('description', 'key_type') if desired[field] != current[field]
               and (field != 'key_type' or current[field] in KEY_TYPES)]
    if _public_environments(desired['environments']) != _public_environments(current['environments']):
        changed.append('environments')
    return changed


def plan(desired, current, state, update_content='on_create', force=False):
    """create, update, delete, or None."""
    if state == 'absent':
        return 'delete' if current else None
    if not current:
        return 'create'
    if force or update_content == 'always' or differences(desired, current):
        return 'update'
    return None


def view(key):
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


def body(desired):
    """The JSON of a create or update. An update replaces the stored environment list, so it always carries
    every environment's content: an entry without content would blank that environment's key."""
    entries = []
    for entry in desired['environments']:
        item = dict(environmentName=entry['name'], content=entry['content'])
        if entry.get('alias'):
            item['alias'] = entry['alias']
        entries.append(item)
    return dict(name=desired['name'], description=desired['description'], keyType=KEY_TYPES[desired['key_type']],
                cryptoKeyInfoEnvironmentList=entries)


def fetch(client, project, name):
    """One key from the get endpoint (environments by name), or None."""
    entry = unwrap_one(client.get_optional(key_path(project, name)))
    return current_key(entry) if entry else None


def fetch_all(client, project, names=None):
    """Every key of the project, environments by name. The list names them by id (newer servers): a key whose ids
    are not all known yet is read once through the get endpoint, which names them, and teaches
    - the ids it can pair without doubt (same alias on one entry each side, or a key in a single environment), and
    - which set of names a set of ids stands for, which settles any later key with that id set and one alias.
    With names, only those keys are resolved; the others keep unnamed environments."""
    entries = client.get(key_path(project)).get('resultList') or []
    names_by_id = {}
    names_by_id_set = {}
    keys = []
    for entry in entries:
        items = entry.get('cryptoKeyInfoEnvironmentList') or []
        ids = [item.get('environmentId') for item in items if not item.get('environmentName')]
        aliases = set(item.get('alias') or '' for item in items)
        if all(i in names_by_id for i in ids) or (names is not None and entry.get('name') not in names):
            keys.append(current_key(entry, names_by_id))
            continue
        if frozenset(ids) in names_by_id_set and len(ids) == len(items) and len(aliases) == 1:
            keys.append(_with_environments(entry, names_by_id_set[frozenset(ids)], aliases.pop()))
            continue
        named = fetch(client, project, entry.get('name'))
        if named is None:  # deleted between the list and the get
            continue
        names_by_id.update(_pair_ids(entry, named))
        if len(ids) == len(items) == len(named['environments']):
            names_by_id_set[frozenset(ids)] = [e['name'] for e in named['environments']]
        keys.append(named)
    return keys


def _with_environments(entry, environment_names, alias):
    """A listed key whose environments (all with one alias) are known by name."""
    key = current_key(dict(entry, cryptoKeyInfoEnvironmentList=[]))
    key['environments'] = [dict(name=name, alias=alias, environment_id=None) for name in sorted(environment_names)]
    return key


def _pair_ids(listed, named):
    """{environment id: name} for the entries of one key that pair without doubt."""
    listed_items = [i for i in listed.get('cryptoKeyInfoEnvironmentList') or [] if i.get('environmentId')]
    if len(listed_items) == 1 and len(named['environments']) == 1:
        return {listed_items[0]['environmentId']: named['environments'][0]['name']}
    pairs = {}
    for item in listed_items:
        alias = item.get('alias')
        listed_same = [i for i in listed_items if i.get('alias') == alias]
        named_same = [e for e in named['environments'] if e['alias'] == alias]
        if alias and len(listed_same) == 1 and len(named_same) == 1:
            pairs[item['environmentId']] = named_same[0]['name']
    return pairs


def reconcile(client, project, desired, current, state='present', check_mode=False, force=False,
              update_content='on_create', jwk_update_action='nullify', jwk_update_scope=None, check_environments=None):
    """Bring one key to the desired state; the result dict and check_environments are as in
    _certificates.reconcile."""
    name = (desired or current or {}).get('name')
    action = plan(desired, current, state, update_content, force)
    after = desired if state == 'present' else None
    result = dict(action='unchanged', changed=False, before=view(current), after=view(after),
                  diff=dict(before={}, after={}), deployment=None, failure=None, content_sent=False)
    if action is None:
        return result
    before_diff, after_diff = _diff_view(current), _diff_view(after)
    if action == 'update' and not differences(desired, current):
        # Only the (invisible) content changes: say so instead of showing an empty diff.
        before_diff['content'], after_diff['content'] = 'stored', 'replaced'
    result.update(action={'create': 'created', 'update': 'updated', 'delete': 'deleted'}[action], changed=True,
                  diff=changed_fields_diff(name, before_diff, after_diff), content_sent=action != 'delete')
    if check_environments and action != 'delete':
        check_environments([e['name'] for e in desired['environments']])
    if check_mode:
        return result
    try:
        if action == 'create':
            response = client.request('POST', key_path(project), json=body(desired))
        elif action == 'update':
            response = client.request('PUT', key_path(project, name), json=body(desired),
                                      params=jwk_update_params(jwk_update_action, jwk_update_scope))
        else:
            response = client.request('DELETE', key_path(project, name))
    except ApinizerError as exc:
        exc.planned_result = dict(result)
        raise
    report = deployment_report(response)
    result.update(deployment=report, failure=deployment_failure_message('Key', name, report))
    return result
