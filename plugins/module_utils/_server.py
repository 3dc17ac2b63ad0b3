# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Reading what the server holds: certificates, keys and keystores, one or all, normalised by the resource layers; and
replan(), which the executor calls to plan a change again from a fresh read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles, _certificates, _jwks, _keys, _keystores
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput


def read_certificate(client, project, name):
    """One certificate (with content), or None."""
    return _certificates.entry_from_answer(client.get_one(_certificates.certificate_path(project, name)))


def read_certificates(client, project):
    return _certificates.entries_from_list(client.get(_certificates.certificate_path(project)))


def read_key(client, project, name):
    """One key from its get endpoint (environments by name), or None."""
    entry = client.get_one(_keys.key_path(project, name))
    return _keys.current_key(entry) if entry else None


def read_keys(client, project, names=None, resolve=None):
    """Every key of the project, environments by name. The list names them by id (newer servers): a key whose ids
    are not all known yet is read once through the get endpoint, which names them, and teaches
    - the ids it can pair without doubt (same alias on one entry each side, or a key in a single environment), and
    - which set of names a set of ids stands for, which settles any later key with that id set and one alias.
    With names, only those keys are resolved, and those whose name resolve (a predicate, or None) accepts; the others
    keep unnamed environments."""
    entries = client.get(_keys.key_path(project)).get('resultList') or []
    names_by_id = {}
    names_by_id_set = {}
    wanted = set(names) if names is not None else None
    keys = []
    for entry in entries:
        items = entry.get('cryptoKeyInfoEnvironmentList') or []
        ids = [item.get('environmentId') for item in items if not item.get('environmentName')]
        aliases = set(item.get('alias') or '' for item in items)
        unwanted = wanted is not None and entry.get('name') not in wanted and not (resolve and resolve(entry.get('name')))
        if all(i in names_by_id for i in ids) or unwanted:
            keys.append(_keys.current_key(entry, names_by_id))
            continue
        if frozenset(ids) in names_by_id_set and len(ids) == len(items) and len(aliases) == 1:
            keys.append(_with_environments(entry, names_by_id_set[frozenset(ids)], aliases.pop()))
            continue
        named = read_key(client, project, entry.get('name'))
        if named is None:  # deleted between the list and the get
            continue
        names_by_id.update(_pair_ids(entry, named))
        if len(ids) == len(items) == len(named['environments']):
            names_by_id_set[frozenset(ids)] = [e['name'] for e in named['environments']]
        keys.append(named)
    return keys


def _with_environments(entry, environment_names, alias):
    """A listed key whose environments (all with one alias) are known by name."""
    key = _keys.current_key(dict(entry, cryptoKeyInfoEnvironmentList=[]))
    key['environments'] = [dict(name=name, alias=alias, environment_id=None) for name in sorted(environment_names)]
    return key


def _pair_ids(listed, named):
    """{environment id: name} for the entries of one key that pair without doubt."""
    listed_items = [i for i in listed.get('cryptoKeyInfoEnvironmentList') or [] if i.get('environmentId')]
    if len(listed_items) == 1 and len(named['environments']) == 1:
        return {listed_items[0]['environmentId']: named['environments'][0]['name']}
    listed_by_alias, named_by_alias = {}, {}
    for item in listed_items:
        listed_by_alias.setdefault(item.get('alias'), []).append(item)
    for environment in named['environments']:
        named_by_alias.setdefault(environment['alias'], []).append(environment)
    return dict((items[0]['environmentId'], named_by_alias[alias][0]['name'])
                for alias, items in listed_by_alias.items()
                if alias and len(items) == 1 and len(named_by_alias.get(alias, ())) == 1)


def read_keystore(client, project, name):
    """One keystore from its get endpoint, or None."""
    entry = client.get_one(_keystores.keystore_path(project, name))
    return _keystores.current_keystore(entry) if entry else None


def read_keystore_files(client, project, name):
    """One keystore from its get endpoint, and the bytes of each environment's file ({environment name: bytes}; an
    environment whose file did not come back, or not as base64, is left out): (None, {}) when there is none. The
    files stay in memory: never in a result."""
    entry = client.get_one(_keystores.keystore_path(project, name))
    if not entry:
        return None, {}
    files = {}
    for item in entry.get('keyStoreEnvironmentList') or []:
        if item.get('environmentName') and isinstance(item.get('file'), str) and item['file']:
            try:
                files[item['environmentName']] = _keystores.decode_file_option(item['file'])
            except InvalidInput:
                continue
    return _keystores.current_keystore(entry), files


def read_keystores(client, project):
    """Every keystore of the project. A list entry that names its environments by id only (the key list of newer
    servers does; no keystore page says a keystore list does) is read again through its get endpoint."""
    keystores = []
    for entry in client.get(_keystores.keystore_path(project)).get('resultList') or []:
        items = entry.get('keyStoreEnvironmentList') or []
        if any(not item.get('environmentName') for item in items):
            named = read_keystore(client, project, entry.get('name'))
            if named is not None:  # else deleted between the list and the get
                keystores.append(named)
            continue
        keystores.append(_keystores.current_keystore(entry))
    return keystores


def read_jwk(client, project, name):
    """One JWK with its public members, or None. Its GET answer holds private members in clear: only what
    current_jwk() keeps of it leaves this function."""
    entry = client.get_one(_jwks.jwk_path(project, name))
    return _jwks.current_jwk(entry) if entry else None


def read_jwks(client, project):
    """Every JWK of the project from the list, which carries no material (public members None)."""
    return [_jwks.current_jwk(entry) for entry in client.get(_jwks.jwk_path(project)).get('resultList') or []]


READERS = dict(certificate=read_certificate, key=read_key, keystore=read_keystore, jwk=read_jwk)
LIST_READERS = dict(certificate=read_certificates, key=read_keys, keystore=read_keystores, jwk=read_jwks)
PLANNERS = dict(certificate=_certificates.plan, key=_keys.plan, keystore=_keystores.plan, jwk=_jwks.plan_first)


def replan(client, change):
    """The change planned again, from the same desired state and options, against a fresh read of the object."""
    current = READERS[change.kind](client, change.options.project, change.name)
    planner = _bundles.plan_keystore if change.desired.get('bundle_keystore') else PLANNERS[change.kind]
    return planner(change.desired, current, change.options)._replace(
        depends_on=change.depends_on, group=change.group)


class ServerState(object):
    """What the project holds: certificates from one list call, keys from one list call (plus the get calls that
    resolve environment ids), and, when some bundle has one, keystores and JWKs from one list call each (JWKs without
    material), read once for all bundles."""

    def __init__(self, certificates, keys, jwks=None, keystores=None):
        self.certificates = dict((c['name'], c) for c in certificates)
        self.keys = dict((k['name'], k) for k in keys)
        self.jwks = dict((j['name'], j) for j in jwks or [])
        self.keystores = dict((k['name'], k) for k in keystores or [])
        self._chains = None

    @classmethod
    def read(cls, client, project, key_names, resolve=None, with_jwks=False, with_keystores=False):
        """with_jwks, with_keystores: read the JWK or keystore list too (only when some bundle of the run has one: no
        request otherwise)."""
        return cls(read_certificates(client, project), read_keys(client, project, names=key_names, resolve=resolve),
                   jwks=read_jwks(client, project) if with_jwks else None,
                   keystores=read_keystores(client, project) if with_keystores else None)

    def chain_names(self, name):
        """Names of the stored chain certificates of bundle name, in chain order (one pass over the certificates,
        the first time it is asked)."""
        if self._chains is None:
            self._chains = {}
            for stored in self.certificates:
                match = _bundles.CHAIN_NAME_RE.match(stored)
                if match:
                    self._chains.setdefault(match.group(1), []).append((int(match.group(2)), stored))
        return [stored for _index, stored in sorted(self._chains.get(name, ()))]
