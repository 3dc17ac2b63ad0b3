# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Bundles: a certificate, its chain and a key, deployed together. Validation of all bundles before the first
write, then the certificate and key reconcile functions, in the order that keeps a key beside its certificate.

Stored as certificate <name> (the leaf), certificates <name>-chain-1..N (the chain, in order), key <name>."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates, _keys, _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import converge
from ansible_collections.apinizer.apiops.plugins.module_utils._common import (
    InvalidInput,
    check_environment_mapping,
    check_name,
    read_input_file,
)

KEY_KINDS = ('private_key', 'secret_key', 'public_key')
ENVIRONMENT_FIELDS = frozenset(['name', 'alias', 'private_key', 'private_key_path', 'private_key_passphrase',
                                'secret_key', 'secret_key_path', 'public_key', 'public_key_path'])


def chain_name(name, index):
    return '%s-chain-%d' % (name, index)


class BundleError(InvalidInput):
    """Bad input in one bundle; the message names the bundle."""

    def __init__(self, bundle, message):
        super(BundleError, self).__init__('bundle %s: %s' % (bundle, message))


def _certificates_of(spec, field):
    """The certificates given by <field> or <field>_path, in order, or []."""
    if spec.get(field + '_path'):
        return _pem.load_certificates(read_input_file(spec[field + '_path'], field + '_path'), option=field + '_path')
    if spec.get(field):
        return _pem.load_certificates(spec[field], option=field)
    return []


def _key_material(kind, source, prefix, passphrase):
    """(content, fingerprint) from the <kind> or <kind>_path of source (a bundle or one of its environments)."""
    if source.get(kind + '_path'):
        option = prefix + kind + '_path'
        return _keys.key_material(kind, content_bytes=read_input_file(source[kind + '_path'], option),
                                  passphrase=passphrase, option=option, passphrase_option='private_key_passphrase')
    if source.get(kind):
        return _keys.key_material(kind, content=source[kind], passphrase=passphrase, option=prefix + kind,
                                  passphrase_option='private_key_passphrase')
    return None


def _kinds_given(source):
    return [kind for kind in KEY_KINDS if source.get(kind) or source.get(kind + '_path')]


def _check_validity(name, certificate, label, allow_expired, now):
    facts = _pem.certificate_facts(certificate, now=now)
    if allow_expired:
        return
    if facts['expired']:
        raise BundleError(name, '%s (%s) expired on %s; renew it, or set allow_expired to deploy it anyway.'
                          % (label, facts['subject'], facts['not_after']))
    if facts['not_yet_valid']:
        raise BundleError(name, '%s (%s) is not valid before %s; set allow_expired to deploy it anyway.'
                          % (label, facts['subject'], facts['not_before']))


def _check_chain(name, leaf, chain):
    """Each chain certificate must have issued the one before it (the first one, the leaf)."""
    previous, previous_label = leaf, 'the certificate'
    for index, certificate in enumerate(chain, 1):
        if not _pem.issued_by(previous, certificate):
            raise BundleError(name, 'chain certificate %d (%s) did not issue %s (%s); give the chain in order, '
                              'starting with the issuer of the certificate.'
                              % (index, certificate.subject.rfc4514_string(), previous_label,
                                 previous.subject.rfc4514_string()))
        previous, previous_label = certificate, 'chain certificate %d' % index


def _environment_entries(name, spec, default_environments):
    """[(environment name, its mapping or {})] of a bundle."""
    environments = spec.get('environments') or default_environments or []
    entries = []
    for index, item in enumerate(environments):
        if isinstance(item, str):
            entries.append((item, {}))
            continue
        check_environment_mapping(item, 'environments[%d]' % index, ENVIRONMENT_FIELDS)
        entries.append((item['name'], item))
    if not entries:
        raise BundleError(name, 'no environments; set environments on the bundle or the default environments.')
    return entries


def desired_bundle(spec, default_environments=None, now=None):
    """Validate one bundle spec (the module's bundles[] element) and return what it wants on the server:
    {name, state, certificates: [desired certificate, ...] (leaf first), key: desired key or None, update_content,
    force}. Raises BundleError (or InvalidInput/PemError prefixed with the bundle) for anything wrong."""
    name = spec['name']
    try:
        check_name(name)
        if spec.get('state', 'present') == 'absent':
            return dict(name=name, state='absent', certificates=[], key=None)
        return _desired_present_bundle(spec, default_environments, now or datetime.datetime.now(_certificates.UTC))
    except BundleError:
        raise
    except (InvalidInput, _pem.PemError) as exc:
        raise BundleError(name, str(exc))


def _desired_present_bundle(spec, default_environments, now):
    name = spec['name']
    alias = spec.get('alias') or name
    description = spec.get('description') or ''
    entries = _environment_entries(name, spec, default_environments)
    environment_names = [entry[0] for entry in entries]

    given = _certificates_of(spec, 'certificate')
    leaf, chain = (given[0], given[1:]) if given else (None, [])
    chain = chain + _certificates_of(spec, 'chain')
    if chain and leaf is None:
        raise BundleError(name, 'chain needs certificate (or certificate_path).')
    certificates = []
    if leaf is not None:
        _check_validity(name, leaf, 'the certificate', spec.get('allow_expired'), now)
        for index, certificate in enumerate(chain, 1):
            _check_validity(name, certificate, 'chain certificate %d' % index, spec.get('allow_expired'), now)
        _check_chain(name, leaf, chain)
        certificates.append(_certificates.desired_certificate(
            name, _pem.certificate_pem(leaf), alias=alias, description=description, environments=environment_names))
        for index, certificate in enumerate(chain, 1):
            certificates.append(_certificates.desired_certificate(
                chain_name(name, index), _pem.certificate_pem(certificate), alias='%s-chain-%d' % (alias, index),
                description=description, environments=environment_names))

    key = _desired_key(spec, entries, alias, description, leaf)
    if leaf is None and key is None:
        raise BundleError(name, 'nothing to deploy; give certificate (or certificate_path) and/or a key '
                          '(private_key, secret_key or public_key, or their _path forms).')
    return dict(name=name, state='present', certificates=certificates, key=key,
                update_content=spec.get('update_content') or 'on_create', force=bool(spec.get('force')))


def _desired_key(spec, entries, alias, description, leaf):
    """The bundle's key: one kind, material from the bundle or per environment; a private key must match the leaf."""
    name = spec['name']
    kinds = set(_kinds_given(spec))
    for _environment, mapping in entries:
        kinds.update(_kinds_given(mapping))
    if not kinds:
        return None
    if len(kinds) > 1:
        raise BundleError(name, 'a bundle holds one key, but %s are given; keep one of them.' % ' and '.join(sorted(kinds)))
    kind = kinds.pop()
    shared = _key_material(kind, spec, '', spec.get('private_key_passphrase'))
    environments = []
    for index, (environment, mapping) in enumerate(entries):
        own = _key_material(kind, mapping, 'environments[%d].' % index,
                            mapping.get('private_key_passphrase', spec.get('private_key_passphrase')))
        content, fingerprint = own or shared or (None, None)
        if content is None:
            raise BundleError(name, 'no %s for environment %s; give %s on the bundle or on that environment.'
                              % (kind, environment, kind))
        environments.append(dict(name=environment, alias=mapping.get('alias') or alias, content=content,
                                 public_key_sha256=fingerprint))
    if kind == 'private_key' and leaf is not None:
        leaf_fingerprint = _pem.public_key_sha256_fingerprint(leaf.public_key())
        for entry in environments:
            if entry['public_key_sha256'] != leaf_fingerprint:
                raise BundleError(name, 'the private key for %s does not match the certificate (%s); give the key '
                                  'the certificate was issued for.' % (entry['name'], leaf.subject.rfc4514_string()))
    return _keys.desired_key(name, kind, environments, description)


def check_names_unique(bundles):
    """No two bundles may store an object under the same name (a bundle x-chain-1 and bundle x's chain, say)."""
    names = [bundle['name'] for bundle in bundles]
    twice = sorted(set(name for name in names if names.count(name) > 1))
    if twice:
        raise BundleError(twice[0], 'the name is given to more than one bundle; give each bundle its own name.')
    for bundle in bundles:
        # Bundle x owns every stored x-chain-N (it deletes those it no longer needs), so no bundle may be named so.
        owner = next((n for n in names if re.match(r'^%s-chain-\d+$' % re.escape(n), bundle['name'])), None)
        if owner:
            raise BundleError(bundle['name'], 'the name is one that bundle %s keeps for its chain certificates; '
                              'rename it.' % owner)
    owners = {}
    for bundle in bundles:
        stored = [c['name'] for c in bundle['certificates']] + ([bundle['key']['name']] if bundle['key'] else [])
        for name in set(stored + [bundle['name']]):
            if name in owners and owners[name] != bundle['name']:
                raise BundleError(bundle['name'], 'it stores %s, which bundle %s stores too; rename one of them.'
                                  % (name, owners[name]))
            owners[name] = bundle['name']


def check_environments_exist(bundles, check_environments):
    """Every environment a bundle names must exist in the project; check_environments is an
    _common.EnvironmentCheck, which reads the environments once for all bundles."""
    for bundle in bundles:
        wanted = set(e for c in bundle['certificates'] for e in c['environments'])
        if bundle['key']:
            wanted.update(e['name'] for e in bundle['key']['environments'])
        try:
            check_environments(sorted(wanted))
        except InvalidInput as exc:
            raise BundleError(bundle['name'], str(exc))


class ServerState(object):
    """What the project holds: certificates from one list call, keys from one list call (plus the get calls that
    resolve environment ids), read once for all bundles."""

    def __init__(self, certificates, keys):
        self.certificates = dict((c['name'], c) for c in certificates)
        self.keys = dict((k['name'], k) for k in keys)

    @classmethod
    def read(cls, client, project, key_names):
        return cls(_certificates.fetch_all(client, project), _keys.fetch_all(client, project, names=key_names))

    def chain_names(self, name):
        """Names of the stored chain certificates of bundle name, in chain order."""
        pattern = re.compile(r'^%s-chain-(\d+)$' % re.escape(name))
        found = [(int(m.group(1)), n) for n, m in ((n, pattern.match(n)) for n in self.certificates) if m]
        return [n for _index, n in sorted(found)]


def reconcile_bundle(client, project, bundle, state, check_mode, retries, resources):
    """Bring one bundle to its desired state, appending to resources one result per stored object (a reconcile
    result plus type and name) as it goes, so that what was done survives an exception. Returns the message of
    the first failed deployment or replacement, or None."""

    def run(kind, name, reconcile, current):
        fetch = _certificates.fetch if kind == 'certificate' else _keys.fetch
        currents = [current]

        def attempt():
            # First from the lists; after a write whose outcome is unknown, from a fresh read.
            return reconcile(currents.pop() if currents else fetch(client, project, name))

        result = converge(attempt, retries)
        resources.append(dict(result, type=kind, name=name))
        return result

    if bundle['state'] == 'absent':
        if bundle['name'] in state.keys:
            result = run('key', bundle['name'], lambda current: _keys.reconcile(
                client, project, None, current, state='absent', check_mode=check_mode), state.keys[bundle['name']])
            if result['failure']:
                return result['failure']
        for name in [bundle['name']] + state.chain_names(bundle['name']):
            if name in state.certificates:
                result = run('certificate', name, lambda current: _certificates.reconcile(
                    client, project, None, current, state='absent', check_mode=check_mode), state.certificates[name])
                if result['failure']:
                    return result['failure']
        return None

    leaf_changed = False
    wanted = set()
    for desired in bundle['certificates']:
        wanted.add(desired['name'])
        result = run('certificate', desired['name'], lambda current, desired=desired: _certificates.reconcile(
            client, project, desired, current, check_mode=check_mode, force=bundle['force']),
            state.certificates.get(desired['name']))
        if result['failure']:
            return result['failure']
        leaf_changed = leaf_changed or (desired['name'] == bundle['name'] and result['changed'])
    for name in state.chain_names(bundle['name']):
        if name not in wanted:
            result = run('certificate', name, lambda current: _certificates.reconcile(
                client, project, None, current, state='absent', check_mode=check_mode), state.certificates[name])
            if result['failure']:
                return result['failure']
    key = bundle['key']
    if key is not None:
        # A private key follows its certificate: a new leaf is never deployed beside a stale key. Only a key the
        # server held before can be stale; one created now (or whose create was lost and is re-read) is not re-sent.
        follow = leaf_changed and key['key_type'] == 'private_key' and key['name'] in state.keys
        result = run('key', key['name'], lambda current: _keys.reconcile(
            client, project, key, current, check_mode=check_mode, force=bundle['force'] or follow,
            update_content=bundle['update_content']), state.keys.get(key['name']))
        if result['failure']:
            return result['failure']
    return None
