"""Fixtures for the outbound tests: the real sshd of the SFTP tests."""

from tests.integration.sftp.conftest import remote, sshd, sshd_factory

__all__ = ["remote", "sshd", "sshd_factory"]
