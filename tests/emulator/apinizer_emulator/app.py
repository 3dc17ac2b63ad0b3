# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Flask application: the /apiops/ API, the /_emulator/ control surface, and a WSGI layer for the
request log and the request-level faults (latency, error answers, rate limits, dropped connections, garbage answers)."""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
import traceback

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from .api import ARRIVED_ENVIRON_KEY, FAULTS_ENVIRON_KEY, ApiOps, bearer_token, json_response
from .config import EmulatorConfig
from .errors import ApiError, default_error_for_status
from . import garbage
from .faults import GARBAGE_KINDS, FaultBook, FaultSpecError
from .paths import decoded_path, redacted_query, wire_path
from .store import Store, utc_now_iso
from .variants import SWITCHES, resolve

EXTENSION_NAME = 'apinizer_emulator'
CONTROL_PREFIX = '/_emulator'
ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']
MAX_BODY_BYTES = 32 * 1024 * 1024
# What the server (server.py) puts into each request's WSGI environ: the client's socket, so that a fault can
# drop the connection, and the number of the TCP connection, for the request log.
SOCKET_ENVIRON_KEY = 'apinizer_emulator.socket'
CONNECTION_ENVIRON_KEY = 'apinizer_emulator.connection'


class EmulatorContext:
    def __init__(self, config):
        self.config = config
        self.store = Store(config)
        self.faults = FaultBook()
        self.api = ApiOps(self.store, self.faults)
        # Set when the server stops: injected latency ends early, so that no worker holds the shutdown up.
        self.stopping = threading.Event()


def is_control_path(path):
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + '/')


def _read_body(environ):
    stream = environ.get('wsgi.input')
    if stream is None:
        return b''
    if environ.get('wsgi.input_terminated'):
        return stream.read(MAX_BODY_BYTES + 1)
    try:
        remaining = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        remaining = 0
    chunks = []
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b''.join(chunks)


def _drop_connection(environ):
    """Shut the client's TCP connection down so it gets no HTTP answer at all.

    The socket is only shut down, not closed: the server's next write then fails with EPIPE, which it treats as
    a dropped connection and stays silent about, and the socket is closed by the server as usual (a kept-alive
    connection ends there)."""
    connection = environ.get(SOCKET_ENVIRON_KEY)
    if connection is None:
        return False
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


class RequestRecorder:
    """WSGI middleware: buffers the body, applies request-level faults and writes the request log."""

    def __init__(self, wsgi_app, context):
        self.wsgi_app = wsgi_app
        self.context = context

    def __call__(self, environ, start_response):
        path = wire_path(environ)
        if is_control_path(path):
            return self.wsgi_app(environ, start_response)
        started = time.monotonic()
        method = environ.get('REQUEST_METHOD', 'GET').upper()
        entry = {
            'seq': self.context.store.request_log.next_seq(),
            'method': method,
            'path': path,
            'query': redacted_query(environ),
            'status': None,
            'write': method in ('POST', 'PUT', 'DELETE') and path.startswith('/apiops/projects/'),
            'credential': self.context.store.credential(bearer_token(environ)),
            'time': utc_now_iso(),
            'duration_ms': None,
            'dropped': False,
            'faults': [],
            'connection': environ.get(CONNECTION_ENVIRON_KEY),
        }
        # Reading the whole body first means no fault can leave unread bytes on the connection.
        body = _read_body(environ)
        environ['wsgi.input'] = io.BytesIO(body)
        environ['CONTENT_LENGTH'] = str(len(body))
        # The body is now de-chunked and of known length: the app must not look for chunks any more.
        environ.pop('wsgi.input_terminated', None)
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        environ[FAULTS_ENVIRON_KEY] = entry['faults']
        environ[ARRIVED_ENVIRON_KEY] = started

        decision = self.context.faults.take_request_faults(method, [path, decoded_path(path)])
        entry['faults'].extend(decision.applied)
        if decision.latency_seconds:
            self.context.stopping.wait(decision.latency_seconds)

        status_seen = []

        def recording_start_response(status, headers, exc_info=None):
            status_seen.append(int(status.split(' ', 1)[0]))
            return start_response(status, headers, exc_info)

        if decision.drop_before:
            self._finish(entry, started, None)
            _drop_connection(environ)
            start_response('502 Bad Gateway', [('Content-Length', '0')])
            return []
        if decision.answer is not None and decision.answer['kind'] in GARBAGE_KINDS:
            # A huge_body answer is an iterator, made as it is sent: the entry is logged when it starts.
            chunks = garbage.answer(decision.answer, environ, self.wsgi_app, recording_start_response)
        elif decision.answer is not None:
            chunks = self._fault_answer(decision.answer)(environ, recording_start_response)
        else:
            app_iter = self.wsgi_app(environ, recording_start_response)
            try:
                chunks = list(app_iter)
            finally:
                if hasattr(app_iter, 'close'):
                    app_iter.close()
        if decision.drop_after is not None:
            self._finish(entry, started, None)
            _drop_connection(environ)
            return []
        self._finish(entry, started, status_seen[-1] if status_seen else None)
        return chunks

    def _finish(self, entry, started, status):
        entry['status'] = status
        entry['dropped'] = status is None
        entry['duration_ms'] = round((time.monotonic() - started) * 1000.0, 3)
        self.context.store.request_log.append(entry)
        if self.context.config.log_requests:
            # Never the query string, headers or body, where secrets could be.
            sys.stderr.write('%s %s %s\n' % (entry['method'], entry['path'], 'dropped' if status is None else status))

    @staticmethod
    def _fault_answer(fault):
        if fault['kind'] == 'rate_limit':
            seconds = fault['retry_after']
            headers = {'Retry-After': str(seconds)} if fault['header'] else None
            return json_response({'error': 'rate_limit_exceeded',
                                  'error_description': 'Rate limit exceeded, retry after %d second(s)' % seconds,
                                  'retry_after': seconds}, status=429, headers=headers)
        error, description = default_error_for_status(fault['status'])
        body = {'error': fault['error'] or error, 'error_description': fault['error_description'] or description}
        return json_response(body, status=fault['status'], headers=fault['headers'] or None)


def _json_object_or_empty():
    if not request.get_data():
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'bad_request', 'The body must be a JSON object')
    return body


def _only_fields(body, allowed):
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, 'bad_request', 'unknown field(s): %s' % ', '.join(unknown))


def _variant_settings(body):
    """``variant`` and the switches given in a control body (variants.py), checked."""
    settings = {name: body[name] for name in ('variant',) + tuple(SWITCHES) if body.get(name) is not None}
    try:
        resolve(**settings)
    except ValueError as exc:
        raise ApiError(400, 'bad_request', str(exc)) from exc
    return settings


def _optional_ttl(body):
    value = body.get('token_ttl')
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ApiError(400, 'bad_request', 'token_ttl must be a non-negative integer (seconds)')
    return value


def _register_control(app, context):
    store = context.store
    faults = context.faults

    @app.route(CONTROL_PREFIX + '/health', methods=['GET'])
    def health():
        return json_response({'ok': True})

    @app.route(CONTROL_PREFIX + '/reset', methods=['POST'])
    def reset():
        body = _json_object_or_empty()
        _only_fields(body, ('projects', 'token_ttl', 'variant') + tuple(SWITCHES))
        try:
            store.reset(projects=body.get('projects'), token_ttl=_optional_ttl(body), **_variant_settings(body))
        except ValueError as exc:
            raise ApiError(400, 'bad_request', str(exc)) from exc
        faults.clear()
        return json_response(store.settings())

    @app.route(CONTROL_PREFIX + '/config', methods=['GET', 'POST'])
    def config():
        if request.method == 'POST':
            body = _json_object_or_empty()
            _only_fields(body, ('token_ttl', 'variant') + tuple(SWITCHES))
            store.configure(token_ttl=_optional_ttl(body), **_variant_settings(body))
        return json_response(store.settings())

    @app.route(CONTROL_PREFIX + '/requests', methods=['GET', 'DELETE'])
    def requests_log():
        if request.method == 'DELETE':
            store.request_log.clear()
        return json_response({'requests': store.request_log.entries()})

    @app.route(CONTROL_PREFIX + '/state', methods=['GET'])
    def state():
        return json_response(store.state())

    @app.route(CONTROL_PREFIX + '/faults', methods=['GET', 'POST', 'DELETE'])
    def fault_list():
        if request.method == 'POST':
            try:
                return json_response(faults.add(_json_object_or_empty()))
            except FaultSpecError as exc:
                raise ApiError(400, 'bad_request', str(exc)) from exc
        if request.method == 'DELETE':
            faults.clear()
        return json_response({'faults': faults.list()})

    @app.route(CONTROL_PREFIX + '/faults/<int:fault_id>', methods=['DELETE'])
    def fault_item(fault_id):
        if not faults.remove(fault_id):
            raise ApiError(404, 'not_found', 'No fault with id %d' % fault_id)
        return json_response({'faults': faults.list()})


def _register_errors(app):
    @app.errorhandler(ApiError)
    def api_error(exc):
        return json_response(exc.body(), status=exc.status, headers=exc.headers or None)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        error, _description = default_error_for_status(exc.code or 500)
        if exc.code == 404:
            error = 'not_found'
        elif exc.code == 405:
            error = 'method_not_allowed'
        return json_response({'error': error, 'error_description': exc.description or exc.name}, status=exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(exc):  # pylint: disable=unused-argument
        # A bug in the emulator: say so on stderr (a traceback holds no request data) and answer like the API would.
        traceback.print_exc(file=sys.stderr)
        return json_response({'error': 'internal_error', 'error_description': 'Internal server error (emulator bug)'}, status=500)


def create_app(config=None):
    """Build the emulator's Flask application for an EmulatorConfig (or a dict of its keyword arguments)."""
    if config is None:
        config = EmulatorConfig()
    elif isinstance(config, dict):
        config = EmulatorConfig(**config)
    # No static route, and no slash merging: a name may legitimately decode to "a//b".
    app = Flask(__name__, static_folder=None)
    app.url_map.merge_slashes = False
    app.config['MAX_CONTENT_LENGTH'] = MAX_BODY_BYTES
    context = EmulatorContext(config)
    app.extensions[EXTENSION_NAME] = context
    _register_control(app, context)
    _register_errors(app)

    def apiops(any_path=''):  # pylint: disable=unused-argument
        return context.api.dispatch()

    app.add_url_rule('/', 'apiops_root', apiops, methods=ALL_METHODS, provide_automatic_options=False)
    app.add_url_rule('/<path:any_path>', 'apiops', apiops, methods=ALL_METHODS, provide_automatic_options=False)
    app.wsgi_app = RequestRecorder(app.wsgi_app, context)
    return app
