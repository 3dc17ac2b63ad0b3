# Copyright: apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the self-signed demo certificate (CN=demo.apinizer.local) as PEM.

    python examples/demo_certificate.py build/demo/demo.pem

An existing certificate that stays valid for another 30 days is kept, so running the
demo again against a real Apinizer changes nothing there. Only the certificate is
written; its private key is thrown away (examples/demo.yml needs no key).
"""

from __future__ import annotations

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

COMMON_NAME = 'demo.apinizer.local'
VALID_DAYS = 365
KEEP_IF_VALID_FOR = datetime.timedelta(days=30)


def still_good(path, now):
    """Tell whether path holds a demo certificate valid for KEEP_IF_VALID_FOR more."""
    try:
        with open(path, 'rb') as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError):
        return False
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return bool(names) and names[0].value == COMMON_NAME and certificate.not_valid_after_utc - now > KEEP_IF_VALID_FOR


def make_certificate(now):
    """A new self-signed certificate for COMMON_NAME, as PEM bytes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'apinizer.apiops demo'),
    ])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(COMMON_NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def main():
    """Entry point."""
    if len(sys.argv) != 2:
        sys.stderr.write('usage: %s PATH\n' % sys.argv[0])
        return 2
    path = sys.argv[1]
    now = datetime.datetime.now(datetime.timezone.utc)
    if still_good(path, now):
        print('demo certificate kept: %s' % path)
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'wb') as handle:
        handle.write(make_certificate(now))
    print('demo certificate written: %s (CN=%s, valid %d days)' % (path, COMMON_NAME, VALID_DAYS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
