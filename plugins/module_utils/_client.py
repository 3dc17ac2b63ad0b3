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
import threading
import time
import traceback

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import quote, urlsplit
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import CollectionError, InvalidInput

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
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ('http', 'https') or not parts.hostname or not port_ok or any(c.isspace() for c in url):
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
    """AnsibleModule keyword arguments: the module's own options merged with the connection options."""
    spec = connection_argument_spec()
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
                 outcome_unknown=False, validation_errors=None, retry_after=None):
        super(ApinizerError, self).__init__(message)
        self.status = status
        self.error = error
        self.description = description
        self.method = method
        self.path = path
        self.outcome_unknown = outcome_unknown
        self.validation_errors = validation_errors or []
        self.retry_after = retry_after

    @property
    def is_not_found(self):
        """The API answers a missing certificate or key with 400 "... is not found!"; a 404 counts too, but only
        an API error (a JSON error code) -- a wrong url's 404 page is not "absent" -- and not the 404 of a missing
        project, which is a configuration error."""
        if self.status not in (400, 404) or not self.description:
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


def _json_or_empty(response):
    try:
        return response.json()
    except ValueError:
        return {}


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
            body = _json_or_empty(self._send('POST', TOKEN_PATH, write=False, data=form, headers=JSON_ACCEPT))
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

    def request(self, method, path, params=None, json=None, data=None, files=None, raw=False):
        """Send one call and return its JSON (or, with raw=True, the bytes of a download); raise ApinizerError
        otherwise. Each call asks for the media type its endpoint returns: a server may honour Accept strictly.

        A token obtained with username and password that the server calls expired is renewed once and the call
        sent again: a 401 means the server did not process it, so no write is repeated blindly."""
        headers = dict(BINARY_ACCEPT if raw else JSON_ACCEPT)
        headers.update(self._bearer())
        kwargs = dict(params=params, json=json, data=data, files=files)
        try:
            response = self._send(method, path, write=method in WRITE_METHODS, headers=headers, **kwargs)
        except ApinizerError as exc:
            if exc.status != 401 or exc.error != 'token_expired':
                raise
            if not self._username:
                exc.set_message('The token expired during the run (%s) on %s %s: give a token that lives longer '
                                'than the run, or username and password, which the modules renew '
                                '(APINIZER_USERNAME / APINIZER_PASSWORD).' % (exc.short, method, path))
                raise
            headers.update(self._bearer(renew=True))
            response = self._send(method, path, write=method in WRITE_METHODS, headers=headers, **kwargs)
        if raw:
            return response.content
        return _json_or_empty(response)

    def _send(self, method, path, write, **kwargs):
        """Send with bounded retries. 429/503 are repeated for any method (the server did not process the call);
        502/504 and lost connections only for reads: a write whose outcome is unknown is never repeated here."""
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
                                                verify=self._verify, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise ApinizerError(self._scrub(
                    'The TLS handshake with %s failed on %s %s: %s. If a private CA signed the server certificate, '
                    'set ca_path (APINIZER_CA_PATH) to it; if the server asks for a client certificate, set '
                    'client_cert and client_key.' % (self.base_url, method, path, exc)), method=method, path=path)
            except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL) as exc:
                # Nothing was sent; requests' own text could quote a header value, so it is not passed on.
                raise ApinizerError('%s %s could not be sent: %s is not valid (check url, token, username and password).'
                                    % (method, path, 'a header' if isinstance(exc, requests.exceptions.InvalidHeader)
                                       else 'the url'), method=method, path=path)
            except requests.exceptions.RequestException as exc:
                failure = self._connection_failure(method, path, exc)
            else:
                if 200 <= response.status_code < 300:
                    return response
                failure = self._http_failure(response, method, path)
            if not _should_retry(failure, write) or attempt > self.retries:
                if attempt > 1:
                    failure.set_message(failure.message + ' Gave up after %d attempts (option retries=%d).'
                                        % (attempt, self.retries))
                raise failure
            wait = self._wait_seconds(failure, attempt)
            if failure.status in RETRY_ANY_METHOD_STATUSES:  # the server is overloaded: every worker waits
                self._pause.extend(wait, self)
            self._sleep(wait)

    def _wait_seconds(self, failure, attempt):
        if failure.retry_after is not None:
            return min(failure.retry_after, RETRY_AFTER_MAX_SECONDS)
        return min(BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)), BACKOFF_MAX_SECONDS)

    def _http_failure(self, response, method, path):
        body = _json_or_empty(response)
        error = body.get('error') if isinstance(body, dict) else None
        description = body.get('error_description') if isinstance(body, dict) else None
        if description is None and not body:
            description = response.text[:200] or response.reason
        status = response.status_code
        return ApinizerError(self._scrub(_explain(status, error, description, method, path)), status=status,
                             error=error, description=self._scrub(description or ''), method=method, path=path,
                             outcome_unknown=method in WRITE_METHODS and status in RETRY_READ_STATUSES,
                             validation_errors=body.get('validation_errors') if isinstance(body, dict) else None,
                             retry_after=_retry_after_seconds(response, body) if status == 429 else None)

    def _connection_failure(self, method, path, exc):
        # A connect failure sent nothing; a read timeout or a dropped connection may have left a write done.
        sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and not _is_connect_error(exc)
        if isinstance(exc, requests.exceptions.Timeout):
            message = '%s %s timed out after %s seconds (option timeout).' % (method, path, _seconds(self.timeout))
        else:
            message = 'Could not reach the Apinizer API for %s %s at %s: %s.' % (method, path, self.base_url, exc)
        if sent and method in WRITE_METHODS:
            message += ' The outcome of this write is unknown.'
        return ApinizerError(self._scrub(message), method=method, path=path, outcome_unknown=sent and method in WRITE_METHODS)

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


def jwk_update_params(jwk_update_action='nullify', jwk_update_scope=None):
    """Query of a certificate replace or key update. Newer servers read jwkUpdateAction, older ones
    updateReferencedJwks; send both."""
    params = dict(jwkUpdateAction=jwk_update_action.upper(),
                  updateReferencedJwks='true' if jwk_update_action == 'update' else 'false')
    if jwk_update_scope:
        params['updateScope'] = jwk_update_scope.upper()
    return params
