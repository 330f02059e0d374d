"""Regenerate the DEMO certificates in this folder from recipe.json.

    python -m tui_client.sample_certs.generate            # rewrite every file here
    python -m tui_client.sample_certs.generate --check    # only check the committed files

DEMO ONLY: the private keys and passwords written here are public. They exist so that a training
room, the tests and `tsunagi demo` can run without real certificates. Never trust demo-ca.cert.pem
outside a demo.

What it writes: a demo CA (certificate + CRL), a second CA nobody trusts, one PKCS#12 keystore and
one PEM certificate per recipe entry (good offices and deliberately bad ones), a TLS server
certificate and key for the demo relay, and manifest.json, which records everything a program needs:
file names, passwords, office numbers, service types, validity and what is wrong with the bad ones.
The properties hold at the manifest's ``reference_time`` (the expiring certificate expires 20 days
after it). The CA key is not kept: run the script again to issue new certificates.

The building blocks (``new_ca``, ``issue``, ``keystore_bytes``, ``crl_bytes``) are reused by the tests
to make throw-away certificates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tui_client.core import certs as core_certs

HERE = Path(__file__).resolve().parent
MANIFEST_FORMAT = "tsunagi-sample-certs/1"
WARNING = "DEMO ONLY - these keys and passwords are public. Never use them for real data."


@dataclass
class CA:
    key: object
    cert: x509.Certificate


def new_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def new_ca(name: str, not_before: dt.datetime, not_after: dt.datetime, key=None) -> CA:
    key = key or new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tsunagi DEMO"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return CA(key, cert)


def office_name(office_number: Optional[str], name: str, site: str = "",
                agent_id: str = "") -> x509.Name:
    """Subject of an office certificate: CN = office number, O = office name, OU = site."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)]
    if site:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, site))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, office_number or agent_id))
    return x509.Name(attrs)


def issue(ca: CA, subject: x509.Name, not_before: dt.datetime, not_after: dt.datetime, *,
          key=None, kind: str = "office", hosts: Iterable[str] = (), serial: Optional[int] = None):
    """Issue an end-entity certificate. ``kind``: "office", "agent" or "server". Returns (key, cert)."""
    key = key or new_key()
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(ca.cert.subject)
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                              critical=False))
    if kind == "server":
        names: List[x509.GeneralName] = []
        for h in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                names.append(x509.DNSName(h))
        builder = (builder
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    else:
        policy = sorted(core_certs.AGENT_POLICY_OIDS if kind == "agent" else core_certs.OFFICE_POLICY_OIDS)[0]
        builder = (builder
                   # digitalSignature + nonRepudiation to sign, keyEncipherment to receive CMS envelopes
                   .add_extension(x509.KeyUsage(True, True, True, False, False, False, False, False, False),
                                  critical=True)
                   # clientAuth: the relay knows offices by TLS client certificate;
                   # emailProtection: what `openssl cms -verify` expects of a CMS signer.
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH,
                                                         ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                                  critical=False)
                   .add_extension(_policies_extension(policy), critical=False))
    return key, builder.sign(ca.key, hashes.SHA256())


def _policies_extension(policy: str) -> x509.ExtensionType:
    """certificatePolicies with the one policy OID, DER by asn1crypto: cryptography 43 cannot make an
    ObjectIdentifier with an arc above 64 bits (our 2.25.<UUID> OIDs); the bytes are the same as
    ``x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(policy), None)])``."""
    from asn1crypto import x509 as a_x509

    der = a_x509.CertificatePolicies([{"policy_identifier": policy}]).dump()
    return x509.UnrecognizedExtension(x509.oid.ExtensionOID.CERTIFICATE_POLICIES, der)


def keystore_bytes(key, cert: x509.Certificate, password: str, ca_cert: Optional[x509.Certificate] = None,
                   friendly_name: str = "") -> bytes:
    """PKCS#12 with AES-256 + SHA-256 (PBES2), which Windows 10+, openssl 3 and cryptography read."""
    enc = (serialization.PrivateFormat.PKCS12.encryption_builder()
           .kdf_rounds(50000)
           .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
           .hmac_hash(hashes.SHA256())
           .build(password.encode("utf-8")))
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8") or None, key, cert, [ca_cert] if ca_cert else None, enc)


def crl_bytes(ca: CA, revoked: Iterable[x509.Certificate], last_update: dt.datetime,
              next_update: dt.datetime) -> bytes:
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(ca.cert.subject).last_update(last_update).next_update(next_update)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                              critical=False)
               .add_extension(x509.CRLNumber(1), critical=False))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(last_update).build())
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(out: Path = HERE, now: Optional[dt.datetime] = None) -> dict:
    recipe = json.loads((HERE / "recipe.json").read_text(encoding="utf-8"))
    ref = (now or dt.datetime.now(dt.timezone.utc)).replace(second=0, microsecond=0)
    day = dt.timedelta(days=1)
    # The CAs predate every certificate they issue (the expired one was issued three years ago).
    ca_from = ref - 10 * 365 * day
    ca = new_ca(recipe["ca"]["name"], ca_from, ref + recipe["ca"]["years"] * 365 * day)
    other = new_ca(recipe["other_ca"]["name"], ca_from, ref + recipe["other_ca"]["years"] * 365 * day)
    files = {"demo-ca.cert.pem": pem(ca.cert), "other-ca.cert.pem": pem(other.cert)}
    manifest = {
        "format": MANIFEST_FORMAT,
        "warning": WARNING,
        "reference_time": _iso(ref),
        "ca": {"certificate": "demo-ca.cert.pem", "crl": "demo-ca.crl.pem", "subject": ca.cert.subject.rfc4514_string()},
        "other_ca": {"certificate": "other-ca.cert.pem", "subject": other.cert.subject.rfc4514_string(),
                     "note": "Not in any trust store: certificates it issues must be refused."},
        "offices": [],
    }
    revoked = []
    for o in recipe["offices"]:
        issuer = other if o.get("issuer") == "other_ca" else ca
        nb = ref + o["valid_from_days"] * day
        na = nb + o["valid_days"] * day
        kind = "agent" if o["role"] == "agent" else "office"
        subject = office_name(o["office_number"], o["name"], o["site"], o.get("agent_id", ""))
        key, cert = issue(issuer, subject, nb, na, kind=kind)
        password = "demo-" + o["id"]
        if o["problem"] == "no_private_key":
            p12 = pkcs12.serialize_key_and_certificates(
                None, None, None, [cert], serialization.BestAvailableEncryption(password.encode()))
        else:
            p12 = keystore_bytes(key, cert, password, issuer.cert, o["id"])
        if o["problem"] == "revoked":
            revoked.append(cert)
        entry = {
            "id": o["id"],
            "keystore": o["id"] + ".p12",
            "password": password,
            "certificate": o["id"] + ".cert.pem",
            "office_number": o["office_number"],
            "services": o["services"],
            "role": o["role"],
            "name": o["name"],
            "site": o["site"],
            "not_before": _iso(nb),
            "not_after": _iso(na),
            "serial": f"{cert.serial_number:X}",
            "fingerprint": core_certs.fingerprint(cert),
            "issuer": "other_ca" if issuer is other else "ca",
            "usable": o["problem"] in (None, "expires_soon"),
            "problem": o["problem"],
            "superseded_by": o.get("superseded_by"),
            "note": o["note"],
        }
        if o.get("agent_id"):
            entry["agent_id"] = o["agent_id"]
        manifest["offices"].append(entry)
        files[entry["keystore"]] = p12
        files[entry["certificate"]] = pem(cert)
    files["demo-ca.crl.pem"] = crl_bytes(ca, revoked, ref - day, ref + 20 * 365 * day)

    rs = recipe["relay_server"]
    skey, scert = issue(ca, x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                                       x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tsunagi DEMO relay"),
                                       x509.NameAttribute(NameOID.COMMON_NAME, rs["hosts"][0])]),
                        ref - day, ref + rs["days"] * day, kind="server", hosts=rs["hosts"])
    files["relay-server.cert.pem"] = pem(scert) + pem(ca.cert)
    files["relay-server.key.pem"] = skey.private_bytes(serialization.Encoding.PEM,
                                                      serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())
    manifest["relay_server"] = {
        "certificate": "relay-server.cert.pem", "key": "relay-server.key.pem", "hosts": rs["hosts"],
        "not_after": _iso(ref + rs["days"] * day),
        "note": "TLS server certificate for the demo relay, issued by the demo CA; the certificate "
                "file holds the chain (server, then CA); the key is unencrypted PEM.",
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return manifest


def check(folder: Path = HERE) -> List[str]:
    """Problems with the committed files (empty when they have the properties the manifest states)."""
    from tui_client.sample_certs import check_manifest

    return check_manifest(folder)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only check the committed files")
    args = p.parse_args(argv)
    if not args.check:
        generate()
    problems = check()
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
