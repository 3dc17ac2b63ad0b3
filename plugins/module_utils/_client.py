# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""The one HTTP client of the collection: authentication, TLS, timeouts, retries, errors."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import socket
import ssl
import threading
import time
import traceback
from html import unescape as html_unescape

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import quote, urlsplit
from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import CollectionError, InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import is_http_url

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


TOKEN_PATH = '/apiops/auth/token'
WRITE_METHODS = frozenset(['POST', 'PUT', 'DELETE'])
# Statuses that say the request was not processed, so even a write may be sent again.
RETRY_ANY_METHOD_STATUSES = frozenset([429, 503])
# Statuses after which a read is repeated but a write's outcome is unknown.
RETRY_READ_STATUSES = frozenset([502, 504])
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0
RETRY_AFTER_MAX_SECONDS = 60.0
JSON_ACCEPT = {'Accept': 'application/json'}
TOKEN_RENEW_MARGIN_SECONDS = 30.0
# The export download is application/octet-stream; its errors still come as JSON.
BINARY_ACCEPT = {'Accept': 'application/octet-stream, application/json;q=0.5'}
# The reference documents "Certificate (name: x) is not found!" only; other wordings of a missing key are read alike.
NOT_FOUND_RE = re.compile(r'\bnot found\b|\bdoes not exist\b', re.IGNORECASE)
ALREADY_EXISTS_RE = re.compile(r'\bis already exists?\b', re.IGNORECASE)
# A JWK parse from a certificate, key or keystore refused for a field only the older request has.
OLDER_JWK_PARSE_PATH_RE = re.compile(r'/jwks/parse-from-(?:certificate|key|keystore)/?$')
OLDER_JWK_FIELD_RE = re.compile(r'\b(?:environmentId|keystoreAlgorithm)\b')
# Answers are read in chunks and never beyond these sizes, so that no answer can fill the memory: a JSON answer
# larger than MAX_JSON_BYTES, or a download (the certificate export, streamed to a file) larger than
# MAX_DOWNLOAD_BYTES, is refused. Of an error answer, only the first ERROR_BODY_BYTES are read.
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
ERROR_BODY_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024
JSON_MEDIA_RE = re.compile(r'^application/(?:[a-z0-9.+-]+\+)?json$', re.IGNORECASE)
HTML_MEDIA_TYPES = frozenset(['text/html', 'application/xhtml+xml'])
HTML_START_RE = re.compile(br'^\s*(?:<!doctype\s+html|<html|<head|<body|<title)', re.IGNORECASE)
HTML_TITLE_RE = re.compile(r'<title[^>]*>(.*?)</title>', re.IGNORECASE | re.DOTALL)
# OpenSSL's verification results that the TLS messages explain (X509_V_ERR_*).
CERT_NOT_YET_VALID, CERT_HAS_EXPIRED = 9, 10
UNTRUSTED_ISSUER_CODES = frozenset([2, 18, 19, 20, 21])
HOSTNAME_MISMATCH_CODES = frozenset([62, 64])


def connection_argument_spec():
    """The connection options every module of the collection takes (documented in doc_fragments/_connection)."""
    return dict(
        url=dict(type='str', required=True, fallback=(env_fallback, ['APINIZER_URL'])),
        token=dict(type='str', no_log=True, fallback=(env_fallback, ['APINIZER_TOKEN'])),
        username=dict(type='str', fallback=(env_fallback, ['APINIZER_USERNAME'])),
        password=dict(type='str', no_log=True, fallback=(env_fallback, ['APINIZER_PASSWORD'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['APINIZER_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['APINIZER_CA_PATH'])),
        client_cert=dict(type='path'),
        client_key=dict(type='path'),
        timeout=dict(type='float', default=30, fallback=(env_fallback, ['APINIZER_TIMEOUT'])),
        retries=dict(type='int', default=3),
        project=dict(type='str', required=True, fallback=(env_fallback, ['APINIZER_PROJECT'])),
    )


def connection_problem(params):
    """What makes the connection options unusable, found before any request (a message naming the option), or None."""
    url = params.get('url') or ''
    if not is_http_url(url):
        return ('url %r is not a usable address: give the Apinizer management console as http:// or https:// followed by '
                'a host (and optionally :port), e.g. https://apinizer.example.com (option url / APINIZER_URL).' % url)
    if not (params.get('project') or '').strip():
        return 'project must name an Apinizer project; it is empty (option project / APINIZER_PROJECT).'
    if params.get('timeout') is not None and not params['timeout'] > 0:
        return 'timeout must be greater than 0 seconds; it is %s (option timeout / APINIZER_TIMEOUT).' % params['timeout']
    if params.get('retries') is not None and params['retries'] < 0:
        return 'retries must be 0 or more; it is %d.' % params['retries']
    for option in ('ca_path', 'client_cert', 'client_key'):
        if params.get(option) and not os.path.exists(params[option]):
            return '%s: %s does not exist.' % (option, params[option])
    for option, variable in (('token', 'APINIZER_TOKEN'), ('password', 'APINIZER_PASSWORD')):
        # A header cannot carry them, and requests' error about it would show the value.
        if params.get(option) and (params[option] != params[option].strip() or any(ord(c) < 32 for c in params[option])):
            return ('%s holds spaces, a line break or control characters at its ends or inside; remove them '
                    '(option %s / %s).' % (option, option, variable))
    return None


CONNECTION_REQUIRED_ONE_OF = [('token', 'username')]
CONNECTION_REQUIRED_TOGETHER = [('username', 'password')]
CONNECTION_REQUIRED_BY = {'client_key': 'client_cert'}


def module_kwargs(argument_spec, **kwargs):
    """AnsibleModule keyword arguments: the module's own options merged with the connection options. A module option
    may not take a connection option's name: it would replace that option silently (an option url once sent every
    request to a JWKS server)."""
    spec = connection_argument_spec()
    clashes = sorted(set(spec) & set(argument_spec))
    if clashes:
        raise ValueError('module options named like connection options: %s; give them other names' % ', '.join(clashes))
    spec.update(argument_spec)
    kwargs['argument_spec'] = spec
    kwargs['required_one_of'] = list(kwargs.get('required_one_of', [])) + CONNECTION_REQUIRED_ONE_OF
    kwargs['required_together'] = list(kwargs.get('required_together', [])) + CONNECTION_REQUIRED_TOGETHER
    required_by = dict(CONNECTION_REQUIRED_BY)
    required_by.update(kwargs.get('required_by', {}))
    kwargs['required_by'] = required_by
    return kwargs


class ApinizerError(CollectionError):
    """Every failure to talk to the API. Carries no secret: paths hold names, never tokens or bodies."""

    def __init__(self, message, status=None, error=None, description=None, method=None, path=None,
                 outcome_unknown=False, validation_errors=None, retry_after=None, api_answer=True):
        super(ApinizerError, self).__init__(message)
        self.status = status
        self.error = error
        self.description = description
        self.method = method
        self.path = path
        self.outcome_unknown = outcome_unknown
        self.validation_errors = validation_errors or []
        self.retry_after = retry_after
        # False when the error answer was not the API's JSON (a proxy's HTML page, say).
        self.api_answer = api_answer

    @property
    def is_not_found(self):
        """The API answers a missing certificate or key with 400 "... is not found!"; a 404 counts too, but only
        an API error (a JSON error code) -- a wrong url's 404 page is not "absent" -- and not the 404 of a missing
        project, which is a configuration error. An answer that is not the API's JSON never means absent."""
        if not self.api_answer or self.status not in (400, 404) or not self.description:
            return False
        if self.description.lower().startswith('project'):
            return False
        if self.status == 404:
            return bool(self.error)
        return bool(NOT_FOUND_RE.search(self.description))

    @property
    def is_race(self):
        """The object changed under us between our read and our write -- another run created it ("is already
        exist"), or deleted what we update or delete. Reading again and converging resolves it."""
        if self.method not in WRITE_METHODS:
            return False
        if self.status == 409 or (self.status == 400 and ALREADY_EXISTS_RE.search(self.description or '')):
            return True
        return self.method in ('PUT', 'DELETE') and self.is_not_found

    @property
    def short(self):
        """Status, code and description (the message when there was no answer), for messages that tell a longer
        story."""
        if self.status is None:
            return self.message
        return '%s %s: %s' % (self.status, self.error or 'error', self.description or 'no description')

    def result_fields(self):
        """Fields of the failed task result."""
        return dict(status=self.status, error=self.error, error_description=self.description,
                    method=self.method, path=self.path)


def _explain(status, error, description, method, path):
    """A plain message for an error answer, naming the cause and the fix."""
    where = '%s %s' % (method, path)
    server = '%s %s: %s' % (status, error or 'error', description or 'no description')
    if status == 401:
        return ('Authentication failed (%s) on %s: the token is invalid or expired; check the token '
                '(option token / APINIZER_TOKEN) or the username and password.' % (server, where))
    if status == 403:
        return ('Permission denied (%s) on %s: the token lacks the permission for this call '
                '(writes need SECRETS+MANAGE on the project, deployments SECRETS+DEPLOY_UNDEPLOY).' % (server, where))
    if status == 404 and (description or '').lower().startswith('project'):
        return ('Project not found (%s) on %s: check the option project / APINIZER_PROJECT and that '
                'the token may access it.' % (server, where))
    if status == 429:
        return 'Rate limited (%s) on %s, still after the retries allowed by the option retries.' % (server, where)
    if status is not None and status >= 500:
        return 'The Apinizer server failed (%s) on %s.' % (server, where)
    if status == 400 and OLDER_JWK_PARSE_PATH_RE.search(path) and OLDER_JWK_FIELD_RE.search(description or ''):
        return ('The Apinizer API refused %s (%s): this server reads the older JWK request (environmentId, SIGN, '
                'keystoreAlgorithm), which this collection does not send, so the JWK was not stored; on this server, '
                'make it from pasted JSON or a URL (apinizer_jwk source json or url) instead.' % (where, server))
    return 'The Apinizer API refused %s (%s).' % (where, server)


def _retry_after_seconds(response, body):
    """Seconds the server asked us to wait, from the body's retry_after or the Retry-After header."""
    candidates = [body.get('retry_after') if isinstance(body, dict) else None, response.headers.get('Retry-After')]
    for value in candidates:
        try:
            if value is not None:
                return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return None


def _size(count):
    """A byte count for messages: 512 bytes, 64 MiB."""
    if count < 1024 * 1024:
        return '%d bytes' % count
    return '%g MiB' % round(count / (1024.0 * 1024.0), 1)


def _media_type(response):
    """The answer's media type, lower case, without parameters ('' when it declares none)."""
    return (response.headers.get('Content-Type') or '').split(';', 1)[0].strip().lower()


def _declared_length(response):
    try:
        return int(response.headers.get('Content-Length'))
    except (TypeError, ValueError):
        return None


def _read_limited(response, limit, sink=None):
    """The body, read in chunks: (bytearray, complete) -- at most limit bytes, complete False when there was more.
    One buffer grows in place, so reading up to the limit takes about that much memory, not twice as much. With
    sink (a binary file), the chunks go there instead and the buffer stays empty."""
    kept, count = bytearray(), 0
    for chunk in response.iter_content(CHUNK_BYTES):
        if count + len(chunk) > limit:
            if sink is None:
                kept += chunk[:limit - count]
            return kept, False
        count += len(chunk)
        if sink is None:
            kept += chunk
        else:
            sink.write(chunk)
    return kept, True


def _parse_json(data):
    """(value, None) for a JSON body, or (None, what is wrong with it)."""
    try:
        text = data.decode(requests.utils.guess_json_utf(data) or 'utf-8')
    except (LookupError, ValueError):
        return None, 'is not text (not UTF-8)'
    try:
        return json.loads(text), None
    except RecursionError:
        return None, 'is not usable JSON (nested too deeply)'
    except ValueError as exc:
        reason, position = getattr(exc, 'msg', None) or str(exc), getattr(exc, 'pos', None)
        if position is None:
            return None, 'is not valid JSON (%s)' % reason
        if reason.startswith('Unterminated string') or position >= len(text.rstrip()):
            return None, 'is JSON that breaks off after %s: the answer was cut short' % _size(len(data))
        return None, 'is not valid JSON (%s at character %s of %d)' % (reason, position, len(text))


def _one_line(text, limit):
    """text with its white space runs made single spaces, cut at limit characters."""
    return ' '.join(text.split())[:limit]


def _html_title(data):
    """The title of an HTML page, or None."""
    match = HTML_TITLE_RE.search(bytes(data[:ERROR_BODY_BYTES]).decode('utf-8', 'replace'))
    if not match:
        return None
    return _one_line(html_unescape(match.group(1)), 100) or None


def _is_html(response, data):
    return _media_type(response) in HTML_MEDIA_TYPES or bool(HTML_START_RE.match(data[:512]))


def _describe_html(data):
    title = _html_title(data)
    return 'an HTML page%s' % (' titled "%s"' % title if title else '')


def _envelope_message(body):
    """What a {"success": false} answer says about itself."""
    for field in ('error_description', 'message', 'errorMessage', 'error'):
        value = body.get(field)
        if isinstance(value, str) and value.strip():
            return _one_line(value, 300)
    return 'no message'


def _location(response):
    """Where a redirect points, without its query (which could carry anything)."""
    location = response.headers.get('Location') or ''
    parts = urlsplit(location)
    if not parts.scheme:
        return location.split('?', 1)[0][:300] or 'nowhere (no Location header)'
    return ('%s://%s%s' % (parts.scheme, parts.netloc.rpartition('@')[2], parts.path))[:300]


class SharedPause(object):
    """One backoff for every worker of a run: a 429 or 503 makes all of them wait, not only the one that got it."""

    def __init__(self, clock=time.time):
        self._lock = threading.Lock()
        self._clock = clock
        self._until = 0.0
        self._set_by = None

    def extend(self, seconds, worker):
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)
            self._set_by = worker

    def remaining_for(self, worker):
        """Seconds worker still has to wait; none for the worker that set the pause (it waits on its own)."""
        with self._lock:
            if self._set_by is worker:
                return 0.0
            return max(0.0, self._until - self._clock())


class _Token(object):
    """The bearer token every worker of a run sends. One obtained with username and password is renewed shortly
    before it expires (expires_in) and once when the server says token_expired; a static token is not."""

    def __init__(self, token=None, clock=time.time):
        self.lock = threading.Lock()
        self.value = token
        self.static = bool(token)
        self.renew_at = None
        self._clock = clock

    def set(self, value, expires_in):
        self.value = value
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = None
        # Renew a little before the end: a tenth of the lifetime, at most TOKEN_RENEW_MARGIN_SECONDS.
        self.renew_at = (self._clock() + seconds - min(seconds / 10.0, TOKEN_RENEW_MARGIN_SECONDS)
                         if seconds is not None and seconds > 0 else None)

    def due(self):
        return self.value is None or (self.renew_at is not None and self._clock() >= self.renew_at)


class _Counter(object):

    def __init__(self):
        self._lock = threading.Lock()
        self.value = 0

    def add(self):
        with self._lock:
            self.value += 1


class ApinizerClient(object):
    """One requests.Session per module run (one per worker when writes run in parallel), speaking to the API Ops
    endpoints."""

    def __init__(self, url, token=None, username=None, password=None, validate_certs=True, ca_path=None,
                 client_cert=None, client_key=None, timeout=30, retries=3, sleep=time.sleep):
        self.base_url = url.rstrip('/')
        self.timeout = timeout
        self.retries = max(0, retries)
        self._requests = _Counter()
        self._pause = SharedPause()
        self._token = _Token(token)
        self._sleep = sleep
        self._username = username
        self._password = password
        self._secrets = [s for s in (token, password) if s]
        self.session = requests.Session()
        self.session.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        self._verify = self.session.verify
        if client_cert:
            self.session.cert = (client_cert, client_key) if client_key else client_cert
        self.session.headers['User-Agent'] = 'apinizer.apiops-ansible-collection'

    @classmethod
    def from_module(cls, module):
        """Build the client from the connection options; raises InvalidInput naming a bad option."""
        params = module.params
        problem = connection_problem(params)
        if problem:
            raise InvalidInput(problem)
        if not params['validate_certs'] and urlsplit(params['url']).scheme == 'https':
            module.warn('validate_certs is false: the TLS certificate of %s is not verified. '
                        'Set ca_path to the CA that signed it instead.' % params['url'])
        return cls(params['url'], token=params['token'], username=params['username'], password=params['password'],
                   validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                   client_cert=params['client_cert'], client_key=params['client_key'],
                   timeout=params['timeout'], retries=params['retries'])

    @property
    def request_count(self):
        """Requests sent by this client and every worker made from it."""
        return self._requests.value

    def for_worker(self):
        """A client for another thread: its own requests.Session (a session is not thread-safe) with the same
        settings and token, sharing the secrets to scrub, the request count and the backoff."""
        worker = object.__new__(type(self))
        worker.__dict__.update(self.__dict__)
        worker.session = requests.Session()
        worker.session.verify = self.session.verify
        worker.session.cert = self.session.cert
        worker.session.headers.update(self.session.headers)
        return worker

    def hide(self, secrets):
        """More values no message may show (the key material a module sends, say)."""
        self._secrets.extend(s for s in secrets if s and s not in self._secrets)

    def _scrub(self, text):
        for secret in self._secrets:
            # Also the escaped forms a repr() or a JSON body would show.
            for form in set([secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]]):
                text = text.replace(form, '********')
        return text

    @staticmethod
    def path(*segments):
        """An API path from literal segments; names are percent-encoded, and every path ends in '/'."""
        return '/' + '/'.join(segment.strip('/') if isinstance(segment, Literal) else quote(segment, safe='')
                              for segment in segments) + '/'

    @staticmethod
    def project_path(project, *segments):
        return ApinizerClient.path(Literal('apiops/projects'), project, *segments)

    def _bearer(self, renew=False):
        """The Authorization header: the static token, or one obtained with username and password -- again when it
        is about to expire, or (renew) when the server said it had."""
        token = self._token
        with token.lock:
            if self._username and (renew or token.due()):
                self._obtain_token()
            return {'Authorization': 'Bearer %s' % token.value} if token.value else {}

    def _obtain_token(self):
        """Exchange username and password for a token at the token endpoint."""
        form = dict(grant_type='client_credentials', client_id=self._username, client_secret=self._password)
        try:
            body = self._send('POST', TOKEN_PATH, write=False, data=form, headers=JSON_ACCEPT)
        except ApinizerError as exc:
            if exc.status == 401:
                exc.set_message('Could not obtain a token for user %s at %s (%s %s: %s): check username and '
                                'password (APINIZER_USERNAME / APINIZER_PASSWORD).'
                                % (self._username, TOKEN_PATH, exc.status, exc.error, exc.description))
            raise
        if not body.get('access_token'):
            raise ApinizerError('The token endpoint %s answered without an access_token.' % TOKEN_PATH,
                                method='POST', path=TOKEN_PATH)
        self.hide([body['access_token']])
        self._token.set(body['access_token'], body.get('expires_in'))

    def request(self, method, path, params=None, json=None, data=None, files=None):
        """Send one call and return its JSON object; raise ApinizerError otherwise -- also for an answer that is
        not the API's JSON (an HTML page, a cut-off or oversized body, a redirect, "success": false), which for a
        write means its outcome is unknown. Each call asks for the media type its endpoint returns: a server may
        honour Accept strictly.

        A token obtained with username and password that the server calls expired is renewed once and the call
        sent again: a 401 means the server did not process it, so no write is repeated blindly."""
        return self._call(method, path, None, params=params, json=json, data=data, files=files)

    def download(self, path, handle):
        """GET a file (the certificate export) into handle, a binary file opened for writing, in chunks of
        CHUNK_BYTES and at most MAX_DOWNLOAD_BYTES; returns the number of bytes written."""
        return self._call('GET', path, handle)

    def _call(self, method, path, sink, **kwargs):
        headers = dict(BINARY_ACCEPT if sink is not None else JSON_ACCEPT)
        headers.update(self._bearer())
        write = method in WRITE_METHODS
        try:
            return self._send(method, path, write=write, headers=headers, sink=sink, **kwargs)
        except ApinizerError as exc:
            if exc.status != 401 or exc.error != 'token_expired':
                raise
            if not self._username:
                exc.set_message('The token expired during the run (%s) on %s %s: give a token that lives longer '
                                'than the run, or username and password, which the modules renew '
                                '(APINIZER_USERNAME / APINIZER_PASSWORD).' % (exc.short, method, path))
                raise
            headers.update(self._bearer(renew=True))
            return self._send(method, path, write=write, headers=headers, sink=sink, **kwargs)

    def _send(self, method, path, write, sink=None, **kwargs):
        """Send with bounded retries and return the answer read (see _answer). 429/503 are repeated for any
        method (the server did not process the call); 502/504 and lost connections only for reads: a write whose
        outcome is unknown is never repeated here. An answer that is not the API's is not repeated either.
        Redirects are never followed: the token goes to the url given and nowhere else."""
        attempt = 0
        while True:
            attempt += 1
            paused = self._pause.remaining_for(self)
            if paused:
                self._sleep(paused)
            self._requests.add()
            try:
                # verify is passed per request: requests lets REQUESTS_CA_BUNDLE override Session.verify otherwise.
                response = self.session.request(method, self.base_url + path, timeout=self.timeout,
                                                verify=self._verify, stream=True, allow_redirects=False, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise ApinizerError(self._scrub(self._tls_failure(method, path, exc)), method=method, path=path)
            except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL) as exc:
                # Nothing was sent; requests' own text could quote a header value, so it is not passed on.
                raise ApinizerError('%s %s could not be sent: %s is not valid (check url, token, username and password).'
                                    % (method, path, 'a header' if isinstance(exc, requests.exceptions.InvalidHeader)
                                       else 'the url'), method=method, path=path)
            except requests.exceptions.RequestException as exc:
                failure = self._connection_failure(method, path, exc)
            else:
                try:
                    if 200 <= response.status_code < 300:
                        return self._answer(response, method, path, sink, write)
                    if 300 <= response.status_code < 400:
                        raise self._not_the_api(method, path, response.status_code, 'a redirect to %s'
                                                % _location(response), REDIRECT_HINT, write)
                    failure = self._http_failure(response, method, path)
                except requests.exceptions.RequestException as exc:
                    failure = self._connection_failure(method, path, exc, reading=True)
                finally:
                    response.close()
            if not _should_retry(failure, write) or attempt > self.retries:
                if attempt > 1:
                    failure.set_message(failure.message + ' Gave up after %d attempts (option retries=%d).'
                                        % (attempt, self.retries))
                raise failure
            wait = self._wait_seconds(failure, attempt)
            if failure.status in RETRY_ANY_METHOD_STATUSES:  # the server is overloaded: every worker waits
                self._pause.extend(wait, self)
            self._sleep(wait)

    def _answer(self, response, method, path, sink, write):
        """A 2xx answer, read within its limit: the JSON object, or for a download (sink) the bytes written into
        sink. Anything else the API does not answer raises ApinizerError (see _not_the_api)."""
        status = response.status_code

        def refuse(what, hint=PROXY_HINT):
            return self._not_the_api(method, path, status, what, hint, write)

        media = _media_type(response)
        download = sink is not None and not JSON_MEDIA_RE.match(media)
        limit = MAX_DOWNLOAD_BYTES if download else MAX_JSON_BYTES
        declared = _declared_length(response)
        if declared is not None and declared > limit:
            raise refuse(_too_large(limit, download, 'it declared %s' % _size(declared)), TOO_LARGE_HINT)
        if download:
            sink.seek(0)
            sink.truncate()
            if media in HTML_MEDIA_TYPES:
                raise refuse(_describe_html(_read_limited(response, ERROR_BODY_BYTES)[0]))
            if not _read_limited(response, limit, sink)[1]:
                raise refuse(_too_large(limit, download, 'it went on'), TOO_LARGE_HINT)
            return sink.tell()
        data, complete = _read_limited(response, limit)
        if not complete:
            raise refuse(_too_large(limit, download, 'it went on'), TOO_LARGE_HINT)
        if status == 204 and not data:
            return {}
        if _is_html(response, data):
            raise refuse(_describe_html(data))
        if media and not JSON_MEDIA_RE.match(media):
            raise refuse('Content-Type %s (%s) where application/json was asked for' % (media, _size(len(data))))
        if not data or data.isspace():
            raise refuse('an empty body where JSON was expected')
        body, problem = _parse_json(data)
        if problem:
            raise refuse('a body that %s' % problem, None)
        if not isinstance(body, dict):
            raise refuse('JSON that is not an object (%s)' % type(body).__name__, None)
        if body.get('success') is False and not isinstance(body.get('deploymentResult'), dict):
            # A write's failed deployment comes as a deploymentResult, which the executor reads; this is not one.
            raise refuse('"success": false (%s)' % _envelope_message(body),
                         'The server says the call failed, without an error status.')
        if sink is not None:
            raise refuse('JSON where the file it exports was asked for', None)
        return body

    def _not_the_api(self, method, path, status, what, hint, write):
        """The error for an answer that is not what the API answers: it names the call and what came instead; for
        a write, the outcome is unknown (the executor reads the object again and converges)."""
        message = 'The Apinizer API answered %s %s (status %s) with %s.' % (method, path, status, what)
        if hint:
            message += ' ' + hint
        if write:
            message += ' The outcome of this write is unknown.'
        return ApinizerError(self._scrub(message), status=status, description=self._scrub(what), method=method,
                             path=path, outcome_unknown=write)

    def _wait_seconds(self, failure, attempt):
        if failure.retry_after is not None:
            return min(failure.retry_after, RETRY_AFTER_MAX_SECONDS)
        return min(BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)), BACKOFF_MAX_SECONDS)

    def _http_failure(self, response, method, path):
        """The ApinizerError of an error answer, of which at most ERROR_BODY_BYTES are read: the API's JSON error,
        or a description of what came instead (an HTML page from a proxy, say)."""
        data, complete = _read_limited(response, ERROR_BODY_BYTES)
        body = _parse_json(data)[0] if complete and data and not data.isspace() else None
        if not isinstance(body, dict):
            body = {}
        error = body.get('error') if isinstance(body.get('error'), str) else None
        description = body.get('error_description') if isinstance(body.get('error_description'), str) else None
        if description is None and not body:
            if _is_html(response, data):
                description = ('%s, not the API\'s JSON error: a proxy or load balancer in front of the API may '
                               'have answered' % _describe_html(data))
            else:
                description = _one_line(bytes(data[:200]).decode('utf-8', 'replace'), 200) or response.reason
        status = response.status_code
        validation_errors = body.get('validation_errors')
        return ApinizerError(self._scrub(_explain(status, error, description, method, path)), status=status,
                             error=error, description=self._scrub(description or ''), method=method, path=path,
                             outcome_unknown=method in WRITE_METHODS and status in RETRY_READ_STATUSES,
                             validation_errors=validation_errors if isinstance(validation_errors, list) else None,
                             retry_after=_retry_after_seconds(response, body) if status == 429 else None,
                             api_answer=bool(body))

    def _connection_failure(self, method, path, exc, reading=False):
        # A connect failure sent nothing; a read timeout or a dropped connection may have left a write done.
        sent = reading or (not isinstance(exc, requests.exceptions.ConnectTimeout) and not _is_connect_error(exc))
        if isinstance(exc, requests.exceptions.Timeout):
            message = '%s %s timed out after %s seconds (option timeout).' % (method, path, _seconds(self.timeout))
        elif reading:
            message = 'The answer to %s %s broke off before its end: %s.' % (method, path, exc)
        else:
            message = 'Could not reach the Apinizer API for %s %s at %s: %s.' % (method, path, self.base_url, exc)
        if sent and method in WRITE_METHODS:
            message += ' The outcome of this write is unknown.'
        return ApinizerError(self._scrub(message), method=method, path=path, outcome_unknown=sent and method in WRITE_METHODS)

    def _tls_failure(self, method, path, exc):
        """The message of a failed TLS handshake: what was wrong with the server's certificate, when that is what
        failed, and the option that fixes it."""
        verification = _cause(exc, ssl.SSLCertVerificationError)
        start = 'The TLS handshake with %s failed on %s %s: ' % (self.base_url, method, path)
        if verification is None:
            # ssl's own error says what failed; the wrappers around it only repeat the url.
            return (start + '%s. If a private CA signed the server certificate, set ca_path (APINIZER_CA_PATH) to it; '
                    'if the server asks for a client certificate, set client_cert and client_key.'
                    % (_cause(exc, ssl.SSLError) or exc))
        code = getattr(verification, 'verify_code', None)
        cause = 'certificate verify failed: %s' % (getattr(verification, 'verify_message', None) or verification)
        insecure = 'validate_certs=false (APINIZER_VALIDATE_CERTS) would skip the check, which is insecure.'
        if code == CERT_HAS_EXPIRED:
            return (start + "the server's certificate has expired (%s). Renew the certificate of the management API "
                    "on the server; ca_path cannot help, and %s" % (cause, insecure))
        if code == CERT_NOT_YET_VALID:
            return (start + "the server's certificate is not valid yet (%s). Check the clocks of this host and of the "
                    "server; %s" % (cause, insecure))
        if code in HOSTNAME_MISMATCH_CODES:
            host = urlsplit(self.base_url).hostname
            names = self._certificate_names()
            return (start + "the server's certificate is not valid for host %s%s (%s). Set url (APINIZER_URL) to a "
                    "host name the certificate holds, or have it issued for %s; ca_path cannot help, and %s"
                    % (host, ' -- it holds %s' % ', '.join(names) if names else '', cause, host, insecure))
        if code in UNTRUSTED_ISSUER_CODES:
            return (start + "the server's certificate is not signed by a CA this host trusts (%s). Set ca_path "
                    "(APINIZER_CA_PATH) to the CA that signed it." % cause)
        return (start + "the server's certificate could not be verified (%s). If a private CA signed it, set ca_path "
                "(APINIZER_CA_PATH) to it." % cause)

    def _certificate_names(self):
        """The host names and addresses the server's certificate holds, read without verification for the message
        of a host name mismatch; [] when they cannot be read."""
        parts = urlsplit(self.base_url)
        if not _pem.HAS_CRYPTOGRAPHY:
            return []
        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with socket.create_connection((parts.hostname, parts.port or 443), timeout=min(self.timeout, 5)) as raw:
                with context.wrap_socket(raw, server_hostname=parts.hostname) as connection:
                    der = connection.getpeercert(binary_form=True)
            return _pem.certificate_host_names(der) if der else []
        except (OSError, ValueError):
            # Only a better message is lost.
            return []

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def get_optional(self, path):
        """GET one object, or None when the API says it does not exist."""
        try:
            return self.get(path)
        except ApinizerError as exc:
            if exc.is_not_found:
                return None
            raise

    def get_one(self, path):
        """The one object a GET of path answers, or None when it does not exist (see unwrap_one)."""
        return unwrap_one(self.get_optional(path))

    def environment_names(self, project):
        """Names of the environments the project reaches (one read). The reference writes this path without the
        trailing slash every other path has; a server that wants it is answered on the second try."""
        with_slash = self.path(Literal('apiops/environments'), project)
        try:
            response = self.get(with_slash[:-1])
        except ApinizerError as exc:
            if exc.status != 404:
                raise
            response = self.get(with_slash)
        return [entry.get('name') for entry in response.get('resultList') or []]


class Literal(str):
    """A path segment that is not percent-encoded."""


TOO_LARGE_HINT = 'No answer of the API is that large: check url and any proxy in front of the API.'
PROXY_HINT = ('Something other than the API answered -- a proxy, a load balancer or a login page in front of it: check that '
              'url (option url / APINIZER_URL) is the address of the API Ops endpoints.')
REDIRECT_HINT = ('The modules do not follow redirects, so the token never goes to another address: set url (option url '
                 '/ APINIZER_URL) to the address the API answers at.')


def _too_large(limit, download, how):
    return ('a body larger than %s, the limit for %s (%s); it was not read further'
            % (_size(limit), 'a download' if download else 'a JSON answer', how))


def _cause(exc, kind):
    """The first exception of class kind among the causes of exc (requests wraps urllib3's, which wraps ssl's), or
    None."""
    seen, pending = set(), [exc]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind) and current is not exc:
            return current
        pending.extend([getattr(current, 'reason', None), current.__cause__, current.__context__])
        pending.extend(current.args)
    return None


def _should_retry(failure, write):
    if failure.status is None:
        return not (write and failure.outcome_unknown)
    if failure.status in RETRY_ANY_METHOD_STATUSES:
        return True
    return failure.status in RETRY_READ_STATUSES and not write


def _is_connect_error(exc):
    """True when the connection was never made, so nothing was sent."""
    text = repr(exc)
    return any(marker in text for marker in ('NewConnectionError', 'Connection refused', 'Name or service not known',
                                             'nodename nor servname', 'Failed to resolve', 'No route to host'))


def _seconds(value):
    return ('%g' % value) if isinstance(value, float) else str(value)


def unwrap_one(response):
    """The one object of a GET answer: inside a one-element resultList, or the answer itself on servers that skip
    the wrapper."""
    if not response:
        return None
    if 'resultList' in response:
        return (response.get('resultList') or [None])[0]
    return response if 'name' in response else None


def object_path(project, collection, name=None):
    """The list of a project's objects of one kind (collection: certificates, keys, keystores, jwks), or one of them
    (name percent-encoded)."""
    if name is None:
        return ApinizerClient.project_path(project, Literal(collection))
    return ApinizerClient.project_path(project, Literal(collection), name)


def jwk_update_params(jwk_update_action='nullify', jwk_update_scope=None):
    """Query of a certificate replace or key update. Newer servers read jwkUpdateAction, older ones
    updateReferencedJwks (and ignore the other); send both. Older servers require updateScope with
    updateReferencedJwks=true, so an update without a scope asks for the narrower SAME_PROJECT."""
    params = dict(jwkUpdateAction=jwk_update_action.upper(),
                  updateReferencedJwks='true' if jwk_update_action == 'update' else 'false')
    if jwk_update_scope or jwk_update_action == 'update':
        params['updateScope'] = (jwk_update_scope or 'same_project').upper()
    return params
