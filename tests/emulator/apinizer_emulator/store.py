# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator's in-memory state: projects, environments, certificates, keys, keystores, JWKs, tokens, request log.

One re-entrant lock guards all of it; every public method takes it, so each API call is atomic.
"""

from __future__ import annotations

import base64
import binascii
import collections
import copy
import datetime
import hashlib
import io
import os
import secrets
import threading
import time
import uuid
import zipfile

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import jwk
from .config import normalize_projects
from .errors import ApiError, bad_request, validation_failed
from .variants import profile_name, resolve
from .x509util import api_date, load_private_key_pem

KEY_TYPES = ('SECRET_KEY', 'PRIVATE_KEY', 'PUBLIC_KEY')
KEYSTORE_TYPES = ('JKS', 'PKCS12')
# How messages name the objects a JWK can be parsed from.
SOURCE_LABELS = {'certificate': 'Certificate', 'key': 'Key', 'keystore': 'Keystore'}
# Stable ids: the same environment or project name always gets the same id, across resets and restarts.
ID_NAMESPACE = uuid.UUID('6f1c3f0e-2d4b-4c55-9a57-4170696e697a')
REQUEST_LOG_LIMIT = 10000


def stable_id(kind, name):
    """A 24-hex-digit id (the shape of a MongoDB ObjectId, as Apinizer uses) derived from a name."""
    return uuid.uuid5(ID_NAMESPACE, kind + ':' + name).hex[:24]


def object_id():
    """The opaque id of one stored object (a JWK's sourceId names its source by it); a new object gets a new id."""
    return secrets.token_hex(12)


def utc_now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class KeyVault:
    """Encrypts key content the way the API shows it: never what was sent, different on every write."""

    NONCE_BYTES = 12

    def __init__(self):
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def encrypt(self, plaintext):
        nonce = os.urandom(self.NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext, None)).decode('ascii')

    def decrypt(self, encrypted):
        """What encrypt() was given (the emulator reads a key's content back to parse a JWK from it)."""
        raw = base64.b64decode(encrypted)
        return self._aead.decrypt(raw[:self.NONCE_BYTES], raw[self.NONCE_BYTES:], None)


class CertificateRecord:
    def __init__(self, name, description, alias, environments, parsed):
        self.name = name
        self.description = description
        self.alias = alias
        self.environments = list(environments)
        self.parsed = parsed
        self.id = object_id()
        # Environments the certificate is stored in but whose last deployment of it failed.
        self.failed_environments = set()


class KeyEnvironmentEntry:
    def __init__(self, environment, alias, encrypted_content, content_sha256):
        self.environment = environment
        self.alias = alias
        self.encrypted_content = encrypted_content
        self.content_sha256 = content_sha256


class KeyRecord:
    def __init__(self, name, description, key_type, entries):
        self.name = name
        self.description = description
        self.key_type = key_type
        self.entries = list(entries)
        self.id = object_id()
        # Environments the key is stored in but whose last deployment of it failed.
        self.failed_environments = set()


class KeystoreEntry:
    def __init__(self, environment, keystore_type, data, password, alias):
        self.environment = environment
        self.keystore_type = keystore_type
        self.data = data
        # Never returned by the API or the state; only parse-from-keystore opens the file with it.
        self.password = password
        self.alias = alias


class KeystoreRecord:
    def __init__(self, name, description, entries):
        self.name = name
        self.description = description
        self.entries = list(entries)
        self.id = object_id()
        # Environments the keystore is stored in but whose last deployment of it failed.
        self.failed_environments = set()


class JwkRecord:
    def __init__(self, name, description, source_type, material, kid, source_id=None, source_url=None, source=None,
                 options=None):
        self.name = name
        self.description = description
        self.source_type = source_type
        self.material = material
        self.kid = kid
        self.source_id = source_id
        self.source_url = source_url
        self.source = source
        # The request's options that no response carries (use, algorithm, generate and URL options): stored only.
        self.options = dict(options or {})
        self.failed_environments = set()

    def detach(self):
        self.source_id = None
        self.source_url = None
        self.source = None


class Project:
    def __init__(self, name, environments):
        self.name = name
        self.id = stable_id('project', name)
        self.environments = list(environments)
        self.certificates = collections.OrderedDict()
        self.keys = collections.OrderedDict()
        self.keystores = collections.OrderedDict()
        self.jwks = collections.OrderedDict()
        self.replace_queries = []


class RequestLog:
    """Method, path, query, status and timing of API requests: no bodies, no headers, no secrets."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._next_seq = 1

    def next_seq(self):
        with self._lock:
            seq = self._next_seq
            self._next_seq += 1
            return seq

    def append(self, entry):
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > REQUEST_LOG_LIMIT:
                del self._entries[:len(self._entries) - REQUEST_LOG_LIMIT]

    def entries(self):
        with self._lock:
            return sorted((dict(entry) for entry in self._entries), key=lambda entry: entry['seq'])

    def clear(self):
        with self._lock:
            self._entries = []


def deployment_report(environment_names, failures, undeploy=False):
    """The answer of every write: per-environment results; ``success`` false when any environment failed."""
    word = 'Undeploy' if undeploy else 'Deploy'
    results = []
    for name in environment_names:
        if name in failures:
            results.append({'environmentName': name, 'success': False, 'message': failures[name]})
        else:
            results.append({'environmentName': name, 'success': True, 'message': '%sed successfully' % word})
    failed = len([name for name in environment_names if name in failures])
    if failed:
        message = '%sment failed for %d environment(s)' % (word, failed)
    else:
        message = '%sment completed successfully' % word
    return {'success': True, 'deploymentResult': {'success': not failed, 'message': message, 'environmentResults': results}}


def _blank_field(value):
    """A required JSON string that is missing, not a string, or white space only."""
    return not isinstance(value, str) or not value.strip()


def no_failures(environment_names):  # pylint: disable=unused-argument
    return {}


def decode_key_content(content, environment):
    """The bytes a base64 ``content`` stands for; 400 when it is not base64 (line breaks are not accepted)."""
    if not isinstance(content, str):
        raise bad_request('content of environment (name: %s) must be a base64 string!' % environment, error='invalid_parameter')
    try:
        return base64.b64decode(content.encode('ascii'), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise validation_failed('content', 'content of environment (name: %s) is not valid base64!' % environment) from exc


def _key_kind(public_key):
    """What a message calls a key that is not RSA: EC (with its curve), Ed25519, ..."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'EC (%s)' % public_key.curve.name
    return type(public_key).__name__.lstrip('_').replace('PublicKey', '') or 'unknown'


def check_key_content(key_type, plaintext, name, environment):
    """The reference's PRIVATE_KEY and PUBLIC_KEY are RSA keys in PEM: anything else is refused with 400, as a server
    that stores what it can deploy does. Not documented; the texts are the emulator's own (tests/emulator/README.md)."""
    if key_type not in ('PRIVATE_KEY', 'PUBLIC_KEY'):
        return
    try:
        if key_type == 'PRIVATE_KEY':
            key = load_private_key_pem(plaintext)
            public_key = key.public_key()
        else:
            public_key = serialization.load_pem_public_key(plaintext)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = 'not a PEM %s key' % ('private' if key_type == 'PRIVATE_KEY' else 'public')
        if isinstance(exc, TypeError):
            reason = 'the key is encrypted'
        raise bad_request('Key (name: %s) could not be parsed for environment (name: %s): %s!'
                          % (name, environment, reason)) from exc
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise bad_request('Key (name: %s) for environment (name: %s) is an %s key; keyType %s holds RSA keys only!'
                          % (name, environment, _key_kind(public_key), key_type))


class Store:
    """All objects of all projects, plus the settings that can change at run time."""

    def __init__(self, config):
        self.lock = threading.RLock()
        self._config = config
        self._vault = KeyVault()
        self.request_log = RequestLog()
        self._issued_tokens = {}
        self._token_users = {}
        self.projects = collections.OrderedDict()
        self.environments = []
        self.switches = config.switches
        self.token_ttl = config.token_ttl
        self.reset()

    # ---- configuration -------------------------------------------------------------------------

    def reset(self, projects=None, token_ttl=None, variant=None, **switches):
        """Forget every object; back to the start configuration unless something else is given (a variant profile
        starts from that profile; switches given override it)."""
        projects = normalize_projects(projects if projects is not None else self._config.projects)
        values = resolve(variant, base=self._config.switches, **switches)
        with self.lock:
            self.switches = values
            self.token_ttl = self._config.token_ttl if token_ttl is None else int(token_ttl)
            self.environments = []
            for environments in projects.values():
                for name in environments:
                    if name not in self.environments:
                        self.environments.append(name)
            self.projects = collections.OrderedDict((name, Project(name, environments)) for name, environments in projects.items())
            admin = self._config.admin_project
            if admin not in self.projects:
                # The admin project sees every environment (it is where the global truststore lives).
                self.projects[admin] = Project(admin, self.environments)
            self.request_log.clear()

    @property
    def omit_list_content(self):
        return self.switch('omit_list_content')

    def switch(self, name):
        """The current value of one variant switch (variants.py)."""
        with self.lock:
            return self.switches[name]

    def settings(self):
        with self.lock:
            settings = {
                'variant': profile_name(self.switches),
                'token_ttl': self.token_ttl,
                'admin_project': self._config.admin_project,
                'projects': collections.OrderedDict((name, list(project.environments)) for name, project in self.projects.items()),
                'environments': list(self.environments),
                'tls': self._config.tls,
                'client_certificate_required': bool(self._config.tls_client_ca),
                'read_write_token_count': len(self._config.tokens),
                'read_only_token_count': len(self._config.read_only_tokens),
                'user_count': len(self._config.users),
            }
            settings.update(self.switches)
            return settings

    def configure(self, token_ttl=None, variant=None, **switches):
        """Change settings at run time: a variant profile replaces every switch, switches given override it."""
        with self.lock:
            self.switches = resolve(variant, base=self.switches, **switches)
            if token_ttl is not None:
                self.token_ttl = int(token_ttl)

    # ---- authentication ------------------------------------------------------------------------

    def issue_token(self, username, password):
        """A read-write token for a configured user, or None for bad credentials."""
        expected = self._config.users.get(username)
        if expected is None or not secrets.compare_digest(expected.encode('utf-8'), password.encode('utf-8')):
            return None
        with self.lock:
            token = secrets.token_urlsafe(32)
            self._issued_tokens[token] = time.monotonic() + self.token_ttl
            self._token_users[token] = username
            return token, self.token_ttl

    def credential(self, token):
        """Who a bearer token stands for, as the request log names it (never the token itself): ``token <n>``
        (the n-th read-write token of the configuration), ``read-only token <n>``, ``user <name>`` (a token
        issued to that user, expired or not), or None (no token, or one the emulator never knew)."""
        if not token:
            return None
        for label, tokens in (('token', self._config.tokens), ('read-only token', self._config.read_only_tokens)):
            if token in tokens:
                return '%s %d' % (label, tokens.index(token) + 1)
        with self.lock:
            user = self._token_users.get(token)
        return 'user %s' % user if user is not None else None

    def authenticate(self, token, arrived=None):
        """``(read_write, admin)`` for a valid token; ApiError 401 otherwise. An issued token is checked for expiry
        as of ``arrived`` (time.monotonic() when the request came in), as a server checks it on arrival whatever
        delay follows."""
        if token:
            if token in self._config.tokens:
                return True, True
            if token in self._config.read_only_tokens:
                return False, False
            with self.lock:
                expires = self._issued_tokens.get(token)
            if expires is not None:
                if (time.monotonic() if arrived is None else arrived) >= expires:
                    raise ApiError(401, 'token_expired', 'Token has expired', headers={'WWW-Authenticate': 'Bearer error="invalid_token"'})
                return True, True
        raise ApiError(401, 'invalid_token', 'Token is invalid or expired', headers={'WWW-Authenticate': 'Bearer error="invalid_token"'})

    # ---- projects and environments ---------------------------------------------------------------

    def is_admin_project(self, name):
        return name == self._config.admin_project

    def project(self, name, admin):
        """The project, or 404 as the API answers for unknown (or hidden) projects."""
        with self.lock:
            project = self.projects.get(name)
            if project is None or (self.is_admin_project(name) and not admin):
                raise ApiError(404, 'not_found', 'Project(%s) was not found or user does not have privilege to access it!' % name)
            return project

    def environment_json(self, name):
        return {
            'name': name,
            'description': '%s environment (emulated)' % name,
            'type': 'PRODUCTION' if 'prod' in name.lower() else 'TEST',
            'status': 'ACTIVE',
            'accessUrl': 'https://%s.gateway.apinizer.invalid' % name.lower().replace(' ', '-'),
            'deployed': True,
            'redeployRequired': False,
        }

    def environments_of(self, project_name, admin):
        with self.lock:
            project = self.projects.get(project_name)
            if project is None or (self.is_admin_project(project_name) and not admin):
                raise bad_request('Project not found for name: (%s) or user has not privilege to access it!' % project_name)
            return [self.environment_json(name) for name in project.environments]

    def all_environments(self):
        with self.lock:
            return [self.environment_json(name) for name in self.environments]

    def _check_environments(self, project, names):
        for name in names:
            if name not in project.environments:
                raise bad_request('Environment (name: %s) is not found!' % name)

    @staticmethod
    def _record_query(project, resource, name, query):
        """The query of a certificate replace or key update as sent, and the JWK action and scope it meant to this
        server (api.ApiOps._update_query)."""
        project.replace_queries.append({'resource': resource, 'name': name, 'query': dict(query.sent),
                                        'jwk_update_action': query.jwk_update_action, 'update_scope': query.update_scope,
                                        'time': utc_now_iso()})

    # ---- certificates --------------------------------------------------------------------------

    def certificate_json(self, record, with_content=True, only_environment=None):
        parsed = record.parsed
        entries = []
        for environment in record.environments:
            if only_environment is not None and environment != only_environment:
                continue
            entry = collections.OrderedDict()
            entry['environmentName'] = environment
            entry['startDate'] = api_date(parsed.not_before)
            entry['endDate'] = api_date(parsed.not_after)
            if with_content:
                entry['base64EncodedContent'] = base64.b64encode(parsed.der).decode('ascii')
            entry['sha1Thumbprint'] = parsed.sha1_thumbprint
            entry['subjectDn'] = parsed.subject_dn
            entry['alias'] = record.alias
            entries.append(entry)
        return collections.OrderedDict([('name', record.name), ('description', record.description), ('certificateEnvironmentList', entries)])

    def list_certificates(self, project):
        with self.lock:
            return [self.certificate_json(record, with_content=not self.omit_list_content) for record in project.certificates.values()]

    def _not_found(self, description):
        """A missing certificate or key: 400 bad_request as documented, or 404 not_found (switch not_found_status)."""
        if self.switches['not_found_status'] == 404:
            return ApiError(404, 'not_found', description)
        return bad_request(description)

    def _certificate(self, project, name):
        record = project.certificates.get(name)
        if record is None:
            raise self._not_found('Certificate (name: %s) is not found!' % name)
        return record

    def get_certificate(self, project, name):
        with self.lock:
            return self.certificate_json(self._certificate(project, name))

    def truststore(self, environment):
        with self.lock:
            if environment not in self.environments:
                raise bad_request('Environment (%s) is not found or user does not have privilege to access it!' % environment)
            result = []
            for project in self.projects.values():
                for record in project.certificates.values():
                    if environment in record.environments:
                        result.append(self.certificate_json(record, with_content=not self.omit_list_content, only_environment=environment))
            return result

    def _check_alias_free(self, alias, environments, ignore=None):
        # The environment's truststore is shared by every project, so an alias is unique per environment across projects.
        for project in self.projects.values():
            for record in project.certificates.values():
                if record is ignore or record.alias != alias:
                    continue
                if set(record.environments) & set(environments):
                    raise bad_request('Alias (%s) is already used for another certificate, try changing this value!' % alias)

    def _deploy_certificate(self, project, record, deploy_failures):
        failures = deploy_failures(record.environments)
        # As the contract says: the object is still stored, in every environment it lists; only its deployment
        # failed there. Nothing in the API shows that; the state does (failed_environments).
        record.failed_environments = set(failures)
        project.certificates[record.name] = record
        return deployment_report(record.environments, failures)

    def create_certificate(self, project, name, description, alias, environments, parsed, deploy_failures=no_failures):
        with self.lock:
            if name in project.certificates:
                raise bad_request('Certificate (name: %s) is already exist!' % name)
            self._check_environments(project, environments)
            self._check_alias_free(alias, environments)
            record = CertificateRecord(name, description, alias, environments, parsed)
            return self._deploy_certificate(project, record, deploy_failures)

    def replace_certificate(self, project, name, description, alias, environments, parsed, query,
                            deploy_failures=no_failures, create_failure=None):
        """Delete, then create: the new certificate is a new object (it moves to the end of the list).

        ``create_failure`` is a callable returning an error description when the create half must fail."""
        with self.lock:
            old = self._certificate(project, name)
            self._check_environments(project, environments)
            self._record_query(project, 'certificate', name, query)
            del project.certificates[name]
            description_of_failure = create_failure() if create_failure is not None else None
            if description_of_failure:
                self._follow_source(project, old.id, None, None)  # the old certificate is gone, as on a delete
                raise ApiError(500, 'internal_error', description_of_failure)
            # Checked after the delete, so the certificate may keep its own alias; a clash leaves the old one deleted.
            try:
                self._check_alias_free(alias, environments)
            except ApiError:
                self._follow_source(project, old.id, None, None)
                raise
            record = CertificateRecord(name, description, alias, environments, parsed)
            self._follow_source(project, old.id, record, query.jwk_update_action)
            return self._deploy_certificate(project, record, deploy_failures)

    def delete_certificate(self, project, name, deploy_failures=no_failures):
        with self.lock:
            record = self._certificate(project, name)
            failures = deploy_failures(record.environments)
            del project.certificates[name]
            self._follow_source(project, record.id, None, None)
            return deployment_report(record.environments, failures, undeploy=True)

    def export_certificate(self, project, name):
        """The export ZIP: one ``{name}-{environment}.cer`` (DER) per environment."""
        with self.lock:
            record = self._certificate(project, name)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
                for environment in record.environments:
                    archive.writestr('%s-%s.cer' % (record.name, environment), record.parsed.der)
            return buffer.getvalue()

    # ---- keys ----------------------------------------------------------------------------------

    def key_json(self, project, record, by_name, older=False):
        """A key as the get (by_name) or the list answers it; older: the list of older servers, whose entries name
        the environment and carry the encrypted content as publicKey (a PUBLIC_KEY) or privateKey (the others)."""
        entries = []
        for item in record.entries:
            entry = collections.OrderedDict()
            if by_name or older:
                entry['environmentName'] = item.environment
            else:
                entry['environmentId'] = stable_id('environment', item.environment)
            if older:
                public = record.key_type == 'PUBLIC_KEY'
                entry['publicKey'] = item.encrypted_content if public else None
                entry['privateKey'] = None if public else item.encrypted_content
            else:
                entry['content'] = item.encrypted_content
            entry['alias'] = item.alias
            entries.append(entry)
        return collections.OrderedDict([
            ('name', record.name), ('description', record.description), ('projectId', project.id),
            ('keyType', record.key_type), ('cryptoKeyInfoEnvironmentList', entries)])

    def list_keys(self, project):
        with self.lock:
            older = self.switches['key_list_shape'] == 'older'
            return [self.key_json(project, record, by_name=False, older=older) for record in project.keys.values()]

    def _key(self, project, name):
        record = project.keys.get(name)
        if record is None:
            raise self._not_found('Key (name: %s) is not found!' % name)
        return record

    def get_key(self, project, name):
        with self.lock:
            return self.key_json(project, self._key(project, name), by_name=True)

    def _key_entries(self, project, raw_entries, content_required, key_type, name):
        """Validated key entries (content encrypted on the way in), from the request's environment list; a
        PRIVATE_KEY or PUBLIC_KEY content must be an RSA key."""
        if not isinstance(raw_entries, list) or not raw_entries:
            raise bad_request('cryptoKeyInfoEnvironmentList value can not be empty!')
        entries = []
        seen, checked = set(), set()
        for raw in raw_entries:
            if not isinstance(raw, dict):
                raise bad_request('cryptoKeyInfoEnvironmentList entries must be objects!', error='invalid_parameter')
            environment = raw.get('environmentName')
            if not isinstance(environment, str) or not environment.strip():
                raise bad_request('environmentName value can not be empty!')
            if environment in seen:
                raise validation_failed('cryptoKeyInfoEnvironmentList', 'Environment (name: %s) is listed more than once!' % environment)
            seen.add(environment)
            alias = raw.get('alias')
            if alias is not None and not isinstance(alias, str):
                raise bad_request('alias must be a string!', error='invalid_parameter')
            content = raw.get('content')
            if content is None or content == '':
                if content_required:
                    raise bad_request('content value can not be empty!')
                # Deliberate: an update entry without content blanks that environment's key, so a client bug is visible.
                entries.append(KeyEnvironmentEntry(environment, alias, None, None))
                continue
            plaintext = decode_key_content(content, environment)
            digest = hashlib.sha256(plaintext).hexdigest()
            if digest not in checked:  # the same key for every environment is checked once
                check_key_content(key_type, plaintext, name, environment)
                checked.add(digest)
            entries.append(KeyEnvironmentEntry(environment, alias, self._vault.encrypt(plaintext), digest))
        self._check_environments(project, [entry.environment for entry in entries])
        return entries

    @staticmethod
    def _check_key_type(key_type):
        if key_type not in KEY_TYPES:
            raise validation_failed('keyType', 'keyType value must be one of %s!' % ', '.join(KEY_TYPES))

    @staticmethod
    def _check_description(description):
        if description is not None and not isinstance(description, str):
            raise bad_request('description must be a string!', error='invalid_parameter')

    def _deploy_key(self, project, record, deploy_failures):
        names = [entry.environment for entry in record.entries]
        failures = deploy_failures(names)
        # Stored in every environment it lists, as for certificates; the failed ones show in the state only.
        record.failed_environments = set(failures)
        project.keys[record.name] = record
        return deployment_report(names, failures)

    def create_key(self, project, body, deploy_failures=no_failures):
        with self.lock:
            name = body.get('name')
            if not isinstance(name, str) or not name.strip():
                raise bad_request('name value can not be empty!')
            self._check_key_type(body.get('keyType'))
            self._check_description(body.get('description'))
            entries = self._key_entries(project, body.get('cryptoKeyInfoEnvironmentList'), content_required=True,
                                        key_type=body['keyType'], name=name)
            if name in project.keys:
                raise bad_request('Key (name: %s) is already exist! Try update operation if want to change its value.' % name)
            record = KeyRecord(name, body.get('description') or '', body['keyType'], entries)
            return self._deploy_key(project, record, deploy_failures)

    def update_key(self, project, name, body, query, deploy_failures=no_failures):
        with self.lock:
            record = self._key(project, name)
            new_name = body.get('name')
            if new_name is not None and (not isinstance(new_name, str) or not new_name.strip()):
                raise bad_request('name value can not be empty!')
            if new_name is not None and new_name != name and new_name in project.keys:
                raise bad_request('Key (name: %s) is already exist! Try update operation if want to change its value.' % new_name)
            if 'keyType' in body and body['keyType'] is not None:
                self._check_key_type(body['keyType'])
            self._check_description(body.get('description'))
            if body.get('cryptoKeyInfoEnvironmentList') is not None:
                entries = self._key_entries(project, body['cryptoKeyInfoEnvironmentList'], content_required=False,
                                            key_type=body.get('keyType') or record.key_type, name=name)
            else:
                entries = [copy.copy(entry) for entry in record.entries]
            self._record_query(project, 'key', name, query)
            updated = KeyRecord(
                new_name or name,
                body['description'] if body.get('description') is not None else record.description,
                body['keyType'] if body.get('keyType') is not None else record.key_type,
                entries)
            updated.id = record.id  # the same key, updated: its JWKs keep naming it
            # Keep the key's place in the list; a rename re-inserts it under the new name.
            if updated.name != name:
                del project.keys[name]
            self._follow_source(project, record.id, updated, query.jwk_update_action)
            return self._deploy_key(project, updated, deploy_failures)

    def delete_key(self, project, name, deploy_failures=no_failures):
        with self.lock:
            return self._delete_entries_object(project, project.keys, self._key(project, name), deploy_failures)

    def _delete_entries_object(self, project, objects, record, deploy_failures):
        """Delete a key or keystore (an entry per environment) and undeploy it there; its JWKs are cut loose."""
        names = [entry.environment for entry in record.entries]
        failures = deploy_failures(names)
        del objects[record.name]
        self._follow_source(project, record.id, None, None)
        return deployment_report(names, failures, undeploy=True)

    # ---- keystores -----------------------------------------------------------------------------

    def _keystore_fields(self):
        """The entry fields this server's keystore_request variant reads: (environment field, type field, whether it
        reads password and alias)."""
        variant = self.switches['keystore_request']
        if variant == 'newer':
            return 'environmentName', 'keyStoreType', True
        return ('environmentName' if variant == 'older' else 'environmentId'), 'type', False

    def environment_by_id(self, project, environment_id):
        """The name of the project's environment with this id (the oldest requests name environments by id)."""
        with self.lock:
            for name in project.environments:
                if stable_id('environment', name) == environment_id:
                    return name
        raise bad_request('Environment (id: %s) is not found!' % environment_id)

    def _keystore_entries(self, project, raw_entries):
        """Validated keystore entries. The file is checked to be base64 and never opened (apinizer-api.md)."""
        if not isinstance(raw_entries, list) or not raw_entries:
            raise bad_request('keyStoreEnvironmentList value can not be empty!')
        environment_field, type_field, with_password = self._keystore_fields()
        entries, seen = [], set()
        for raw in raw_entries:
            if not isinstance(raw, dict):
                raise bad_request('keyStoreEnvironmentList entries must be objects!', error='invalid_parameter')
            environment = raw.get(environment_field)
            if _blank_field(environment):
                raise bad_request('%s value can not be empty!' % environment_field)
            if environment_field == 'environmentId':
                environment = self.environment_by_id(project, environment)
            if environment in seen:
                raise validation_failed('keyStoreEnvironmentList', 'Environment (name: %s) is listed more than once!' % environment)
            seen.add(environment)
            file_text = raw.get('file')
            if _blank_field(file_text):
                raise bad_request('file value can not be empty!')
            password, alias = None, None
            if with_password:
                password = raw.get('password')
                if _blank_field(password):
                    raise bad_request('password value can not be empty!')
                alias = raw.get('alias')
                if alias is not None and not isinstance(alias, str):
                    raise bad_request('alias must be a string!', error='invalid_parameter')
            keystore_type = raw.get(type_field)
            if keystore_type is None and type_field == 'keyStoreType':
                keystore_type = raw.get('type')  # the newer request also takes the older name
            if _blank_field(keystore_type):
                raise bad_request('%s value can not be empty!' % type_field)
            if keystore_type not in KEYSTORE_TYPES:
                raise bad_request('Keystore type (%s) is not supported!' % keystore_type)
            try:
                data = base64.b64decode(file_text.encode('ascii'), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
                raise validation_failed('file', 'file of environment (name: %s) is not valid base64!' % environment) from exc
            entries.append(KeystoreEntry(environment, keystore_type, data, password, alias))
        self._check_environments(project, [entry.environment for entry in entries])
        return entries

    @staticmethod
    def keystore_json(project, record):
        """A keystore as list and get answer it: exactly the documented fields, never the password or alias."""
        return collections.OrderedDict([
            ('name', record.name), ('description', record.description), ('projectId', project.id),
            ('keyStoreEnvironmentList', [collections.OrderedDict([
                ('environmentName', entry.environment), ('type', entry.keystore_type),
                ('file', base64.b64encode(entry.data).decode('ascii'))]) for entry in record.entries])])

    def list_keystores(self, project):
        with self.lock:
            return [self.keystore_json(project, record) for record in project.keystores.values()]

    def _keystore(self, project, name):
        record = project.keystores.get(name)
        if record is None:
            raise bad_request('Keystore (name: %s) is not found!' % name)
        return record

    def get_keystore(self, project, name):
        with self.lock:
            return self.keystore_json(project, self._keystore(project, name))

    def _deploy_keystore(self, project, record, deploy_failures):
        names = [entry.environment for entry in record.entries]
        failures = deploy_failures(names)
        record.failed_environments = set(failures)
        project.keystores[record.name] = record
        return deployment_report(names, failures)

    def create_keystore(self, project, body, deploy_failures=no_failures):
        with self.lock:
            name = body.get('name')
            if _blank_field(name):
                raise bad_request('name value can not be empty!')
            self._check_description(body.get('description'))
            entries = self._keystore_entries(project, body.get('keyStoreEnvironmentList'))
            if name in project.keystores:
                raise bad_request('Keystore (name: %s) is already exist! Try update operation if want to change its value.' % name)
            record = KeystoreRecord(name, body.get('description') or '', entries)
            return self._deploy_keystore(project, record, deploy_failures)

    def update_keystore(self, project, name, body, query, deploy_failures=no_failures):
        with self.lock:
            record = self._keystore(project, name)
            new_name = body.get('name')
            if new_name is not None and _blank_field(new_name):
                raise bad_request('name value can not be empty!')
            if new_name is not None and new_name != name and new_name in project.keystores:
                raise bad_request('Keystore (name: %s) is already exist!' % new_name)
            self._check_description(body.get('description'))
            if body.get('keyStoreEnvironmentList') is not None:
                record.entries = self._keystore_entries(project, body['keyStoreEnvironmentList'])
            if body.get('description') is not None:
                record.description = body['description']
            self._record_query(project, 'keystore', name, query)
            if new_name is not None and new_name != name:
                del project.keystores[name]
                record.name = new_name
            self._follow_source(project, record.id, record, query.jwk_update_action)
            return self._deploy_keystore(project, record, deploy_failures)

    def delete_keystore(self, project, name, deploy_failures=no_failures):
        with self.lock:
            return self._delete_entries_object(project, project.keystores, self._keystore(project, name), deploy_failures)

    # ---- JWKs ----------------------------------------------------------------------------------

    def _follow_source(self, project, old_id, source, action):
        """What a write of a certificate, key or keystore does to the JWKs parsed from it (``old_id``): UPDATE
        re-parses each from ``source`` (the new object) as it was first parsed, or nullifies it when that is no
        longer possible; anything else (NULLIFY, the older false, no parameter, a delete) nullifies. ALL_PROJECTS
        acts as SAME_PROJECT: a JWK can name a source only in its own project."""
        for record in project.jwks.values():
            if record.source_id != old_id:
                continue
            if action == 'UPDATE' and source is not None:
                try:
                    material = self._source_material(record.source.kind, source, record.source.environment, record.source.alias)
                except ApiError:
                    material = None
                # A key's JWK keeps its sourceType: a key that changed its keyType cannot be followed.
                same_kind = record.source.kind != 'key' or source.key_type == record.source_type
                if material is not None and same_kind and record.source.refusal(material.type) is None:
                    record.material, record.source_id = material, source.id
                    continue
            record.detach()

    def _source_material(self, kind, source, environment, alias=None):
        """The JWK material of a certificate's, key's or keystore's entry for one environment (400 when it cannot
        be had)."""
        label = SOURCE_LABELS[kind]
        if kind == 'certificate':
            if environment not in source.environments:
                raise bad_request('Certificate (name: %s) is not deployed to environment (%s)!' % (source.name, environment))
            key = source.parsed.public_key
        else:
            entries = [entry for entry in source.entries if entry.environment == environment]
            if not entries:
                raise bad_request('%s (name: %s) is not deployed to environment (%s)!' % (label, source.name, environment))
            key = self._key_of_entry(kind, source, entries[0], alias)
        try:
            return jwk.from_key(key)
        except jwk.JwkError as exc:
            raise bad_request('%s (name: %s) could not be read: %s' % (label, source.name, exc)) from exc

    def _key_of_entry(self, kind, source, entry, alias):
        if kind == 'keystore':
            try:
                return jwk.keystore_entry(entry.data, entry.keystore_type, entry.password, alias)
            except jwk.AliasError as exc:
                raise bad_request('Alias (%s) is not found in keystore (name: %s)!' % (alias, source.name)) from exc
            except jwk.JwkError as exc:
                raise bad_request('Keystore (name: %s) could not be read: %s' % (source.name, exc)) from exc
        if entry.encrypted_content is None:
            raise bad_request('Key (name: %s) has no content in environment (%s)!' % (source.name, entry.environment))
        plaintext = self._vault.decrypt(entry.encrypted_content)
        try:
            if source.key_type == 'PRIVATE_KEY':
                return load_private_key_pem(plaintext)
            return serialization.load_pem_public_key(plaintext)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            # Only after an update that changed just the keyType (its content is not checked then).
            raise bad_request('Key (name: %s) could not be read: not a PEM %s' % (source.name, source.key_type)) from exc

    def jwk_json(self, project, record, with_material):
        """A JWK as the list (no material) or the get (all of it, private members included) answers it."""
        body = collections.OrderedDict([
            ('name', record.name), ('description', record.description), ('projectId', project.id),
            ('sourceType', record.source_type), ('sourceId', record.source_id), ('sourceUrl', record.source_url),
            ('type', record.material.type), ('kid', record.kid)])
        if with_material:
            body[record.material.type.lower()] = dict(record.material.members)
        return body

    def list_jwks(self, project):
        with self.lock:
            return [self.jwk_json(project, record, with_material=False) for record in project.jwks.values()]

    def _jwk(self, project, name):
        record = project.jwks.get(name)
        if record is None:
            raise bad_request('JWK (name: %s) is not found!' % name)
        return record

    def get_jwk(self, project, name):
        with self.lock:
            return self.jwk_json(project, self._jwk(project, name), with_material=True)

    def _deploy_jwk(self, project, record, deploy_failures):
        # A JWK has no environment list: it goes to every environment of the project.
        failures = deploy_failures(project.environments)
        record.failed_environments = set(failures)
        project.jwks[record.name] = record
        return deployment_report(project.environments, failures)

    def _check_jwk_name_free(self, project, name):
        if name in project.jwks:
            raise bad_request('JWK (name: %s) is already exist! Try update operation if want to change its value.' % name)

    def jwk_name_free(self, project, name):
        with self.lock:
            self._check_jwk_name_free(project, name)

    def add_parsed_jwk(self, project, parsed, deploy_failures=no_failures):
        """Store a JWK from a create or parse request (jwkrequest.ParseRequest): the material of a named source is
        read here; a URL's was fetched before, outside the lock."""
        with self.lock:
            self._check_jwk_name_free(project, parsed.name)
            material, source_id = parsed.material, None
            if parsed.source is not None:
                environment = parsed.source.environment
                if environment not in project.environments:
                    raise bad_request('Environment (name: %s) is not found!' % environment)
                source = self._jwk_source_object(project, parsed)
                material = self._source_material(parsed.source.kind, source, environment, parsed.source.alias)
                refusal = parsed.source.refusal(material.type)
                if refusal:
                    raise bad_request(refusal)
                source_id = source.id
            record = JwkRecord(parsed.name, parsed.description, parsed.source_type, material, parsed.kid, source_id=source_id,
                               source_url=parsed.url, source=parsed.source, options=parsed.options)
            return self._deploy_jwk(project, record, deploy_failures)

    def _jwk_source_object(self, project, parsed):
        """The certificate, key or keystore a parse request names; a key must be of the sourceType asked for."""
        kind, name = parsed.source.kind, parsed.source.name
        if kind == 'certificate':
            source = project.certificates.get(name)
        elif kind == 'key':
            source = project.keys.get(name)
        else:
            source = project.keystores.get(name)
        if source is None:
            raise bad_request('%s (name: %s) is not found!' % (SOURCE_LABELS[kind], name))
        if kind == 'key':
            if source.key_type == 'SECRET_KEY':
                raise bad_request('Key (name: %s) is not a public or private key!' % name)
            if parsed.source_type is None:
                parsed.source_type = source.key_type
            elif parsed.source_type != source.key_type:
                raise bad_request('Key (name: %s) is not a %s!' % (name, parsed.source_type))
        return source

    def add_generated_jwk(self, project, generated, deploy_failures=no_failures):
        with self.lock:
            self._check_jwk_name_free(project, generated.name)
            record = JwkRecord(generated.name, generated.description, 'GENERATE', generated.material, generated.kid,
                               options=generated.options)
            return self._deploy_jwk(project, record, deploy_failures)

    def update_jwk(self, project, name, body, deploy_failures=no_failures):
        """Only the name and description change; the JWK is detached from its source whatever the body holds."""
        with self.lock:
            record = project.jwks.get(name)
            if record is None:
                raise bad_request('JWK (name: %s) is not found! Try create operation.' % name)
            new_name = body.get('name')
            if new_name is not None and _blank_field(new_name):
                raise bad_request('JWK name can not be empty!')
            if new_name is not None and new_name != name and new_name in project.jwks:
                raise bad_request('JWK (name: %s) is already exist!' % new_name)
            self._check_description(body.get('description'))
            if body.get('description') is not None:
                record.description = body['description']
            if new_name is not None and new_name != name:
                del project.jwks[name]
                record.name = new_name
            record.detach()
            return self._deploy_jwk(project, record, deploy_failures)

    def delete_jwk(self, project, name, deploy_failures=no_failures):
        with self.lock:
            self._jwk(project, name)
            failures = deploy_failures(project.environments)
            del project.jwks[name]
            return deployment_report(project.environments, failures, undeploy=True)

    # ---- what tests assert on ------------------------------------------------------------------

    def state(self):
        """Every project's objects, without key material, keystore files or passwords (only a SHA-256 of what was
        sent)."""
        with self.lock:
            projects = collections.OrderedDict()
            for project in self.projects.values():
                projects[project.name] = {
                    'id': project.id,
                    'environments': list(project.environments),
                    'certificates': [{
                        'id': record.id,
                        'name': record.name,
                        'description': record.description,
                        'alias': record.alias,
                        'environments': sorted(record.environments),
                        'sha1_thumbprint': record.parsed.sha1_thumbprint,
                        'subject': record.parsed.subject_dn,
                        'not_before': api_date(record.parsed.not_before),
                        'not_after': api_date(record.parsed.not_after),
                        'failed_environments': sorted(record.failed_environments),
                    } for record in sorted(project.certificates.values(), key=lambda item: item.name)],
                    'keys': [{
                        'id': record.id,
                        'name': record.name,
                        'description': record.description,
                        'key_type': record.key_type,
                        'environments': [{
                            'name': entry.environment,
                            'alias': entry.alias,
                            'content_sha256': entry.content_sha256,
                        } for entry in sorted(record.entries, key=lambda item: item.environment)],
                        'failed_environments': sorted(record.failed_environments),
                    } for record in sorted(project.keys.values(), key=lambda item: item.name)],
                    'keystores': [{
                        'id': record.id,
                        'name': record.name,
                        'description': record.description,
                        'environments': [{
                            'name': entry.environment,
                            'type': entry.keystore_type,
                            'alias': entry.alias,
                            'file_sha256': hashlib.sha256(entry.data).hexdigest(),
                            'password_given': entry.password is not None,
                        } for entry in sorted(record.entries, key=lambda item: item.environment)],
                        'failed_environments': sorted(record.failed_environments),
                    } for record in sorted(project.keystores.values(), key=lambda item: item.name)],
                    'jwks': [{
                        'name': record.name,
                        'description': record.description,
                        'source_type': record.source_type,
                        'source_id': record.source_id,
                        'type': record.material.type,
                        'kid': record.kid,
                        'private': any(member in record.material.members for member in jwk.MEMBERS[record.material.type][1]),
                        'options': dict(record.options),
                        'failed_environments': sorted(record.failed_environments),
                    } for record in sorted(project.jwks.values(), key=lambda item: item.name)],
                    'replace_queries': [dict(item) for item in project.replace_queries],
                }
            return {'projects': projects, 'environment_ids': collections.OrderedDict(
                (name, stable_id('environment', name)) for name in self.environments)}
