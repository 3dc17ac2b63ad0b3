# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The answers of the garbage faults (faults.GARBAGE_KINDS): what a proxy, a broken server or a cut connection gives
in place of the API's answer. Each is a WSGI answer; the API processes the request first when the fault says so."""

from __future__ import annotations

import json
from http import HTTPStatus

from .paths import wire_path

CHUNK_BYTES = 64 * 1024
PROXY_PAGE = ('<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n'
              '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')
HUGE_HEAD = b'{"success": true, "resultList": ['
HUGE_ITEM = b'{},'
HUGE_TAIL = b'{}]}'


def status_line(code):
    try:
        return '%d %s' % (code, HTTPStatus(code).phrase)
    except ValueError:
        return '%d Unknown' % code


def run_api(wsgi_app, environ):
    """Process the request: the API's status line, headers and body."""
    captured = {}

    def start_response(status, headers, exc_info=None):  # pylint: disable=unused-argument
        captured['status'], captured['headers'] = status, list(headers)
        return lambda data: None

    app_iter = wsgi_app(environ, start_response)
    try:
        body = b''.join(app_iter)
    finally:
        if hasattr(app_iter, 'close'):
            app_iter.close()
    return captured['status'], captured['headers'], body


def huge_body(size):
    """A JSON object of exactly size bytes, made as it is sent, in chunks: a result list of empty objects."""
    items, padding = divmod(size - len(HUGE_HEAD) - len(HUGE_TAIL), len(HUGE_ITEM))
    per_chunk = CHUNK_BYTES // len(HUGE_ITEM)
    block = HUGE_ITEM * per_chunk
    yield HUGE_HEAD
    while items:
        count = min(items, per_chunk)
        yield block if count == per_chunk else HUGE_ITEM * count
        items -= count
    yield b' ' * padding + HUGE_TAIL


def answer(fault, environ, wsgi_app, start_response):
    """The WSGI answer (an iterable of bytes) of one garbage fault for this request."""
    kind = fault['kind']
    if kind in ('truncated_json', 'wrong_content_type'):
        status, headers, body = run_api(wsgi_app, environ)
        content_type = dict((name.lower(), value) for name, value in headers).get('content-type', '')
        headers = [(name, value) for name, value in headers if name.lower() not in ('content-length', 'content-type')]
        if kind == 'truncated_json':
            body = body[:int(len(body) * fault['keep'])]
        else:
            content_type = fault['content_type']
        start_response(status, headers + [('Content-Type', content_type), ('Content-Length', str(len(body)))])
        return [body]
    if fault.get('processed'):
        run_api(wsgi_app, environ)
    if kind == 'huge_body':
        headers = [('Content-Type', 'application/json')]
        if fault['content_length']:
            headers.append(('Content-Length', str(fault['bytes'])))
        start_response('200 OK', headers)
        return huge_body(fault['bytes'])
    if kind == 'html_page':
        title = fault['title'] or status_line(fault['status'])
        return _whole(start_response, fault['status'], 'text/html', PROXY_PAGE.format(title=title).encode('utf-8'))
    if kind == 'success_false':
        body = {'success': False}
        if fault['message'] is not None:
            body['message'] = fault['message']
        return _whole(start_response, 200, 'application/json', json.dumps(body).encode('utf-8'))
    if kind == 'empty_body':
        return _whole(start_response, fault['status'], 'application/json', b'')
    # redirect: to the same path (and query) under location
    query = environ.get('QUERY_STRING')
    location = fault['location'] + wire_path(environ) + ('?' + query if query else '')
    page = PROXY_PAGE.format(title=status_line(fault['status'])).encode('utf-8')
    return _whole(start_response, fault['status'], 'text/html', page, [('Location', location)])


def _whole(start_response, status, content_type, body, headers=()):
    start_response(status_line(status), [('Content-Type', content_type), ('Content-Length', str(len(body)))]
                   + list(headers))
    return [body]
