# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the emulator in a background thread: ``EmulatorServer(...).start()``, ``.url``, ``.stop()``.

Served by cheroot: HTTP/1.1 with keep-alive (werkzeug's development server closes the connection after
every answer, so a client's connection reuse would never be exercised), a pool of worker threads, TLS
through Python's ssl module."""

from __future__ import annotations

import http.client
import itertools
import ssl
import sys
import threading
import time
from urllib.parse import urlsplit

from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .app import CONNECTION_ENVIRON_KEY, EXTENSION_NAME, SOCKET_ENVIRON_KEY, create_app
from .config import EmulatorConfig

START_TIMEOUT_SECONDS = 10.0
# Requests in progress at once (each worker thread serves one; idle keep-alive connections hold none).
WORKER_THREADS = 64
# An idle keep-alive connection is closed after this many seconds; also the socket timeout of a request.
CONNECTION_TIMEOUT_SECONDS = 30
# How long stop() waits for requests in progress (injected latency is cut short on stop).
SHUTDOWN_TIMEOUT_SECONDS = 5
# Connections the kernel queues before accept (cheroot's default of 5 drops the SYNs of many parallel clients).
LISTEN_BACKLOG = 128


class _Connection(cheroot_server.HTTPConnection):
    """A TCP connection with a serial number (1, 2, ...), which the request log shows as ``connection``."""

    def __init__(self, server, sock, makefile=cheroot_server.MakeFile):
        super().__init__(server, sock, makefile)
        self.serial = next(server.emulator_connection_serials)


class _Gateway(cheroot_wsgi.Gateway_10):
    """WSGI 1.0, plus what the emulator's fault layer needs: the socket (to drop it) and the connection number."""

    def get_environ(self):
        environ = super().get_environ()
        environ[SOCKET_ENVIRON_KEY] = self.req.conn.socket
        environ[CONNECTION_ENVIRON_KEY] = getattr(self.req.conn, 'serial', None)
        return environ


class _WSGIServer(cheroot_wsgi.Server):
    ConnectionClass = _Connection
    # No limit on idle keep-alive connections (cheroot's default closes all but 10).
    keep_alive_conn_limit = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gateway = _Gateway
        self.emulator_connection_serials = itertools.count(1)
        self.emulator_log_requests = False

    def error_log(self, msg='', level=20, traceback=False):  # pylint: disable=unused-argument
        # Silent by default (a refused TLS handshake or a dropped connection is routine in tests); with
        # log_requests only the first clause of the message: the rest may quote what the client sent.
        if self.emulator_log_requests and msg:
            sys.stderr.write('emulator: %s\n' % str(msg).splitlines()[0].split(':', 1)[0].strip())


def build_ssl_context(config):
    if not config.tls:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    if config.tls_client_ca:
        context.load_verify_locations(cafile=config.tls_client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _prepare_and_serve(server, prepared, failure):
    try:
        server.prepare()
    except Exception as exc:  # pylint: disable=broad-except
        failure.append(exc)
        return
    finally:
        prepared.set()
    server.serve()


class EmulatorServer:
    """The emulator app served by cheroot in a background thread (HTTP/1.1, keep-alive, worker threads).

    Takes an EmulatorConfig, or its keyword arguments (projects, tokens, read_only_tokens, users,
    admin_project, token_ttl, tls_cert, tls_key, tls_client_ca, host, port, log_requests, variant and the variant
    switches omit_list_content, not_found_status, key_list_shape, jwk_query, strict_accept, keystore_request,
    jwk_request, jwk_action_paths), or both (the keywords
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
        server = _WSGIServer((self.config.host, self.config.port), self.app, numthreads=WORKER_THREADS,
                             server_name='apinizer-emulator', timeout=CONNECTION_TIMEOUT_SECONDS,
                             shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS, request_queue_size=LISTEN_BACKLOG)
        server.emulator_log_requests = self.config.log_requests
        context = build_ssl_context(self.config)
        if context is not None:
            adapter = BuiltinSSLAdapter(self.config.tls_cert, self.config.tls_key)
            adapter.context = context
            server.ssl_adapter = adapter
        # prepare() (bind, listen, start the workers) runs in the serving thread, which is a daemon: the worker
        # threads it starts inherit that, so a process that forgets stop() can still exit, as with werkzeug.
        prepared = threading.Event()
        failure = []
        self._thread = threading.Thread(target=_prepare_and_serve, args=(server, prepared, failure),
                                        name='apinizer-emulator', daemon=True)
        self._thread.start()
        prepared.wait()
        if failure:
            self._thread.join(10)
            self._thread = None
            raise OSError('cannot listen on %s:%s (%s)' % (self.config.host, self.config.port, failure[0])) from failure[0]
        self._server = server
        self._wait_until_healthy()
        return self

    @property
    def port(self):
        return self._server.bind_addr[1] if self._server is not None else None

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
            # Requests sleeping in an injected latency wake up, so that the workers can finish.
            self.app.extensions[EXTENSION_NAME].stopping.set()
            server.stop()
            if thread is not None:
                thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
