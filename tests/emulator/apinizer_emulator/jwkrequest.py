# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bodies of JWK create, parse and generate, read and checked as the jwk_request variant spells them
(apinizer-api.md, "JWKs"), and the one reader of a JWK URL. Nothing here touches the store."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import time
from urllib.parse import urlsplit

from . import jwk
from .errors import bad_request
from .x509util import api_date

SOURCE_TYPES = ('URL', 'COPY_PASTE', 'CERTIFICATE', 'PUBLIC_KEY', 'PRIVATE_KEY', 'KEYSTORE')
# The sourceType each parse endpoint makes; parse-from-key takes the key's keyType (None until the key is found).
PARSE_ACTIONS = {'parse-from-url': 'URL', 'parse-from-clipboard': 'COPY_PASTE', 'parse-from-certificate': 'CERTIFICATE',
                 'parse-from-key': None, 'parse-from-keystore': 'KEYSTORE'}
GENERATE_ACTION = 'generate'
# sourceType: (kind of source, the field naming it, whether an aliasName is read)
NAMED_SOURCES = {'CERTIFICATE': ('certificate', 'certificateName', False), 'PUBLIC_KEY': ('key', 'keyName', False),
                 'PRIVATE_KEY': ('key', 'keyName', False), None: ('key', 'keyName', False),
                 'KEYSTORE': ('keystore', 'keyStoreName', True)}
URL_OPTIONS = (('urlOptionConnectTimeout', 5000), ('urlOptionReadTimeout', 10000), ('urlOptionSizeLimit', 1048576))
LOCAL_HOSTS = ('localhost',)
DEFAULT_VALIDITY = datetime.timedelta(days=365)


class JwkFields:
    """The field names and use values that one side of the jwk_request variant reads."""

    def __init__(self, variant):
        self.older = variant == 'older'
        self.environment = 'environmentId' if self.older else 'environmentName'
        self.algorithm = 'keystoreAlgorithm' if self.older else 'algorithm'
        self.uses = {'SIGN': 'SIGNATURE', 'ENCRYPT': 'ENCRYPTION'} if self.older else {use: use for use in jwk.USE_TYPES}


class SourceReference:
    """A certificate, key or keystore entry that a JWK is parsed from, as the request names it; kept to re-parse the
    JWK (jwkUpdateAction=UPDATE), never returned."""

    def __init__(self, kind, name, environment, use, algorithm, alias=None, algorithm_may_be_key_type=False):
        self.kind = kind  # 'certificate', 'key' or 'keystore'
        self.name = name
        self.environment = environment
        self.use = use
        self.algorithm = algorithm
        self.alias = alias
        # The older keystoreAlgorithm was first given key-type values such as RSA.
        self.algorithm_may_be_key_type = algorithm_may_be_key_type

    def refusal(self, material_type):
        """None when the algorithm fits material of this type and the use, else the 400 text."""
        if self.algorithm_may_be_key_type and self.algorithm == material_type:
            return None
        return jwk.check_algorithm(material_type, self.use, self.algorithm)


class ParseRequest:
    """A create or parse request: name, description, sourceType and either the source named (``source``), a URL
    (fetched later: ``url``, ``url_options``) or the material itself (COPY_PASTE, and a URL once fetched)."""

    def __init__(self, name, description, source_type):
        self.name = name
        self.description = description
        self.source_type = source_type
        self.source = None
        self.url = None
        self.url_options = {}
        self.kid = None
        self.material = None

    @property
    def options(self):
        """What the request gave that no response carries, for the state dump."""
        options = dict(self.url_options)
        if self.source is not None:
            options.update({'source_name': self.source.name, 'environment': self.source.environment,
                            'alias': self.source.alias, 'use': self.source.use, 'algorithm': self.source.algorithm})
        return options

    def take_json(self, text, what):
        """The material (and kid) of a JWK or JWK Set given as text: what='parsed' (jwkStr) or the URL's."""
        try:
            self.material, self.kid = jwk.from_json_text(text, self.kid)
        except jwk.KidError as exc:
            raise bad_request(str(exc)) from exc
        except jwk.JwkError as exc:
            if what == 'parsed':
                raise bad_request('JWK could not be parsed: %s' % exc) from exc
            raise bad_request('JWK could not be read from URL (%s): %s' % (self.url, exc)) from exc


class GenerateRequest:
    def __init__(self, name, description, jwk_type, size, curve, use, algorithm, kid, key_id_type, options):
        self.name = name
        self.description = description
        self.jwk_type = jwk_type
        self.size = size
        self.curve = curve
        self.use = use
        self.algorithm = algorithm
        self.kid = kid
        self.key_id_type = key_id_type
        self.options = options
        self.material = None

    def generate(self):
        """Make the material and, unless a kid was given, the kid its keyIdType says."""
        self.material = jwk.generate(self.jwk_type, self.size, self.curve)
        if self.kid is None:
            self.kid = {
                'TIMESTAMP': lambda: str(int(time.time() * 1000)),
                'SHA256': lambda: self.material.thumbprint('sha256'),
                'SHA1': lambda: self.material.thumbprint('sha1'),
                'ISO_DATE': lambda: api_date(datetime.datetime.now(datetime.timezone.utc)),
                'NONE': lambda: None,
            }[self.key_id_type]()


def _blank(value):
    return not isinstance(value, str) or not value.strip()


def _optional_string(body, field):
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise bad_request('%s must be a string!' % field, error='invalid_parameter')
    return value


def read_create(body, fields, environment_by_id):
    """The body of ``POST /jwks/``: name, sourceType, then that source's fields."""
    name = _jwk_name(body)
    source_type = body.get('sourceType')
    if _blank(source_type):
        raise bad_request('Source type is required!')
    if source_type == 'GENERATE':
        raise bad_request('Source type GENERATE is not supported here, use the generate endpoint!')
    if source_type not in SOURCE_TYPES:
        raise bad_request('sourceType value (%s) is not valid!' % source_type)
    return read_parse(body, source_type, fields, environment_by_id, name=name)


def _jwk_name(body):
    name = body.get('name')
    if _blank(name):
        raise bad_request('JWK name can not be empty!')
    return name


def read_parse(body, source_type, fields, environment_by_id, name=None):
    """The body of a parse endpoint (source_type None: parse-from-key, whose type is the key's)."""
    name = name if name is not None else _jwk_name(body)
    request = ParseRequest(name, _optional_string(body, 'description') or '', source_type)
    label = source_type or 'PUBLIC_KEY or PRIVATE_KEY'

    def required(field):
        value = body.get(field)
        if _blank(value):
            raise bad_request('%s is required for %s source type!' % (field, label))
        return value

    if source_type == 'URL':
        if _blank(body.get('url')):
            raise bad_request('URL is required for URL source type!')
        request.url = body['url']
        request.kid = _optional_string(body, 'kid')
        request.url_options = {option: _positive_int(body, option, default) for option, default in URL_OPTIONS}
    elif source_type == 'COPY_PASTE':
        text = required('jwkStr')
        request.kid = _optional_string(body, 'kid')
        request.take_json(text, 'parsed')
    else:
        kind, name_field, with_alias = NAMED_SOURCES[source_type]
        source_name = required(name_field)
        environment = required(fields.environment)
        if fields.older:
            environment = environment_by_id(environment)
        alias = required('aliasName') if with_alias else None
        use = required('useType')
        if use not in fields.uses:
            raise bad_request('useType value (%s) is not valid!' % use)
        algorithm = required(fields.algorithm)
        request.source = SourceReference(kind, source_name, environment, fields.uses[use], algorithm, alias,
                                         algorithm_may_be_key_type=fields.older)
    return request


def _positive_int(body, field, default):
    value = body.get(field, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise bad_request('%s value (%s) is not valid!' % (field, value))
    return value


def fetch_url(request):
    """Read a parse-from-url request's URL once, within its options, into its material. The emulator reads only from
    this machine (127.0.0.1, ::1, localhost): it never reaches another host."""
    parts = urlsplit(request.url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    reason = None
    if parts.scheme not in ('http', 'https') or not parts.hostname or port == -1:
        reason = 'not an http or https URL'
    elif not _is_local(parts.hostname):
        reason = 'the emulator reads URLs on this machine only (127.0.0.1, ::1, localhost)'
    if reason:
        raise bad_request('JWK could not be read from URL (%s): %s' % (request.url, reason))
    options = request.url_options
    connection_class = http.client.HTTPSConnection if parts.scheme == 'https' else http.client.HTTPConnection
    connection = connection_class(parts.hostname, port, timeout=options['urlOptionConnectTimeout'] / 1000.0)
    try:
        connection.connect()
        connection.sock.settimeout(options['urlOptionReadTimeout'] / 1000.0)
        target = (parts.path or '/') + ('?' + parts.query if parts.query else '')
        connection.request('GET', target, headers={'Accept': 'application/json'})
        response = connection.getresponse()
        text = response.read(options['urlOptionSizeLimit'] + 1)
        if response.status != 200:
            raise OSError('HTTP status %d' % response.status)
        if len(text) > options['urlOptionSizeLimit']:
            raise OSError('the answer is larger than urlOptionSizeLimit (%d bytes)' % options['urlOptionSizeLimit'])
    except (OSError, http.client.HTTPException) as exc:
        raise bad_request('JWK could not be read from URL (%s): %s' % (request.url, str(exc) or type(exc).__name__)) from exc
    finally:
        connection.close()
    request.take_json(text, 'read')


def _is_local(hostname):
    if hostname.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def read_generate(body, fields):
    """The body of ``POST /jwks/generate``: checked in full; the material is made later (GenerateRequest.generate)."""
    name = _jwk_name(body)
    jwk_type = body.get('type')
    if _blank(jwk_type):
        raise bad_request('JWK type can not be empty!')
    if jwk_type not in jwk.JWK_TYPES:
        raise bad_request('type value (%s) is not valid!' % jwk_type)
    description = _optional_string(body, 'description') or ''
    object_name = jwk_type.lower()
    options = body.get(object_name)
    if options is None and fields.older:
        options = {}  # the first older pages: no type object, defaults for everything
    if not isinstance(options, dict):
        raise bad_request('%s value can not be empty!' % object_name)
    size, curve = _size_or_curve(jwk_type, options, fields.older)
    use = options.get('keyUseType', 'SIGNATURE')
    if use not in jwk.USE_TYPES:
        raise bad_request('keyUseType value (%s) is not valid!' % use)
    algorithm = options.get('algorithm')
    if algorithm is not None:
        valid = [jwk.generate_spelling(name) for name in jwk.ALGORITHMS[(jwk_type, use)]]
        if algorithm not in valid:
            raise bad_request('Algorithm (%s) is not valid for %s %s keys!' % (algorithm, jwk_type, use))
    key_id_type = options.get('keyIdType', 'TIMESTAMP')
    if key_id_type not in jwk.KEY_ID_TYPES:
        raise bad_request('keyIdType value (%s) is not valid!' % key_id_type)
    not_before = _iso_time(options, 'notBeforeTime', datetime.datetime.now(datetime.timezone.utc))
    expiration = _iso_time(options, 'expirationTime', not_before + DEFAULT_VALIDITY)
    if expiration <= not_before:
        raise bad_request('expirationTime value (%s) is not valid!' % options.get('expirationTime'))
    stored = {'use': use, 'algorithm': algorithm, 'key_id_type': key_id_type, 'size': size, 'curve': curve,
              'not_before': api_date(not_before), 'expiration': api_date(expiration)}
    if jwk_type == 'OCT':
        stored['password_salt_length'] = _positive_int(options, 'passwordSaltLength', 8)
        stored['password_iteration_count'] = _positive_int(options, 'passwordIterationCount', 1000)
    # The older pages have no kid: an older server ignores one.
    kid = None if fields.older else _optional_string(body, 'kid')
    return GenerateRequest(name, description, jwk_type, size, curve, use, algorithm, kid, key_id_type, stored)


def _iso_time(options, field, default):
    """An ISO 8601 time of a generate request (UTC when it names no zone), or the default."""
    value = options.get(field)
    if value is None:
        return default
    try:
        parsed = datetime.datetime.fromisoformat(value.replace('Z', '+00:00') if isinstance(value, str) else '')
    except ValueError as exc:
        raise bad_request('%s value (%s) is not valid!' % (field, value)) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _size_or_curve(jwk_type, options, older):
    """(keySize, curve) of a generate request; the curve as jwk.generate() takes it."""
    if jwk_type in ('RSA', 'OCT'):
        sizes = jwk.RSA_SIZES if jwk_type == 'RSA' else jwk.OCT_SIZES
        # The first older pages have no type object: the emulator's defaults.
        size = options.get('keySize', {'RSA': 2048, 'OCT': 256}[jwk_type] if older else None)
        if size is None:
            raise bad_request('keySize value can not be empty!')
        if size not in sizes or isinstance(size, bool):
            raise bad_request('keySize value (%s) is not valid!' % size)
        return size, None
    field = 'crv' if older else 'curveType'
    default = ('P-256' if jwk_type == 'EC' else 'Ed25519') if older else None
    curve = options.get(field, default)
    if curve is None:
        raise bad_request('%s value can not be empty!' % field)
    if not isinstance(curve, str):
        raise bad_request('%s value (%s) is not valid!' % (field, curve))
    if jwk_type == 'EC':
        curve = jwk.OLDER_EC_CRV.get(curve) if older else curve
        if curve not in jwk.EC_CURVES:
            raise bad_request('%s value (%s) is not valid!' % (field, options.get(field)))
        return None, curve
    if older:
        if curve not in jwk.OLDER_OKP_CRV:
            raise bad_request('%s value (%s) is not valid!' % (field, curve))
        return None, curve
    if curve not in jwk.OKP_CURVES:
        raise bad_request('%s value (%s) is not valid!' % (field, curve))
    return None, jwk.OKP_CURVES[curve]
