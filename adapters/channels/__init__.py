"""Channels: how files travel between a partner and the spool (:mod:`gateway.ports.channels`).

One module or package per channel: :mod:`.sftp` (a partner's SFTP server), :mod:`.folder` (a
partner's shared folder), :mod:`.memory` (the partner's side in process, for tests).
"""
