"""A private certificate authority and a loopback server certificate, made once per process.

MSAL accepts only https authorities, and the clients verify certificates, so the stand-ins run
TLS with a CA the tests trust through the environment (``ca_environment``) rather than by
turning verification off anywhere.
"""

import datetime
import ipaddress
import os
import tempfile
import threading
from dataclasses import dataclass

import httplib2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Variables each client library reads for its trusted CAs: requests (REQUESTS_CA_BUNDLE overrides
# verify=True, and this machine sets it), httplib2 (google-api-python-client), Python's ssl.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "HTTPLIB2_CA_CERTS")


@dataclass(frozen=True)
class Authority:
    ca_file: str
    cert_file: str
    key_file: str


_lock = threading.Lock()
_authority = None


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_authority():
    """The process's CA and a certificate for 127.0.0.1 / localhost (EC keys: cheap to make)."""
    global _authority
    with _lock:
        if _authority is None:
            _authority = _make(tempfile.mkdtemp(prefix="maildesk-standin-tls-"))
        return _authority


def _make(directory):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("MailDesk stand-in CA"))
        .issuer_name(_name("MailDesk stand-in CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Authority(*(os.path.join(directory, name) for name in ("ca.pem", "cert.pem", "key.pem")))
    with open(paths.ca_file, "wb") as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths.cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths.key_file, "wb") as f:
        f.write(_pem(key))
    return paths


def ca_environment(monkeypatch):
    """Make every client library in this process trust the stand-ins' CA (and only it)."""
    ca_file = certificate_authority().ca_file
    for variable in CA_VARIABLES:
        monkeypatch.setenv(variable, ca_file)
    # httplib2 reads HTTPLIB2_CA_CERTS once, at import; google-api-python-client makes fresh
    # httplib2.Http objects of its own when a batch renews credentials
    monkeypatch.setattr(httplib2, "CA_CERTS", ca_file)
    return ca_file


def trust_everywhere(ca_file=None):
    """The same as ``ca_environment``, outside pytest (Odoo tests, benchmarks): returns the
    function that puts everything back."""
    ca_file = ca_file or certificate_authority().ca_file
    saved = {name: os.environ.get(name) for name in CA_VARIABLES}
    saved_httplib2 = httplib2.CA_CERTS
    for name in CA_VARIABLES:
        os.environ[name] = ca_file
    httplib2.CA_CERTS = ca_file

    def restore():
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        httplib2.CA_CERTS = saved_httplib2
    return restore


def trusted(monkeypatch, standin):
    """Start ``standin`` with the CA trusted; for module-scoped fixtures (``yield from``)."""
    ca_environment(monkeypatch)
    with standin:
        yield standin
