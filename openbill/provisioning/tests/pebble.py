"""Debian's pebble (a test ACME CA) and pebble-challtestsrv, started on free loopback ports.

STACK.md: every listener is bound to 127.0.0.1; pebble's own HTTPS listener uses a CA and a
localhost certificate made here; challtestsrv answers pebble's DNS queries (DNS-01 TXT records
set through its management API). HTTP-01 validations go to ``http_port``, where a test serves
a webroot folder (challtestsrv's own HTTP-01 listener is off).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for localhost/127.0.0.1 signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Openbill test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


@dataclass
class Pebble:
    directory_url: str
    ca_bundle: str
    management_url: str  # pebble's: /roots/0, /cert-status-by-serial/<hex>
    challtestsrv_url: str  # challtestsrv's management API: /set-txt, /clear-txt
    http_port: int  # where pebble's VA fetches HTTP-01 tokens
    processes: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()

    def root_pem(self) -> str:
        return requests.get(f"{self.management_url}/roots/0", verify=self.ca_bundle, timeout=5).text

    def status_of(self, serial_hex: str) -> dict[str, object]:
        answer = requests.get(
            f"{self.management_url}/cert-status-by-serial/{serial_hex}", verify=self.ca_bundle, timeout=5
        )
        return dict(answer.json())


def start(folder: Path, dns_server: str = "") -> Pebble:
    """Start challtestsrv and pebble; pebble resolves names through ``dns_server`` (host:port)
    when given (an authoritative server under test), else through challtestsrv."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = _write_tls(folder)
    acme_port, mgmt_port, http_port, tls_port, dns_port, chall_port = (free_port() for _ in range(6))
    challtestsrv = subprocess.Popen(
        [
            "pebble-challtestsrv",
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
            "-dns01",
            f"127.0.0.1:{dns_port}",
            "-management",
            f"127.0.0.1:{chall_port}",
            "-defaultIPv4",
            "127.0.0.1",
            "-defaultIPv6",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config = folder / "pebble.json"
    config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"127.0.0.1:{acme_port}",
                    "managementListenAddress": f"127.0.0.1:{mgmt_port}",
                    "certificate": str(cert_path),
                    "privateKey": str(key_path),
                    "httpPort": http_port,
                    "tlsPort": tls_port,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"}
    pebble = subprocess.Popen(
        ["pebble", "-config", str(config), "-dnsserver", dns_server or f"127.0.0.1:{dns_port}"],
        env=env,
        stdout=(folder / "pebble.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Pebble(
        directory_url=f"https://127.0.0.1:{acme_port}/dir",
        ca_bundle=str(ca_path),
        management_url=f"https://127.0.0.1:{mgmt_port}",
        challtestsrv_url=f"http://127.0.0.1:{chall_port}",
        http_port=http_port,
        processes=[challtestsrv, pebble],
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(server.directory_url, verify=server.ca_bundle, timeout=1).raise_for_status()
            requests.post(f"{server.challtestsrv_url}/clear-txt", json={"host": "x."}, timeout=1)
            return server
        except requests.RequestException:
            if time.monotonic() > deadline or any(p.poll() is not None for p in server.processes):
                server.stop()
                raise RuntimeError("pebble did not start: " + (folder / "pebble.log").read_text()[-2000:]) from None
            time.sleep(0.1)


@dataclass
class Knot:
    """Debian's Knot DNS serving one zone on a loopback port, accepting TSIG-signed updates."""

    port: int
    zone: str
    key_name: str
    secret: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_knot(folder: Path, zone: str = "acme.test", extra_zones: dict[str, str] | None = None) -> Knot:
    """Knot serving ``zone`` and ``extra_zones`` (name → extra records in zone-file syntax, e.g.
    reverse zones and a forward zone), each accepting updates signed with the one TSIG key."""
    import base64
    import secrets as random_secrets

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    secret = base64.b64encode(random_secrets.token_bytes(32)).decode()
    zones = {zone: "", **(extra_zones or {})}
    for name, records in zones.items():
        (folder / f"{name}.zone").write_text(
            f"$ORIGIN {name}.\n$TTL 60\n@ SOA ns.{zone}. admin.{zone}. 1 60 60 600 60\n@ NS ns.{zone}.\n"
            + ("ns A 127.0.0.1\n" if name == zone else "")
            + records
        )
    zone_config = "".join(
        f"""  - domain: {name}
    file: {name}.zone
    acl: update
"""
        for name in zones
    )
    (folder / "knot.conf").write_text(
        f"""server:
    listen: 127.0.0.1@{port}
    rundir: {folder}
    pidfile: {folder}/knot.pid
control:
    listen: {folder}/knot.sock
database:
    storage: {folder}
key:
  - id: openbill
    algorithm: hmac-sha256
    secret: {secret}
acl:
  - id: update
    key: openbill
    action: update
template:
  - id: default
    storage: {folder}
zone:
{zone_config}"""
    )
    process = subprocess.Popen(
        ["knotd", "-c", str(folder / "knot.conf")], stdout=(folder / "knot.log").open("wb"), stderr=subprocess.STDOUT
    )
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    deadline = time.monotonic() + 15
    while True:
        try:
            resolver.resolve(f"ns.{zone}", "A", lifetime=1)
            return Knot(port=port, zone=zone, key_name="openbill", secret=secret, process=process)
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("knot did not start: " + (folder / "knot.log").read_text()[-2000:]) from None
            time.sleep(0.1)
