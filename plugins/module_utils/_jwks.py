# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""JWKs: the desired state from options, what the server holds (public members only), and plan(): the changes that
bring one JWK from what the server holds to what is wanted. Pure: no I/O.

A JWK GET answers private members in clear: current_jwk() keeps only the public ones, so nothing secret outlives
the read. A JWK's PUT changes only name and description and cuts it loose from its source, and the server never
shows use, algorithm or the source's name: a JWK made from a certificate, key or keystore is therefore replaced
(delete, then create) when its public key (where the module can know it), type, kid or description differ or it
lost its source reference, a JWK read from a URL likewise when its sourceUrl, kid or description differ, and a
generated JWK is never generated again unless its type or given kid differ, or force asks for it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import functools
import json
from collections import namedtuple


from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._apply import Change, Request, field_diff, unchanged
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, Literal, object_path
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import check_name, is_http_url

SOURCES = ('certificate', 'key', 'keystore', 'url', 'json', 'generate')
# A JWK from a key takes the key's keyType (PUBLIC_KEY or PRIVATE_KEY): known once the key is read (with_key).
SOURCE_TYPES = dict(certificate='CERTIFICATE', key=None, keystore='KEYSTORE', url='URL', json='COPY_PASTE',
                    generate='GENERATE')
SOURCE_ACTIONS = dict(certificate='parse-from-certificate', key='parse-from-key', keystore='parse-from-keystore',
                      url='parse-from-url', json='parse-from-clipboard', generate='generate')
# Sources whose JWK keeps a reference (sourceId) that a PUT of the JWK would cut.
REFERENCED_SOURCES = frozenset(['certificate', 'key', 'keystore'])
# Sources whose JWK a PUT would cut loose: its sourceId, or its sourceUrl.
DETACHED_BY_PUT = REFERENCED_SOURCES | frozenset(['url'])
# The key types a JWK can be parsed from (our spelling, as _keys.current_key gives it) and the sourceType each makes.
KEY_SOURCE_TYPES = dict(public_key='PUBLIC_KEY', private_key='PRIVATE_KEY')
# url option: the parse-from-url field, each sent only when given (the server's defaults otherwise).
URL_OPTIONS = (('url_connect_timeout', 'urlOptionConnectTimeout'), ('url_read_timeout', 'urlOptionReadTimeout'),
               ('url_size_limit', 'urlOptionSizeLimit'))
USES = dict(signature='SIGNATURE', encryption='ENCRYPTION')
# The member object of a GET answer and the public members each may carry (RFC 7518 / RFC 8037 names).
MEMBER_OBJECTS = dict(RSA='rsa', EC='ec', OCT='oct', OKP='okp')
PUBLIC_MEMBERS = dict(RSA=('n', 'e'), EC=('crv', 'x', 'y'), OCT=(), OKP=('crv', 'x'))
KTY_TYPES = dict(RSA='RSA', EC='EC', oct='OCT', OKP='OKP')

_ECDH = ('ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW', 'ECDH-1PU', 'ECDH-1PU+A128KW',
         'ECDH-1PU+A192KW', 'ECDH-1PU+A256KW')
# The algorithms apinizer-api.md lists per key type and use, in their JOSE spelling.
ALGORITHMS = {
    ('RSA', 'signature'): ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'),
    ('RSA', 'encryption'): ('RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'),
    ('EC', 'signature'): ('ES256', 'ES384', 'ES512', 'ES256K'),
    ('EC', 'encryption'): _ECDH,
    ('OKP', 'signature'): ('EdDSA',),
    ('OKP', 'encryption'): _ECDH,
    ('OCT', 'signature'): ('HS256', 'HS384', 'HS512'),
    ('OCT', 'encryption'): ('A128KW', 'A192KW', 'A256KW', 'A128GCMKW', 'A192GCMKW', 'A256GCMKW', 'DIR',
                            'PBES2-HS256+A128KW', 'PBES2-HS384+A192KW', 'PBES2-HS512+A256KW'),
}
KEY_SIZES = dict(rsa=(2048, 3072, 4096), oct=(128, 192, 256))
DEFAULT_KEY_SIZES = dict(rsa=2048, oct=256)
# curve option: (generate's curveType, the older generate's crv or None, the JWK type)
CURVES = {'P-256': ('P256', 'P-256', 'ec'), 'P-384': ('P384', 'P-384', 'ec'), 'P-521': ('P521', 'P-521', 'ec'),
          'secp256k1': ('SECP256K1', None, 'ec'), 'Ed25519': ('ED25519', 'Ed25519', 'okp'),
          'X25519': ('X25519', 'X25519', 'okp')}
DEFAULT_CURVES = dict(ec='P-256', okp='Ed25519')


# The JWK generate and parse endpoints, documented without the trailing slash every other path has.
JWK_ACTIONS = frozenset(SOURCE_ACTIONS.values())


def jwk_path(project, name=None):
    """The JWK list, or one JWK. A GET of one JWK holds its private members in clear, so its answer never leaves the
    code that reads it (_server.read_jwk)."""
    return object_path(project, 'jwks', name)


def jwk_action_path(project, action):
    """The path of a JWK generate or parse endpoint (JSON in, the deployment report out), sent without the
    trailing slash as documented: a server that answers only that form takes `jwks/generate/` for the JWK named
    generate."""
    if action not in JWK_ACTIONS:
        raise ValueError('not a JWK action: %s' % action)
    return ApinizerClient.project_path(project, Literal('jwks'), Literal(action))[:-1]


class JwkOptions(namedtuple('JwkOptions', ['project', 'state', 'force'])):
    """How one JWK is planned: its project, state (present/absent) and force (make it again)."""

    __slots__ = ()

    def __new__(cls, project, state='present', force=False):
        return super(JwkOptions, cls).__new__(cls, project, state, force)


def generate_algorithm(algorithm):
    """The generate endpoint's spelling of a JOSE algorithm name: RS256 -> RSA256, RSA-OAEP-256 -> RSA_OAEP_256,
    ECDH-ES+A128KW -> ECDH_ES_A128KW."""
    if algorithm in ('RS256', 'RS384', 'RS512'):
        return 'RSA' + algorithm[2:]
    return algorithm.replace('-', '_').replace('+', '_')


def check_algorithm(jwk_type, use, algorithm, option='algorithm'):
    """Refuse an algorithm that does not fit the key type and use; jwk_type None: not known yet, any type."""
    types = [jwk_type] if jwk_type else ['RSA', 'EC', 'OKP', 'OCT']
    allowed = [name for t in types for name in ALGORITHMS[(t, use)]]
    if algorithm not in allowed:
        raise InvalidInput('%s: %s is not an algorithm for %s %s keys; give one of %s.'
                           % (option, algorithm, '/'.join(types), use, ', '.join(sorted(set(allowed)))))


def public_members(jwk_type, members):
    """The public members of a JWK's member object (or of a pasted JWK), each as a string; never a private one."""
    return dict((name, members[name]) for name in PUBLIC_MEMBERS.get(jwk_type, ()) if isinstance(members.get(name), str))


def read_jwk_json(text, kid=None, option='jwk_json'):
    """(type, public members, kid) of a pasted JWK or JWK Set (the entry kid names). Raises InvalidInput naming the
    option; the message never quotes the text, which may hold private members."""
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError as exc:
        raise InvalidInput('%s is not JSON (%s); give a JWK object or a JWK Set.' % (option, getattr(exc, 'msg', 'invalid')))
    if isinstance(value, dict) and isinstance(value.get('keys'), list):
        keys = [k for k in value['keys'] if isinstance(k, dict)]
        if kid is not None:
            keys = [k for k in keys if k.get('kid') == kid]
            if not keys:
                raise InvalidInput('%s: the JWK Set holds no key with kid %s; set kid to one it holds.' % (option, kid))
        if len(keys) != 1:
            raise InvalidInput('%s: the JWK Set holds %d keys; set kid to the one to take.' % (option, len(keys)))
        value = keys[0]
    if not isinstance(value, dict):
        raise InvalidInput('%s must be a JWK (a JSON object with kty) or a JWK Set ({"keys": [...]}).' % option)
    jwk_type = KTY_TYPES.get(value.get('kty'))
    if jwk_type is None:
        raise InvalidInput('%s: kty must be RSA, EC, oct or OKP.' % option)
    public = public_members(jwk_type, value)
    missing = [name for name in PUBLIC_MEMBERS[jwk_type] if name not in public]
    if missing or (jwk_type == 'OCT' and not isinstance(value.get('k'), str)):
        raise InvalidInput('%s: the %s JWK lacks its member %s.' % (option, value.get('kty'), ', '.join(missing) or 'k'))
    if kid is not None and value.get('kid') not in (None, kid):
        raise InvalidInput('%s: the JWK has the kid %s, not %s; leave kid out or make them agree.'
                           % (option, value.get('kid'), kid))
    return jwk_type, public, value.get('kid') or kid


def private_values(text):
    """The values of a pasted JWK's members that are not public (d, p, q, k, ...): what must be masked."""
    return _member_values(text, private=True)


def public_values(text):
    """The values of a pasted JWK's public members (n, e, x, y, kid, ...): what the result may show."""
    return _member_values(text, private=False)


def _member_values(text, private):
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return set()
    keys = value.get('keys') if isinstance(value, dict) and isinstance(value.get('keys'), list) else [value]
    found = set()
    for key in keys:
        if isinstance(key, dict):
            public = set(PUBLIC_MEMBERS.get(KTY_TYPES.get(key.get('kty')), ())) | set(['kty', 'kid', 'use', 'alg'])
            found.update(v for k, v in key.items() if (k not in public) == private and isinstance(v, str) and v)
    return found


def desired_jwk(name, source, description='', kid=None, certificate_name=None, environment=None,
                use='signature', algorithm=None, jwk_json=None, jwk_type=None, key_size=None, curve=None,
                key_name=None, keystore_name=None, alias=None, source_url=None, url_connect_timeout=None,
                url_read_timeout=None, url_size_limit=None):
    """The JWK as the user wants it. For a certificate, key or keystore source, what the source holds comes later,
    from the server (with_certificate, with_key, with_keystore). Raises InvalidInput naming the option, before any
    request."""
    check_name(name)
    if source not in SOURCES:
        raise InvalidInput('source must be one of %s.' % ', '.join(SOURCES))
    desired = dict(name=name, description=description or '', source=source, source_type=SOURCE_TYPES[source],
                   kid=kid or None, jwk_type=None, public=None, fields=dict(name=name, description=description or ''))
    fields = desired['fields']
    if source in REFERENCED_SOURCES:
        named = dict(certificate=('certificate_name', certificate_name, 'certificateName'),
                     key=('key_name', key_name, 'keyName'),
                     keystore=('keystore_name', keystore_name, 'keyStoreName'))[source]
        required = [named[:2], ('environment', environment)] + ([('alias', alias)] if source == 'keystore' else [])
        for option, value in required + [('algorithm', algorithm)]:
            if not value:
                raise InvalidInput('%s is required with source=%s.' % (option, source))
        check_name(named[1], named[0])
        check_algorithm(None, use, algorithm)
        if kid:
            raise InvalidInput('kid: a JWK made from a %s takes no kid; leave kid out.' % source)
        fields[named[2]] = named[1]
        fields.update(environmentName=environment, useType=USES[use], algorithm=algorithm)
        desired.update(environment=environment, use=use, algorithm=algorithm)
        desired[named[0]] = named[1]
        if source == 'keystore':
            fields['aliasName'] = alias
            desired['alias'] = alias
    elif source == 'url':
        _url_fields(desired, source_url, dict(url_connect_timeout=url_connect_timeout,
                                              url_read_timeout=url_read_timeout, url_size_limit=url_size_limit))
    elif source == 'json':
        if not jwk_json:
            raise InvalidInput('jwk_json is required with source=json: the JWK or JWK Set as JSON.')
        desired['jwk_type'], desired['public'], desired['kid'] = read_jwk_json(jwk_json, kid)
        fields['jwkStr'] = jwk_json if isinstance(jwk_json, str) else json.dumps(jwk_json)
        if kid:
            fields['kid'] = kid
    else:
        desired['jwk_type'], fields['type'] = _generate_fields(fields, jwk_type, key_size, curve, use, algorithm, kid)
    return desired


def _url_fields(desired, url, limits):
    """The body of a parse-from-url request into desired: url (option source_url: url is the connection's), kid
    when given, each URL option when given."""
    if not url:
        raise InvalidInput('source_url is required with source=url: the address of the JWK or JWK Set (a JWKS '
                           'endpoint).')
    if not is_http_url(url):
        raise InvalidInput('source_url: %s is not an http or https URL; give the full address, for example '
                           'https://issuer.example.com/.well-known/jwks.json.' % url)
    fields = desired['fields']
    fields['url'] = desired['source_url'] = url
    if desired['kid']:
        fields['kid'] = desired['kid']
    for option, field in URL_OPTIONS:
        value = limits[option]
        if value is None:
            continue
        if value <= 0:
            raise InvalidInput('%s: %d is not a %s; give a positive number or leave it out for the server\'s '
                               'default.' % (option, value, 'size in bytes' if option == 'url_size_limit'
                                             else 'time in milliseconds'))
        fields[field] = value


def _generate_fields(fields, jwk_type, key_size, curve, use, algorithm, kid):
    """The body of a generate request into fields; returns (JWK type, request type)."""
    if not jwk_type:
        raise InvalidInput('jwk_type is required with source=generate: rsa, ec, oct or okp.')
    options = dict(keyUseType=USES[use])
    if jwk_type in KEY_SIZES:
        if curve:
            raise InvalidInput('curve: an %s key has a key_size, not a curve; leave curve out.' % jwk_type)
        size = key_size or DEFAULT_KEY_SIZES[jwk_type]
        if size not in KEY_SIZES[jwk_type]:
            raise InvalidInput('key_size: a generated %s key is %s bits; %s is not one of them.'
                               % (jwk_type, ', '.join(str(s) for s in KEY_SIZES[jwk_type]), size))
        options['keySize'] = size
    else:
        if key_size:
            raise InvalidInput('key_size: an %s key has a curve, not a key_size; leave key_size out.' % jwk_type)
        curve = curve or DEFAULT_CURVES[jwk_type]
        curve_type, older_crv, curve_jwk_type = CURVES[curve]
        if curve_jwk_type != jwk_type:
            raise InvalidInput('curve: %s is not a curve of %s keys; give one of %s.' % (
                curve, jwk_type, ', '.join(c for c, v in CURVES.items() if v[2] == jwk_type)))
        options['curveType'] = curve_type
        if older_crv:  # older servers read crv instead
            options['crv'] = older_crv
    request_type = jwk_type.upper()
    if algorithm:
        check_algorithm(request_type, use, algorithm)
        options['algorithm'] = generate_algorithm(algorithm)
    fields[jwk_type] = options
    if kid:
        fields['kid'] = kid
    return request_type, request_type


def with_certificate(desired, certificate):
    """The desired JWK of a certificate source completed with the public key of the certificate the server holds
    (current_certificate, or None). Raises InvalidInput naming the option, before any write."""
    if certificate is None:
        raise InvalidInput('certificate_name: the project has no certificate %s; create it first (apinizer_certificate).'
                           % desired['certificate_name'])
    _deployed_to('certificate', desired['certificate_name'], desired['environment'], certificate['environments'])
    public_key = _pem.load_single_certificate(certificate['der'], option='certificate_name').public_key()
    jwk_type, public = _pem.jwk_public_members(public_key)
    check_algorithm(jwk_type, desired['use'], desired['algorithm'])
    return dict(desired, jwk_type=jwk_type, public=public)


def _deployed_to(what, name, environment, environments):
    """Refuse a source that has no entry for the environment the JWK is parsed from."""
    if environment not in environments:
        raise InvalidInput('environment: %s %s is not deployed to %s; it is deployed to %s.'
                           % (what, name, environment, ', '.join(environments) or 'no environment'))


def with_key(desired, key):
    """The desired JWK of a key source completed with what the key the server holds (_keys.current_key, or None)
    tells: its sourceType is the key's keyType. A key's content never comes back, so its public members stay
    unknown. Raises InvalidInput naming the option, before any write."""
    name = desired['key_name']
    if key is None:
        raise InvalidInput('key_name: the project has no key %s; create it first (apinizer_key).' % name)
    if key['key_type'] == 'secret_key':
        raise InvalidInput('key_name: key %s is a secret key; a JWK is parsed from a public or private key only: '
                           'name a PUBLIC_KEY or PRIVATE_KEY key.' % name)
    _deployed_to('key', name, desired['environment'], [e['name'] for e in key['environments'] if e['name']])
    # A key type this module does not know (older servers say RSA, EC): the JWK's sourceType is not compared.
    return dict(desired, source_type=KEY_SOURCE_TYPES.get(key['key_type']))


def keystore_entries(data, password=None, option='keystore_name', password_option='keystore_password'):
    """[(alias, private_key, certificate)] of a keystore file (bytes) as _pem reads it, or None when it cannot be
    read: a PKCS#12 file without its password, or a file of another kind. A JKS file's certificates are read without
    the password (which, when given, is checked). Raises InvalidInput (a wrong password, a damaged file)."""
    found_type = _pem.keystore_file_type(data)
    if found_type == 'jks':
        return _pem.read_jks_keystore(data, password, option, password_option, check_password=bool(password))
    if found_type == 'pkcs12' and password:
        return _pem.load_pkcs12_keystore(data, password, option, password_option)
    return None


def with_keystore(desired, keystore, files, password=None):
    """The desired JWK of a keystore source completed with what the server holds: keystore (current_keystore, or
    None) must have an entry for the environment, and when its file came back (files: {environment: bytes}) and
    can be read (a JKS file always, a PKCS#12 file with password), that file must hold the entry alias, whose public
    key the JWK is then compared with. Raises InvalidInput naming the option, before any write."""
    name, environment, alias = desired['keystore_name'], desired['environment'], desired['alias']
    if keystore is None:
        raise InvalidInput('keystore_name: the project has no keystore %s; create it first (apinizer_keystore).'
                           % name)
    _deployed_to('keystore', name, environment, [e['name'] for e in keystore['environments'] if e['name']])
    data = files.get(environment)
    if not data:
        return desired
    entries = keystore_entries(data, password, option='keystore %s in %s' % (name, environment))
    if entries is None:
        return desired
    # A key entry's public key is that of its certificate, the first of its chain.
    matching = [cert for entry_alias, private_key, cert in sorted(entries, key=lambda e: not e[1]) if entry_alias == alias]
    if not matching:
        held = sorted(set(entry_alias for entry_alias, _private_key, _cert in entries if entry_alias))
        raise InvalidInput('alias: keystore %s holds no entry %s in its file for %s; it holds %s.'
                           % (name, alias, environment, ', '.join(held) or 'no named entry'))
    jwk_type, public = _pem.jwk_public_members(matching[0].public_key())
    check_algorithm(jwk_type, desired['use'], desired['algorithm'])
    return dict(desired, jwk_type=jwk_type, public=public)


def absent(name):
    """The desired state of a JWK that must not exist."""
    check_name(name)
    return dict(name=name)


def current_jwk(entry):
    """What the server holds, normalised: a list entry (no material: public None) or a GET answer, of which only
    the public members are kept. Nothing private is copied."""
    jwk_type = (entry.get('type') or '').upper()
    members = entry.get(MEMBER_OBJECTS.get(jwk_type, ''))
    return dict(name=entry.get('name'), description=entry.get('description') or '',
                source_type=entry.get('sourceType') or '', source_id=entry.get('sourceId'),
                source_url=entry.get('sourceUrl'), jwk_type=jwk_type, kid=entry.get('kid'),
                public=public_members(jwk_type, members) if isinstance(members, dict) else None)


def public_fields(jwk):
    """What the modules return about a JWK: never a private member."""
    if not jwk:
        return {}
    shown = dict(name=jwk['name'], description=jwk['description'], source_type=jwk['source_type'],
                 type=jwk.get('jwk_type'), kid=jwk.get('kid'))
    if 'source_id' in jwk:
        shown.update(source_id=jwk['source_id'], source_url=jwk.get('source_url'))
    elif jwk.get('source_url'):  # a desired JWK read from a URL
        shown['source_url'] = jwk['source_url']
    if jwk.get('public') is not None:
        shown['public_members'] = dict(jwk['public'])
    return shown


def differences(desired, current):
    """The compared fields that differ. Only what a JWK answer shows can be compared: description, sourceType,
    type, kid (when one is wanted), the public members (when known before the write) and, for a source that keeps
    a reference, whether it still has one; for a URL, whether the JWK still names that URL."""
    changed = []
    if desired['description'] != current['description']:
        changed.append('description')
    if desired['source_type'] is not None and desired['source_type'] != current['source_type']:
        changed.append('source_type')
    if desired['jwk_type'] and desired['jwk_type'] != current['jwk_type']:
        changed.append('type')
    if desired['kid'] is not None and desired['kid'] != current['kid']:
        changed.append('kid')
    if desired['public'] is not None and desired['public'] != current['public']:
        changed.append('public_members')
    if desired['source'] in REFERENCED_SOURCES and current['source_id'] is None:
        changed.append('source_id')
    if desired['source'] == 'url' and desired['source_url'] != current['source_url']:
        changed.append('source_url')
    return changed


def _diff_fields(jwk, fields):
    shown = public_fields(jwk)
    if 'source_id' in fields:
        shown['source_id'] = 'attached' if jwk.get('source_id') or 'source_id' not in jwk else None
    compared = ('description', 'source_type', 'type', 'kid', 'public_members', 'source_id', 'source_url')
    return dict((k, shown.get(k)) for k in compared
                if k in fields or (not fields and (k != 'source_url' or shown.get(k))))


def _body(desired):
    return dict(json=dict(desired['fields']))


def plan(desired, current, options):
    """The changes that bring a JWK from current (None: absent) to desired (absent(name) with options.state
    absent): none, a create, a delete, a PUT of the description (for JWKs with no source reference to lose), or a
    replace -- a delete, then a create, in one group. Pure."""
    name = desired['name']
    path = jwk_path(options.project, name)
    if options.state != 'present':
        if current is None:
            return [unchanged('jwk', name, {}, desired, options)]
        return [Change('jwk', name, 'delete', public_fields(current), {},
                       field_diff(name, _diff_fields(current, ()), {}), Request('DELETE', path, None, None), (),
                       None, desired, options, None, False)]
    after = public_fields(desired)
    create = Request('POST', jwk_action_path(options.project, SOURCE_ACTIONS[desired['source']]), None,
                     functools.partial(_body, desired))
    if current is None:
        return [Change('jwk', name, 'create', {}, after, field_diff(name, {}, _diff_fields(desired, ())), create, (),
                       None, desired, options, None, False)]
    changed = differences(desired, current)
    if not changed and not options.force:
        return [unchanged('jwk', name, public_fields(current), desired, options)]
    diff = field_diff(name, _diff_fields(current, changed or ['public_members']),
                      _diff_fields(desired, changed or ['public_members']))
    if changed == ['description'] and desired['source'] not in DETACHED_BY_PUT and not options.force:
        update = Request('PUT', path, None, lambda: dict(json=dict(name=name, description=desired['description'])))
        return [Change('jwk', name, 'update', public_fields(current), dict(public_fields(current),
                       description=desired['description']), diff, update, (), None, desired, options, None, False)]
    if not changed:  # force: made again, with new material for a generated key
        diff['before']['public_members'], diff['after']['public_members'] = 'stored', 'made again'
    group = 'jwk:%s' % name
    return [Change('jwk', name, 'delete', public_fields(current), {}, dict(before={}, after={}),
                   Request('DELETE', path, None, None), (), group, desired, options, None, False),
            Change('jwk', name, 'create', {}, after, diff, create, (('jwk', name),), group, desired,
                   options._replace(force=False), None, False)]


def plan_first(desired, current, options):
    """The first change of plan(): what the executor sends next when it plans again after a lost or raced write."""
    return plan(desired, current, options)[0]
