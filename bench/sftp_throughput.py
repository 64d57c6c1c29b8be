"""SFTP throughput against a local OpenSSH sshd: the gateway beside OpenSSH's own ``sftp -b``.

Same server, same files, same run:

- 1,000 files of 2 KB, polled and fetched (files/s). The gateway lists, downloads each to a
  dotfile (pipelined, in batches), fsyncs it, records the batch in the SQLite ledger
  (synchronous=FULL), links the files into the inbox and deletes them remotely; ``sftp -b`` runs
  ``get`` then ``rm`` on the same files.
- one 100 MB file fetched (MB/s), and the same file sent (SftpSink: temporary name, size check,
  rename, ledger) beside ``sftp`` ``put``.
- for reference, plain paramiko (its own socket, no TCP_NODELAY, ``getfo``) on the small files.

The goals (issue): 600 files/s or more on the small files, 90 % or more of OpenSSH's MB/s on
the large one. On a shared machine the figures move a lot from run to run: ``--repeat N`` runs
the whole set N times and prints each figure's range.

    .venv/bin/python bench/sftp_throughput.py [--files 1000] [--size-mb 100] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import paramiko

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.channels.sftp import SftpSink, SftpSource, connect  # noqa: E402
from gateway.ledger import create_engine_for, migrate, session_factory  # noqa: E402
from tests.integration.sftp.helpers import with_inbound, with_outbound  # noqa: E402
from tests.integration.sftp.sshd import Sshd  # noqa: E402

PARTNER = "bench"


def fill(folder: Path, count: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    block = os.urandom(size)
    for i in range(count):
        (folder / f"file{i:05d}.edi").write_bytes(block[i % 7 :] + block[: i % 7])


def openssh_sftp(sshd: Sshd, known_hosts: Path, commands: str, workdir: Path) -> float:
    batch = workdir / "batch.txt"
    batch.write_text(commands)
    started = time.perf_counter()
    subprocess.run(
        [
            "sftp",
            "-q",
            "-b",
            str(batch),
            "-i",
            str(sshd.user_key),
            "-o",
            f"UserKnownHostsFile={known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-P",
            str(sshd.port),
            "root@127.0.0.1",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=workdir,
    )
    return time.perf_counter() - started


def gateway_fetch(sshd: Sshd, remote: Path, home: Path) -> tuple[float, int]:
    engine = create_engine_for(f"sqlite:///{home / 'ledger.sqlite3'}")
    migrate(engine)
    channel = with_inbound(sshd.channel(timeout=120), remote)
    source = SftpSource(PARTNER, channel, inbox=home / "inbox", ledger=session_factory(engine))
    started = time.perf_counter()
    with connect(PARTNER, channel) as session:
        report = source.poll(session)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(report.taken)


def gateway_send(sshd: Sshd, remote: Path, home: Path) -> float:
    engine = create_engine_for(f"sqlite:///{home / 'ledger.sqlite3'}")
    migrate(engine)
    channel = with_outbound(sshd.channel(timeout=120), remote)
    sink = SftpSink(PARTNER, channel, outbox=home / "outbox", ledger=session_factory(engine))
    started = time.perf_counter()
    with connect(PARTNER, channel) as session:
        report = sink.deliver(session)
    elapsed = time.perf_counter() - started
    assert len(report.sent) == 1, report
    engine.dispose()
    return elapsed


def plain_paramiko(sshd: Sshd, folder: Path, target: Path) -> float:
    """What paramiko does on its own: Transport((host, port)) makes a socket without NODELAY."""
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    transport = paramiko.Transport(("127.0.0.1", sshd.port))
    transport.connect(username="root", pkey=paramiko.PKey.from_path(sshd.user_key))
    sftp = paramiko.SFTPClient.from_transport(transport)
    assert sftp is not None
    for name in sorted(sftp.listdir(str(folder))):
        with (target / name).open("wb") as local:
            sftp.getfo(f"{folder}/{name}", local)
    transport.close()
    return time.perf_counter() - started


Row = tuple[str, str, float, str]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--file-kb", type=int, default=2)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--plain-files", type=int, default=200, help="files for plain paramiko")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole set")
    args = parser.parse_args()
    runs = []
    for run in range(args.repeat):
        rows = one_run(args)
        runs.append(rows)
        if args.repeat > 1:
            print(f"-- run {run + 1} of {args.repeat}")
        print(f"{'client':30} {'files':>16} {'rate':>10}")
        for client, files, rate, unit in rows:
            print(f"{client:30} {files:>16} {rate:>10,.1f} {unit}")
        rates = {client: value for client, _, value, _ in rows}
        fetch = rates["gateway fetch"] / rates["OpenSSH sftp -b get"]
        send = rates["gateway send (tmp+rename)"] / rates["OpenSSH sftp -b put"]
        print(f"gateway / OpenSSH: fetch {fetch:.0%}, send {send:.0%} (goal: fetch >= 90%)")
    if args.repeat > 1:
        print(f"-- ranges over {args.repeat} runs")
        for index, (client, files, _rate, unit) in enumerate(runs[0]):
            values = [rows[index][2] for rows in runs]
            print(f"{client:30} {files:>16} {min(values):>10,.1f} .. {max(values):,.1f} {unit}")


def one_run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="edigw-sftp-bench-") as tmp:
        base = Path(tmp)
        sshd = Sshd(base / "sshd").start()
        known = base / "known_hosts"
        known.write_text(sshd.host_key_line + "\n")
        remote = base / "remote"
        try:
            # -- many small files --------------------------------------------------------------
            out = remote / "out"
            fill(out, args.files, args.file_kb * 1024)
            elapsed, taken = gateway_fetch(sshd, remote, base / "gw1")
            assert taken == args.files, taken
            rows.append(
                (
                    "gateway poll+fetch+delete",
                    f"{args.files} x {args.file_kb} KB",
                    args.files / elapsed,
                    "files/s",
                )
            )
            fill(out, args.files, args.file_kb * 1024)
            local = base / "ssh1"
            local.mkdir()
            elapsed = openssh_sftp(sshd, known, f"get {out}/* {local}/\nrm {out}/*\n", local)
            assert len(list(local.iterdir())) == args.files + 1  # + batch.txt
            rows.append(
                (
                    "OpenSSH sftp -b get+rm",
                    f"{args.files} x {args.file_kb} KB",
                    args.files / elapsed,
                    "files/s",
                )
            )
            fill(out, args.plain_files, args.file_kb * 1024)
            elapsed = plain_paramiko(sshd, out, base / "plain")
            rows.append(
                (
                    "plain paramiko, no NODELAY",
                    f"{args.plain_files} x {args.file_kb} KB",
                    args.plain_files / elapsed,
                    "files/s",
                )
            )
            shutil.rmtree(out)

            # -- one big file ------------------------------------------------------------------
            out.mkdir()
            size = args.size_mb * 1024 * 1024
            big = out / "big.edi"
            with big.open("wb") as file:
                for _ in range(args.size_mb):
                    file.write(os.urandom(1024 * 1024))
            mb = size / 1e6
            elapsed, taken = gateway_fetch(sshd, remote, base / "gw2")
            assert taken == 1
            rows.append(("gateway fetch", f"1 x {args.size_mb} MB", mb / elapsed, "MB/s"))
            shutil.copy(base / "gw2" / "inbox" / PARTNER / "big.edi", big)
            local = base / "ssh2"
            local.mkdir()
            elapsed = openssh_sftp(sshd, known, f"get {big} {local}/\n", local)
            rows.append(("OpenSSH sftp -b get", f"1 x {args.size_mb} MB", mb / elapsed, "MB/s"))

            outbox = base / "gw3" / "outbox" / PARTNER
            outbox.mkdir(parents=True)
            shutil.move(big, outbox / "big.edi")
            (remote / "in").mkdir()
            elapsed = gateway_send(sshd, remote, base / "gw3")
            rows.append(
                ("gateway send (tmp+rename)", f"1 x {args.size_mb} MB", mb / elapsed, "MB/s")
            )
            (remote / "in" / "big.edi").unlink()
            source_file = outbox / "sent" / "big.edi"
            elapsed = openssh_sftp(sshd, known, f"put {source_file} {remote / 'in'}/\n", base)
            rows.append(("OpenSSH sftp -b put", f"1 x {args.size_mb} MB", mb / elapsed, "MB/s"))
        finally:
            sshd.stop()
    return rows


if __name__ == "__main__":
    main()
