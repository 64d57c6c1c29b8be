"""Weak SSH algorithms against a real sshd: weak ciphers and MACs refused by default with an error
that names the way out, used when the partner's profile says ``legacy_algorithms = true``; SHA-1
host key signatures never."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.channels.sftp import ChangedHostKey, connect
from adapters.channels.sftp.connection import SftpUnreachable, is_legacy
from tests.integration.sftp.helpers import PARTNER
from tests.integration.sftp.sshd import Sshd

HINT = "legacy_algorithms = true"


@pytest.mark.parametrize(
    ("config", "refusal", "negotiated"),
    [
        ("Ciphers aes128-cbc,3des-cbc\n", "no acceptable ciphers", "aes128-cbc"),
        ("Ciphers aes128-ctr\nMACs hmac-md5,hmac-sha1-96\n", "no acceptable macs", "hmac-md5"),
    ],
    ids=["cbc-ciphers", "md5-macs"],
)
def test_a_server_with_only_weak_algorithms_is_refused_unless_the_profile_allows_them(
    sshd_factory: Callable[..., Sshd], tmp_path: Path, config: str, refusal: str, negotiated: str
) -> None:
    server = sshd_factory(config=config)
    with pytest.raises(SftpUnreachable) as caught:
        connect(PARTNER, server.channel())
    assert refusal in str(caught.value)
    assert HINT in str(caught.value)
    with connect(PARTNER, server.channel(legacy_algorithms=True)) as session:
        assert session.sftp.listdir(str(tmp_path)) is not None
        assert negotiated in (session.transport.local_cipher, session.transport.local_mac)


def test_an_rsa_host_key_proves_itself_with_sha2_never_with_ssh_rsa(
    sshd_factory: Callable[..., Sshd],
) -> None:
    modern = sshd_factory(name="modern", host_key_type="rsa")
    with connect(PARTNER, modern.channel()) as session:
        assert session.transport.host_key_type == "rsa-sha2-512"
    old = sshd_factory(name="old", host_key_type="rsa", config="HostKeyAlgorithms ssh-rsa\n")
    for legacy in (False, True):
        with pytest.raises(ChangedHostKey, match="none of the known host key types"):
            connect(PARTNER, old.channel(legacy_algorithms=legacy))


def test_a_modern_server_gets_aes_gcm_and_no_weak_algorithm(sshd: Sshd) -> None:
    with connect(PARTNER, sshd.channel()) as session:
        options = session.transport.get_security_options()
        offered = [*options.ciphers, *options.digests, *options.kex, *options.key_types]
        assert session.transport.local_cipher == "aes128-gcm@openssh.com"
    assert [name for name in offered if is_legacy(name)] == []
