# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Command line: ``python -m apinizer_emulator --port 8943 --token TOKEN --project demo=production,staging``."""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import tempfile
import threading

from .config import DEFAULT_ADMIN_PROJECT, DEFAULT_TOKEN_TTL, EmulatorConfig
from .variants import PROFILES, SWITCHES


def _project(value):
    name, separator, environments = value.partition('=')
    names = [item.strip() for item in environments.split(',') if item.strip()]
    if not separator or not name.strip() or not names:
        raise argparse.ArgumentTypeError('expected NAME=env1,env2,... , got %r' % value)
    return name.strip(), names


def _user(value):
    name, separator, password = value.partition(':')
    if not separator or not name:
        raise argparse.ArgumentTypeError('expected NAME:PASSWORD')
    return name, password


def build_parser():
    parser = argparse.ArgumentParser(
        prog='apinizer-emulator',
        description='Emulator of the Apinizer API Ops management API (certificates, keys, environments).')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default: 127.0.0.1)')
    parser.add_argument('--port', type=int, default=8943, help='port to listen on; 0 picks a free one (default: 8943)')
    parser.add_argument('--port-file', help='write the port actually used to this file once listening')
    parser.add_argument('--token', action='append', default=[], metavar='TOKEN',
                        help='a read-write admin bearer token (repeatable)')
    parser.add_argument('--read-only-token', action='append', default=[], metavar='TOKEN',
                        help='a read-only bearer token (repeatable)')
    parser.add_argument('--user', action='append', default=[], type=_user, metavar='NAME:PASSWORD',
                        help='credentials accepted by POST /apiops/auth/token (repeatable)')
    parser.add_argument('--project', action='append', default=[], type=_project, metavar='NAME=ENV1,ENV2',
                        help='a project and its environments (repeatable; default: demo=production,staging,development)')
    parser.add_argument('--admin-project', default=DEFAULT_ADMIN_PROJECT,
                        help='name of the admin project, the only one with a truststore (default: admin)')
    variants = parser.add_argument_group(
        'server variants', 'documented ways in which real servers differ; the default is the first side of each switch')
    variants.add_argument('--variant', choices=list(PROFILES),
                          help='a profile: "strict" takes the other side of every switch below; a switch given as well '
                               'overrides it (default: default)')
    variants.add_argument('--omit-list-content', action=argparse.BooleanOptionalAction, default=None,
                          help='leave base64EncodedContent out of certificate lists (a GET of one certificate keeps it)')
    variants.add_argument('--not-found-status', type=int, choices=SWITCHES['not_found_status'][2],
                          help='status of a missing certificate or key: 400 bad_request (default) or 404 not_found')
    variants.add_argument('--key-list-shape', choices=SWITCHES['key_list_shape'][2],
                          help='key list entries: environmentId and content (newer, default) or environmentName with '
                               'publicKey/privateKey (older)')
    variants.add_argument('--jwk-query', choices=SWITCHES['jwk_query'][2],
                          help='the JWK query a certificate replace or key update reads: jwkUpdateAction (newer, '
                               'default), updateReferencedJwks (older), none (oldest)')
    variants.add_argument('--strict-accept', action=argparse.BooleanOptionalAction, default=None,
                          help="406 when the request's Accept does not admit the endpoint's media type")
    variants.add_argument('--keystore-request', choices=SWITCHES['keystore_request'][2],
                          help='keystore entries read: keyStoreType, password, alias (newer, default), type without '
                               'password or alias (older), environmentId in place of environmentName (oldest)')
    variants.add_argument('--jwk-request', choices=SWITCHES['jwk_request'][2],
                          help='JWK bodies read: environmentName, useType SIGNATURE/ENCRYPTION, algorithm, curveType '
                               '(newer, default) or environmentId, SIGN/ENCRYPT, keystoreAlgorithm, crv (older)')
    variants.add_argument('--jwk-action-paths', choices=SWITCHES['jwk_action_paths'][2],
                          help='the JWK generate and parse paths: with and without a trailing slash (both, default) or '
                               'only without, as documented (documented)')
    parser.add_argument('--token-ttl', type=int, default=DEFAULT_TOKEN_TTL, metavar='SECONDS',
                        help='lifetime of tokens issued by /apiops/auth/token (default: 3600)')
    parser.add_argument('--tls-cert', help='serve HTTPS with this certificate (PEM, may hold the chain)')
    parser.add_argument('--tls-key', help='the private key of --tls-cert (PEM)')
    parser.add_argument('--tls-client-ca', help='require a client certificate signed by this CA (PEM)')
    parser.add_argument('--log-requests', action='store_true',
                        help='print "METHOD path status" for every API request to stderr (never queries, headers or bodies)')
    return parser


def write_port_file(path, port):
    """Write atomically (temporary file, then rename) so that a reader never sees a half-written port."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix='.apinizer-emulator-port-', dir=directory)
    try:
        with os.fdopen(handle, 'w') as stream:
            stream.write('%d\n' % port)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def config_from_args(args):
    """The EmulatorConfig of parsed command-line arguments; raises ValueError."""
    projects = collections.OrderedDict(args.project) if args.project else None
    return EmulatorConfig(
        projects=projects, tokens=args.token, read_only_tokens=args.read_only_token, users=dict(args.user),
        admin_project=args.admin_project, token_ttl=args.token_ttl,
        tls_cert=args.tls_cert, tls_key=args.tls_key, tls_client_ca=args.tls_client_ca,
        host=args.host, port=args.port, log_requests=args.log_requests,
        variant=args.variant, **{name: getattr(args, name) for name in SWITCHES})


def main(argv=None):
    args = build_parser().parse_args(argv)
    # Imported here so that --help works even where Flask is missing.
    from .server import EmulatorServer  # pylint: disable=import-outside-toplevel

    if not (args.token or args.read_only_token or args.user):
        sys.stderr.write('apinizer-emulator: give at least one --token, --read-only-token or --user\n')
        return 2
    try:
        server = EmulatorServer(config_from_args(args)).start()
    except (OSError, ValueError, RuntimeError) as exc:
        sys.stderr.write('apinizer-emulator: %s\n' % exc)
        return 1

    stop = threading.Event()

    def request_stop(signum, frame):  # pylint: disable=unused-argument
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        if args.port_file:
            write_port_file(args.port_file, server.port)
        sys.stdout.write('apinizer emulator listening on %s\n' % server.url)
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if args.port_file and os.path.exists(args.port_file):
            os.unlink(args.port_file)
    return 0


if __name__ == '__main__':
    sys.exit(main())
