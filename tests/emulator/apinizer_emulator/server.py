# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the emulator in a background thread: ``EmulatorServer(...).start()``, ``.url``, ``.stop()``."""

from __future__ import annotations

import http.client
import ssl
import sys
import threading
import time
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app, is_control_path
from .config import EmulatorConfig

START_TIMEOUT_SECONDS = 10.0


class QuietRequestHandler(WSGIRequestHandler):
    """Logs nothing by default; with log_requests, one ``METHOD path status`` line per API request.

    Never the query string, headers or body, where secrets could be."""

    def log_request(self, code='-', size='-'):
        if not getattr(self.server, 'emulator_log_requests', False):
            return
        path = urlsplit(getattr(self, 'path', '') or '').path
        if not is_control_path(path):
            sys.stderr.write('%s %s %s\n' % (getattr(self, 'command', '-'), path, code))

    def log_error(self, format, *args):  # pylint: disable=redefined-builtin
        if getattr(self.server, 'emulator_log_requests', False):
            # Only the message template: its arguments may quote the request line.
            sys.stderr.write('emulator: %s\n' % format.split('%', 1)[0].strip())

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


def build_ssl_context(config):
    if not config.tls:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    if config.tls_client_ca:
        context.load_verify_locations(cafile=config.tls_client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class EmulatorServer:
    """A threaded werkzeug server for the emulator app.

    Takes an EmulatorConfig, or its keyword arguments (projects, tokens, read_only_tokens, users,
    admin_project, token_ttl, tls_cert, tls_key, tls_client_ca, host, port, log_requests, variant and the variant
    switches omit_list_content, not_found_status, key_list_shape, jwk_query, strict_accept), or both (the keywords
    override the config)."""

    def __init__(self, config=None, **settings):
        if config is None:
            config = EmulatorConfig(**settings)
        elif isinstance(config, dict):
            config = EmulatorConfig(**dict(config, **settings))
        elif settings:
            config = config.replace(**settings)
        self.config = config
        self.app = None
        self._server = None
        self._thread = None

    def start(self):
        if self._server is not None:
            return self
        self.app = create_app(self.config)
        try:
            server = make_server(self.config.host, self.config.port, self.app, threaded=True,
                                 request_handler=QuietRequestHandler, ssl_context=build_ssl_context(self.config))
        except SystemExit as exc:
            # werkzeug exits the process when it cannot bind; a library must raise instead.
            raise OSError('cannot listen on %s:%s' % (self.config.host, self.config.port)) from exc
        server.emulator_log_requests = self.config.log_requests
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1},
                                        name='apinizer-emulator', daemon=True)
        self._thread.start()
        self._wait_until_healthy()
        return self

    @property
    def port(self):
        return self._server.port if self._server is not None else None

    @property
    def url(self):
        if self._server is None:
            return None
        host = self.config.host
        if host in ('0.0.0.0', '', '::'):
            host = '127.0.0.1'
        if ':' in host:
            host = '[%s]' % host
        return '%s://%s:%d' % ('https' if self.config.tls else 'http', host, self.port)

    def _wait_until_healthy(self):
        parts = urlsplit(self.url)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                if self.config.tls:
                    # Only whether it answers matters here, not who it is.
                    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    client_context.check_hostname = False
                    client_context.verify_mode = ssl.CERT_NONE
                    if self.config.tls_client_ca:
                        # It cannot answer without a client certificate; being connectable is enough.
                        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
                        connection.connect()
                        connection.close()
                        return
                    connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=2, context=client_context)
                else:
                    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
                connection.request('GET', '/_emulator/health')
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('the emulator did not become healthy within %d seconds' % START_TIMEOUT_SECONDS)
            time.sleep(0.05)

    def stop(self):
        server, thread = self._server, self._thread
        self._server = None
        self._thread = None
        if server is not None:
            server.shutdown()
            if thread is not None:
                thread.join(10)
            server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
