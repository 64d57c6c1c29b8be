"""edi-gateway: bridges X12 EDI, flat files and XML exchanged over SFTP and shared folders to an
event-driven layer on RabbitMQ. The core (this package) never names a partner or a protocol;
formats and transports live in :mod:`adapters`."""

__version__ = "0.1.0"
