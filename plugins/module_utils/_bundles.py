# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Bundles: a certificate, its chain and a key (given as PEM, or as one PKCS#12 file), deployed together.
desired_bundle() checks one bundle (before any request, for all bundles), plan() decides every change of every
bundle: chain certificates, then the leaf, then the key that follows it. Pure: no I/O.

Stored as certificate <name> (the leaf), certificates <name>-chain-1..N (the chain, in order), key <name>, and,
with the jwk option, a JWK parsed from the leaf (named after the bundle unless jwk.name says otherwise), and,
with the keystore option, a PKCS#12 keystore (keystore.name, default <name>) built from the leaf, chain and key.
plan_prune() deletes what no bundle of the run declares, among the names a pattern matches."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import datetime
import functools
import re

from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates, _jwks, _keys, _keystores, _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._apply import Change, field_diff
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import (
    check_environment_mapping,
    check_name,
    read_input_file,
    refuse_unknown_environments,
)

KEY_KINDS = ('private_key', 'secret_key', 'public_key')
ENVIRONMENT_FIELDS = frozenset(['name', 'alias', 'private_key', 'private_key_path', 'private_key_passphrase',
                                'secret_key', 'secret_key_path', 'public_key', 'public_key_path'])


# A PKCS#12 file gives the certificate, its chain and its private key: no bundle option may give them too.
PKCS12_EXCLUDES = ('certificate', 'certificate_path', 'chain', 'chain_path', 'private_key', 'private_key_path',
                   'private_key_passphrase', 'secret_key', 'secret_key_path', 'public_key', 'public_key_path')


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


def _pkcs12_of(spec, entries):
    """The key Material, leaf and ordered chain of the bundle's PKCS#12 file (pkcs12_path, or pkcs12: its base64),
    or None without one. Refuses options that would give the same things another way."""
    name = spec['name']
    option = 'pkcs12_path' if spec.get('pkcs12_path') else 'pkcs12' if spec.get('pkcs12') else None
    if option is None:
        if spec.get('pkcs12_passphrase'):
            raise BundleError(name, 'pkcs12_passphrase is given without a PKCS#12 file; give pkcs12_path (or pkcs12), '
                              'or leave pkcs12_passphrase out.')
        return None
    others = [field for field in PKCS12_EXCLUDES if spec.get(field)]
    others += ['environments[%d].%s' % (index, field) for index, (_environment, mapping) in enumerate(entries)
               for field in sorted(ENVIRONMENT_FIELDS - set(['name', 'alias'])) if mapping.get(field)]
    if others:
        raise BundleError(name, '%s and %s cannot be combined: the PKCS#12 file gives the certificate, its chain and '
                          'its private key; remove %s, or give the bundle as PEM (certificate, chain and private_key, '
                          'or their _path forms) instead of %s.' % (option, others[0], others[0], option))
    if option == 'pkcs12_path':
        data = read_input_file(spec['pkcs12_path'], option)
    else:
        try:
            data = base64.b64decode(''.join(spec['pkcs12'].split()), validate=True)
        except (binascii.Error, ValueError):
            data = None
        if not data:
            raise BundleError(name, 'pkcs12: expected base64 text of a PKCS#12 file; this is not base64.')
    contents = _pem.load_pkcs12(data, spec.get('pkcs12_passphrase'), option=option)
    material = _keys.key_material('private_key', private_key=contents.private_key, option=option,
                                  alternative=', or give the certificate alone as certificate_path (PEM) to deploy '
                                  'it without its key')
    return material, contents.leaf, contents.chain


def _key_material(kind, source, prefix, passphrase, with_certificate):
    """The Material from the <kind> or <kind>_path of source (a bundle or one of its environments), or None.
    with_certificate: the bundle has a certificate, which can be deployed without its private key."""
    alternative = ', or leave %s out to deploy the certificate alone' % kind \
        if with_certificate and kind == 'private_key' else ''
    if source.get(kind + '_path'):
        option = prefix + kind + '_path'
        return _keys.key_material(kind, content_bytes=read_input_file(source[kind + '_path'], option),
                                  passphrase=passphrase, option=option, passphrase_option='private_key_passphrase',
                                  alternative=alternative)
    if source.get(kind):
        return _keys.key_material(kind, content=source[kind], passphrase=passphrase, option=prefix + kind,
                                  passphrase_option='private_key_passphrase', alternative=alternative)
    return None


def _naming_the_bundle(bundle, material):
    """The material with a consistency check whose failure names the bundle."""
    if material is None or material.check is None:
        return material
    check = material.check

    def named():
        try:
            check()
        except (InvalidInput, _pem.PemError) as exc:
            raise BundleError(bundle, str(exc))
    return material._replace(check=named)


def _kinds_given(source):
    return [kind for kind in KEY_KINDS if source.get(kind) or source.get(kind + '_path')]


def _check_validity(name, facts, label, allow_expired):
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
            return dict(name=name, state='absent', certificates=[], key=None, jwk=_absent_jwk(spec),
                        keystore=_absent_keystore(spec))
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

    pkcs12 = _pkcs12_of(spec, entries)
    if pkcs12 is not None:
        pkcs12_key, leaf, chain = pkcs12
    else:
        given = _certificates_of(spec, 'certificate')
        pkcs12_key, leaf, chain = None, given[0] if given else None, given[1:]
        chain = chain + _certificates_of(spec, 'chain')
    if chain and leaf is None:
        raise BundleError(name, 'chain needs certificate (or certificate_path).')
    certificates = []
    if leaf is not None:
        certificates.append(_certificates.desired_certificate(
            name, leaf, alias=alias, description=description, environments=environment_names, now=now))
        for index, certificate in enumerate(chain, 1):
            certificates.append(_certificates.desired_certificate(
                chain_name(name, index), certificate, alias='%s-chain-%d' % (alias, index),
                description=description, environments=environment_names, now=now))
        for index, desired in enumerate(certificates):
            _check_validity(name, desired['facts'], 'chain certificate %d' % index if index else 'the certificate',
                            spec.get('allow_expired'))
        _check_chain(name, leaf, chain)

    key = _desired_key(spec, entries, alias, description, leaf, _naming_the_bundle(name, pkcs12_key))
    if leaf is None and key is None:
        raise BundleError(name, 'nothing to deploy; give certificate (or certificate_path) and/or a key '
                          '(private_key, secret_key or public_key, or their _path forms).')
    bundle = dict(name=name, state='present', certificates=certificates, key=key,
                  update_content=spec.get('update_content') or 'on_create', force=bool(spec.get('force')))
    bundle.update(_desired_jwk_fields(spec, leaf, environment_names))
    bundle['keystore'] = _desired_keystore(spec, alias, description, certificates, leaf, chain, key)
    return bundle


def _desired_key(spec, entries, alias, description, leaf, pkcs12_key=None):
    """The bundle's key: one kind, material from the bundle (or its PKCS#12 file: pkcs12_key) or per environment;
    a private key must match the leaf."""
    name = spec['name']
    kinds = set(_kinds_given(spec)) | (set(['private_key']) if pkcs12_key else set())
    for _environment, mapping in entries:
        kinds.update(_kinds_given(mapping))
    if not kinds:
        return None
    if len(kinds) > 1:
        raise BundleError(name, 'a bundle holds one key, but %s are given; keep one of them.' % ' and '.join(sorted(kinds)))
    kind = kinds.pop()
    shared = pkcs12_key or _naming_the_bundle(name, _key_material(kind, spec, '', spec.get('private_key_passphrase'),
                                                                  leaf is not None))
    environments = []
    for index, (environment, mapping) in enumerate(entries):
        own = _naming_the_bundle(name, _key_material(kind, mapping, 'environments[%d].' % index,
                                                     mapping.get('private_key_passphrase',
                                                                 spec.get('private_key_passphrase')),
                                                     leaf is not None))
        material = own or shared
        if material is None:
            raise BundleError(name, 'no %s for environment %s; give %s on the bundle or on that environment.'
                              % (kind, environment, kind))
        environments.append(dict(name=environment, alias=mapping.get('alias') or alias, content=material.content,
                                 public_key_sha256=material.public_key_sha256,
                                 check=material.check))
    if kind == 'private_key' and leaf is not None:
        leaf_fingerprint = _pem.public_key_sha256_fingerprint(leaf.public_key())
        for entry in environments:
            if entry['public_key_sha256'] != leaf_fingerprint:
                raise BundleError(name, 'the private key for %s does not match the certificate (%s); give the key '
                                  'the certificate was issued for.' % (entry['name'], leaf.subject.rfc4514_string()))
    return _keys.desired_key(name, kind, environments, description)


def check_names_unique(bundles):
    """No two bundles may store an object under the same name (a bundle x-chain-1 and bundle x's chain, say).
    One pass over the bundles and what they store."""
    seen, twice = set(), []
    for bundle in bundles:
        if bundle['name'] in seen and bundle['name'] not in twice:
            twice.append(bundle['name'])
        seen.add(bundle['name'])
    if twice:
        raise BundleError(sorted(twice)[0], 'the name is given to more than one bundle; give each bundle its own name.')
    for bundle in bundles:
        # Bundle x owns every stored x-chain-N (it deletes those it no longer needs), so no bundle may be named so.
        match = CHAIN_NAME_RE.match(bundle['name'])
        if match and match.group(1) in seen:
            raise BundleError(bundle['name'], 'the name is one that bundle %s keeps for its chain certificates; '
                              'rename it.' % match.group(1))
    owners = {}
    for bundle in bundles:
        stored = [c['name'] for c in bundle['certificates']] + ([bundle['key']['name']] if bundle['key'] else [])
        for name in set(stored + [bundle['name']]):
            if name in owners and owners[name] != bundle['name']:
                raise BundleError(bundle['name'], 'it stores %s, which bundle %s stores too; rename one of them.'
                                  % (name, owners[name]))
            owners[name] = bundle['name']


# The copies of its certificate a bundle may carry (each kind its own namespace), and what is said when two bundles
# name the same one.
COPY_NAME_CLASHES = (
    ('jwk', 'jwk.name %s is the JWK of bundle %s too; give each bundle a JWK of its own.'),
    ('keystore', "keystore.name %s is the keystore of bundle %s too; give each bundle's keystore its own name."),
)


def check_copy_names_unique(bundles):
    """No two bundles of the run may name the same JWK, nor the same keystore. One pass per kind."""
    for field, message in COPY_NAME_CLASHES:
        owners = {}
        for bundle in bundles:
            copy = bundle.get(field)
            if not copy:
                continue
            if copy['name'] in owners:
                raise BundleError(bundle['name'], message % (copy['name'], owners[copy['name']]))
            owners[copy['name']] = bundle['name']


CHAIN_NAME_RE = re.compile(r'^(.+)-chain-(\d+)$')


def refuse_unknown_environments_of(bundles, known, project):
    """Every environment a bundle names must exist in the project (known: the names the server listed)."""
    for bundle in bundles:
        wanted = set(e for c in bundle['certificates'] for e in c['environments'])
        if bundle['key']:
            wanted.update(e['name'] for e in bundle['key']['environments'])
        try:
            refuse_unknown_environments(wanted, known, project)
        except InvalidInput as exc:
            raise BundleError(bundle['name'], str(exc))


def plan(bundles, server, project):
    """Every change of every bundle, in an order that keeps each change after those it depends on: chain
    certificates, then the leaf (which depends on them), then chain certificates no longer wanted, then the key
    (which depends on the leaf). Without a certificate of its own, a bundle's key depends on nothing; an absent
    bundle deletes its key first, then its certificates. server: a _server.ServerState."""
    changes = []
    for bundle in bundles:
        planned = _plan_absent(bundle, server, project) if bundle['state'] == 'absent' \
            else _plan_present(bundle, server, project)
        changes.extend(change._replace(group=bundle['name']) for change in planned)
    return changes


def _plan_absent(bundle, server, project):
    certificate_names = [bundle['name']] + server.chain_names(bundle['name'])
    deletes = _plan_deletes(bundle['name'], certificate_names, server, project)
    return _plan_jwk_absent(bundle, server, project) + _plan_keystore_delete(bundle, server, project) + deletes


def _plan_deletes(key_name, certificate_names, server, project):
    """Delete the key key_name first, then the certificates, in order, each after the deletes before it; only
    what the server holds."""
    certificate_options = _certificates.CertificateOptions(project, state='absent')
    changes = []
    if key_name in server.keys:
        changes.append(_keys.plan(_keys.absent(key_name), server.keys[key_name],
                                  _keys.KeyOptions(project, state='absent')))
    for name in certificate_names:
        if name in server.certificates:
            change = _certificates.plan(_certificates.absent(name), server.certificates[name], certificate_options)
            changes.append(change._replace(depends_on=tuple(c.key for c in changes)))
    return changes


PRUNE_GROUP_PREFIX = 'prune:'


def prune_group(name):
    """The group of the deletes that prune name. Bundle names hold no ':', so it is never a bundle's group."""
    return PRUNE_GROUP_PREFIX + name


def is_prune_group(group):
    return group.startswith(PRUNE_GROUP_PREFIX)


def prune_pattern(text):
    """prune_match compiled; refuses an empty or invalid pattern, naming the option and the fix."""
    if not text:
        raise InvalidInput('prune_match (role apinizer_deploy: apinizer_deploy_prune_match) is empty; give a regular '
                           'expression that the whole name of every certificate and key to prune matches, for example '
                           '"payments-.*".')
    try:
        return re.compile(text)
    except re.error as exc:
        raise InvalidInput('prune_match (role apinizer_deploy: apinizer_deploy_prune_match) %r is not a valid Python '
                           'regular expression: %s; fix the pattern (it must match the whole name).' % (text, exc))


def plan_prune(bundles, server, project, pattern):
    """Delete every certificate and key whose whole name pattern matches (re fullmatch) and that no bundle of the
    run declares: a bundle declares its name and every <name>-chain-N (an absent bundle too: its own plan deletes
    them, and a present one deletes the chain certificates it no longer has). Per name, the key before the
    certificate, in a group of its own; names in sorted order. One pass over the bundles and one over the
    server's objects."""
    declared = set(bundle['name'] for bundle in bundles)

    def wanted_gone(name):
        if name in declared or not pattern.fullmatch(name):
            return False
        chain = CHAIN_NAME_RE.match(name)
        return not (chain and chain.group(1) in declared)

    names = sorted(name for name in set(server.certificates) | set(server.keys) if wanted_gone(name))
    changes = []
    for name in names:
        changes.extend(change._replace(group=prune_group(name))
                       for change in _plan_deletes(name, [name], server, project))
    return changes


def _plan_present(bundle, server, project):
    options = _certificates.CertificateOptions(project, force=bundle['force'])
    leaf_options = options._replace(**_jwk_query(bundle))
    leaf, chain = (bundle['certificates'][0], bundle['certificates'][1:]) if bundle['certificates'] else (None, [])
    changes = [_certificates.plan(desired, server.certificates.get(desired['name']), options) for desired in chain]
    leaf_change = None
    if leaf is not None:
        leaf_change = _certificates.plan(leaf, server.certificates.get(leaf['name']), leaf_options)._replace(
            depends_on=tuple(c.key for c in changes))
        changes.append(leaf_change)
    wanted = set(c['name'] for c in bundle['certificates'])
    for name in server.chain_names(bundle['name']):
        if name not in wanted:
            changes.append(_certificates.plan(_certificates.absent(name), server.certificates[name],
                                              options._replace(state='absent'))._replace(
                depends_on=(leaf_change.key,) if leaf_change else ()))
    key = bundle['key']
    if key is not None:
        current = server.keys.get(key['name'])
        # A private key follows its certificate: a new leaf is never deployed beside a stale key. Only a key the
        # server holds can be stale; one created now is sent anyway.
        follows = bool(leaf_change and leaf_change.action != 'none' and key['key_type'] == 'private_key' and current)
        key_options = _keys.KeyOptions(project, force=bundle['force'] or follows,
                                       update_content=bundle['update_content'], **_jwk_query(bundle))
        changes.append(_keys.plan(key, current, key_options)._replace(
            depends_on=(leaf_change.key,) if leaf_change else ()))
    return changes + _plan_keystore(bundle, server, project, changes) + _plan_jwk(bundle, server, project, leaf_change)


# The JWK a bundle publishes from its leaf (the jwk option).

# The default algorithm of a JWK by the leaf's key: (JWK type, curve) -> algorithm, per use.
DEFAULT_JWK_ALGORITHMS = {
    ('RSA', None, 'signature'): 'RS256', ('RSA', None, 'encryption'): 'RSA-OAEP-256',
    ('EC', 'P-256', 'signature'): 'ES256', ('EC', 'P-384', 'signature'): 'ES384',
    ('EC', 'P-521', 'signature'): 'ES512', ('EC', 'secp256k1', 'signature'): 'ES256K',
    ('OKP', 'Ed25519', 'signature'): 'EdDSA',
}


def _leaf_jwk_members(name, leaf):
    """(JWK type, public members) of the leaf's public key: what a JWK parsed from it holds; a key the API cannot
    parse into a JWK is refused naming the bundle."""
    try:
        return _pem.jwk_public_members(leaf.public_key())
    except InvalidInput:
        raise BundleError(name, 'jwk: the certificate has a %s key, which the API cannot parse into a JWK (it parses '
                          'RSA, EC and Ed25519/X25519 keys); remove jwk.' % _pem.key_algorithm(leaf.public_key()))


def _desired_jwk_fields(spec, leaf, environment_names):
    """jwk (the desired JWK of a present bundle, or None), jwk_update_action and jwk_update_scope (sent on the leaf's
    replace). A JWK that follows its leaf needs jwk_update_action=update, its default then."""
    name = spec['name']
    options = spec.get('jwk')
    action = spec.get('jwk_update_action') or ('update' if options is not None else 'nullify')
    fields = dict(jwk=None, jwk_update_action=action, jwk_update_scope=spec.get('jwk_update_scope'))
    if options is None:
        return fields
    if action != 'update':
        raise BundleError(name, 'jwk and jwk_update_action=%s cannot be combined: %s cuts the JWK loose from the '
                          'certificate on every rotation; leave jwk_update_action out (or set it to update), or '
                          'remove jwk.' % (action, action))
    if leaf is None:
        raise BundleError(name, 'jwk needs certificate (or certificate_path, pkcs12_path or pkcs12): the JWK is '
                          'parsed from the bundle\'s certificate.')
    jwk_name = check_name(options.get('name') or name, 'jwk.name')
    environment = options.get('environment') or environment_names[0]
    if environment not in environment_names:
        raise BundleError(name, 'jwk.environment: %s is not an environment of the bundle; give one of %s.'
                          % (environment, ', '.join(environment_names)))
    use = options.get('use') or 'signature'
    jwk_type, public = _leaf_jwk_members(name, leaf)
    algorithm = options.get('algorithm') or DEFAULT_JWK_ALGORITHMS.get((jwk_type, public.get('crv'), use))
    if not algorithm:
        raise BundleError(name, 'jwk.algorithm: there is no default for a JWK of use %s from a %s key; give one of %s.'
                          % (use, _pem.key_algorithm(leaf.public_key()), ', '.join(_jwks.ALGORITHMS[(jwk_type, use)])))
    _jwks.check_algorithm(jwk_type, use, algorithm, option='jwk.algorithm')
    description = options.get('description')
    if description is None:
        description = spec.get('description') or ''
    desired = _jwks.desired_jwk(jwk_name, 'certificate', description, certificate_name=name, environment=environment,
                                use=use, algorithm=algorithm)
    fields['jwk'] = dict(desired, jwk_type=jwk_type, public=public)
    return fields


def _absent_jwk(spec):
    """The JWK an absent bundle deletes (the one its jwk option names), or None."""
    if spec.get('jwk') is None:
        return None
    return _jwks.absent(check_name(spec['jwk'].get('name') or spec['name'], 'jwk.name'))


def _jwk_query(bundle):
    """The JWK query of every write of the bundle's leaf, key and keystore (jwk_update_action, jwk_update_scope):
    what it does to the JWKs made from them."""
    return dict(jwk_update_action=bundle.get('jwk_update_action') or 'nullify',
                jwk_update_scope=bundle.get('jwk_update_scope'))


def jwk_names(bundles):
    """The JWKs the bundles name (present and absent): what the JWK list is read for. Empty: no list read."""
    return [b['jwk']['name'] for b in bundles if b.get('jwk')]


def _plan_jwk_absent(bundle, server, project):
    """An absent bundle deletes its JWK first (before its key and certificates), when the server holds it."""
    desired = bundle.get('jwk')
    if desired is None or desired['name'] not in server.jwks:
        return []
    return _jwks.plan(desired, server.jwks[desired['name']], _jwks.JwkOptions(project, state='absent'))


def _plan_jwk(bundle, server, project, leaf_change):
    """The changes of a present bundle's JWK, after its leaf. The list shows no material: a JWK that keeps its
    source reference (sourceId), with the type of the leaf's key and the description, holds the leaf's key while
    the leaf is unchanged -- no GET. When the leaf is replaced in this run (with jwkUpdateAction=UPDATE), such a JWK
    is checked after the write: a change with no request that the executor reads once and, should the server have
    ignored the action, makes again. A JWK cut loose, of another type or description, or beside a leaf created now
    (its reference, if any, is not to it) is made again: delete, then create."""
    desired = bundle.get('jwk')
    if desired is None:
        return []
    options = _jwks.JwkOptions(project, force=bundle['force'])
    current = server.jwks.get(desired['name'])
    follows = leaf_change.action in ('none', 'update') and current is not None and current['public'] is None \
        and current['source_id'] is not None
    if follows:
        current = dict(current, public=desired['public'])
    changes = _jwks.plan(desired, current, options)
    after_leaf = (leaf_change.key,)
    # A replace of the leaf by another certificate is checked after it; one that changes only its alias, description
    # or environments leaves the JWK's key as it is.
    replaced = leaf_change.action == 'update' and \
        (leaf_change.before.get('sha1_thumbprint') or '').upper() != (leaf_change.after.get('sha1_thumbprint') or '').upper()
    if replaced and [c.action for c in changes] == ['none']:
        name = desired['name']
        before, after = _jwks.public_fields(dict(current, public=None)), _jwks.public_fields(desired)
        diff = field_diff(name, dict(public_members='of the replaced certificate'),
                          dict(public_members=after['public_members']))
        return [Change('jwk', name, 'update', before, after, diff, None, after_leaf, None, desired, options, None,
                       True)]
    return [c._replace(depends_on=tuple(c.depends_on) + after_leaf) for c in changes]


# --- the bundle's PKCS#12 keystore (bundles[].keystore) ------------------------------------------------------------

def _absent_keystore(spec):
    """The keystore an absent bundle deletes: absent(keystore.name, default the bundle's name), or None."""
    options = spec.get('keystore')
    if not options:
        return None
    name = options.get('name') or spec['name']
    check_name(name, 'keystore.name')
    return _keystores.absent(name)


def _desired_keystore(spec, alias, description, certificates, leaf, chain, key):
    """The PKCS#12 keystore a present bundle asks for (bundles[].keystore), or None: one file for every environment
    of the bundle's certificate, built from the leaf, the chain in order and the private key only when it is sent
    (build), with the password the user gives. Refuses a bundle without a certificate or a private key, and an
    empty password."""
    options = spec.get('keystore')
    if not options:
        return None
    name = spec['name']
    if not certificates or key is None or key['key_type'] != 'private_key':
        raise BundleError(name, 'keystore: a keystore holds the certificate and its private key, but the bundle has '
                          'no %s; give certificate and private_key (or their _path forms, or pkcs12_path), or leave '
                          'keystore out.' % ('certificate' if not certificates else 'private key'))
    if not options.get('password'):
        raise BundleError(name, 'keystore.password is missing or empty; give the password that protects the PKCS#12 keystore '
                          '(the API needs it with the file).')
    keystore_name = options.get('name') or name
    check_name(keystore_name, 'keystore.name')
    keystore_alias = options.get('alias') or alias
    if options.get('description') is not None:
        description = options['description']
    inside = [dict(alias=keystore_alias if index == 0 else '', private_key=index == 0,
                   sha256_fingerprint=c['facts']['sha256_fingerprint'], subject=c['facts']['subject'],
                   not_after=c['facts']['not_after'])
              for index, c in enumerate(certificates)]
    # The key is the same in every environment (each matches the leaf); its consistency check runs before a send.
    material = key['environments'][0]
    environments = [dict(name=environment, alias=keystore_alias, password=options['password'],
                         keystore_type='pkcs12', certificates=inside, check=material.get('check'))
                    for environment in sorted(certificates[0]['environments'])]
    return dict(name=keystore_name, description=description or '', environments=environments, bundle_keystore=True,
                on_build=None, build=functools.partial(_build_keystore_file, material['content'],
                                                       leaf, tuple(chain), options['password'], keystore_alias))


def _build_keystore_file(key_content, leaf, chain, password, alias):
    """The PKCS#12 file (bytes) of a bundle's keystore; key_content: the key's base64 PKCS#8 PEM, as it is sent."""
    private_key = _pem.load_private_key(base64.b64decode(key_content), option='private_key', check_consistency=False)
    return _pem.build_pkcs12(private_key, leaf, chain, password, friendly_name=alias)


def hide_built_keystores(bundles, hide):
    """hide(secrets) is called with each keystore file a bundle builds (its base64), before it is sent, so that
    no message of the client can show it."""
    for bundle in bundles:
        if bundle.get('keystore') and bundle['keystore'].get('bundle_keystore'):
            bundle['keystore']['on_build'] = hide


def _keystore_body(desired, with_environments=True):
    """The JSON of a bundle keystore's create or update; the file is built here, when it is sent."""
    if not with_environments:
        return _keystores.json_body(desired, False)
    data = base64.b64encode(desired['build']()).decode('ascii')
    if desired.get('on_build'):
        desired['on_build']([data])
    return _keystores.json_body(dict(desired, environments=[dict(e, file=data) for e in desired['environments']]))


def plan_keystore(desired, current, options):
    """The one change of a bundle's keystore (desired: from _desired_keystore, or absent): the keystore plan, with a
    body that builds the file when it is sent. A built file's bytes are not known before, so the stored file is not
    compared; compared are the description, the set of environments and each one's type. Pure."""
    return _keystores.plan(desired, current, options, body=_keystore_body)


def _plan_keystore(bundle, server, project, changes):
    """[the change of the bundle's keystore], or []: it follows the bundle's certificates and key as the key follows
    the leaf -- sent again when any of them (leaf, chain, key; changes: the bundle's other changes) is sent or
    deleted in this run, after them."""
    desired = bundle.get('keystore')
    if not desired:
        return []
    follows = any(c.action != 'none' for c in changes)
    options = _keystores.KeystoreOptions(project, force=bundle['force'] or follows,
                                         update_content=bundle['update_content'], **_jwk_query(bundle))
    change = plan_keystore(desired, server.keystores.get(desired['name']), options)
    return [change._replace(depends_on=tuple(c.key for c in changes))]


def _plan_keystore_delete(bundle, server, project):
    """An absent bundle with a keystore option deletes that keystore first (before its key and certificates)."""
    desired = bundle.get('keystore')
    if not desired or desired['name'] not in server.keystores:
        return []
    return [_keystores.plan(desired, server.keystores[desired['name']],
                            _keystores.KeystoreOptions(project, state='absent'))]
