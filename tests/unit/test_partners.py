"""Partner profiles: what loads, and errors that name the file and the key; secrets stay hidden."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters import REGISTRY
from adapters.channels.sftp import SftpChannel
from adapters.formats.x12.profile import X12Profile
from gateway.errors import PartnerConfigError
from gateway.partners import PartnerProfile
from gateway.partners import load_partner as load_with
from gateway.partners import load_partners as load_all_with

KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
GOOD = f"""
description = "ACME Corp"
[sftp]
host = "sftp.acme.example"
port = 2222
user = "edi"
key_file = "/etc/edi-gateway/acme.key"
known_hosts = ["[sftp.acme.example]:2222 ssh-ed25519 {KEY}"]
schedule = {{ cron = "*/5 * * * *" }}
[sftp.inbound]
folder = "/outgoing"
glob = "*.edi"
after = "move"
move_to = "/outgoing/taken"
[sftp.outbound]
folder = "/incoming"
rename = false
"""


def load_partner(path: Path) -> PartnerProfile:
    return load_with(path, REGISTRY)


def load_partners(directory: Path) -> dict[str, PartnerProfile]:
    return load_all_with(directory, REGISTRY)


def sftp(profile: PartnerProfile) -> SftpChannel:
    channel = profile.settings("sftp", SftpChannel)
    assert channel is not None, profile
    return channel


def x12(profile: PartnerProfile) -> X12Profile:
    settings = profile.settings("x12", X12Profile)
    assert settings is not None, profile
    return settings


def write(tmp_path: Path, text: str, name: str = "acme") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_a_complete_profile_loads(tmp_path: Path) -> None:
    profile = load_partner(write(tmp_path, GOOD))
    channel = sftp(profile)
    assert profile.name == "acme" and channel.address == "[sftp.acme.example]:2222"
    assert channel.inbound is not None and channel.inbound.after == "move"
    assert channel.outbound is not None and channel.outbound.rename is False
    assert profile.format == "x12" and profile.delivered_by == ["sftp"]
    assert load_partners(tmp_path) == {"acme": profile}


def test_every_profile_in_mappings_loads() -> None:
    root = Path(__file__).resolve().parents[2]
    load_partners(root / "mappings" / "partners")  # raises, naming file and key, on a bad one


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (('after = "move"', 'after = "shred"'), "sftp.inbound.after", "'delete', 'move' or 'keep'"),
        (("rename = false", "rename = false\ncolour = 1"), "sftp.outbound.colour", "key 'colour'"),
        (("port = 2222", "port = 0"), "sftp.port", "greater than or equal to 1"),
        (('move_to = "/outgoing/taken"', ""), "sftp.inbound", "needs move_to"),
        (('key_file = "/etc/edi-gateway/acme.key"', ""), "sftp", "exactly one of key_file"),
        (("known_hosts = [", "unused = ["), "sftp.unused", "unknown key 'unused'"),
        (('cron = "*/5 * * * *"', 'cron = "every tuesday"'), "sftp.schedule", "crontab"),
    ],
)
def test_errors_name_the_file_and_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, message: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(PartnerConfigError) as caught:
        load_partner(path)
    text = str(caught.value)
    assert message in text
    placed = re.compile(rf"^{re.escape(str(path))}, line (\d+): {re.escape(key)}\b")
    [line] = [int(m.group(1)) for m in map(placed.match, text.splitlines()) if m][:1]
    shown = path.read_text().splitlines()[line - 1]  # the key's line, or its table's header
    assert key.rsplit(".", 1)[-1] in shown or shown.startswith("["), (line, shown)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PartnerConfigError, match=r"acme\.toml: not valid TOML"):
        load_partner(write(tmp_path, "[sftp\n"))


def test_a_partner_name_that_cannot_be_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PartnerConfigError, match="not a usable partner name"):
        load_partner(write(tmp_path, GOOD, name="-acme"))


def test_a_password_never_shows_in_repr_or_errors(tmp_path: Path) -> None:
    text = GOOD.replace('key_file = "/etc/edi-gateway/acme.key"', 'password = "hunter2-secret"')
    profile = load_partner(write(tmp_path, text))
    assert "hunter2-secret" not in repr(profile) and "hunter2-secret" not in str(profile)
    bad = text.replace("port = 2222", "port = -1")
    with pytest.raises(PartnerConfigError) as caught:
        load_partner(write(tmp_path, bad))
    assert "hunter2-secret" not in str(caught.value)


def test_the_shipped_example_profile_loads(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "mappings/partners/example-sftp.toml.example"
    profile = load_partner(write(tmp_path, example.read_text(), "example-sftp"))
    assert sftp(profile).inbound is not None


def test_an_x12_section_loads_with_defaults_and_checks_separators(tmp_path: Path) -> None:
    text = '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\nversion = "005010"\n'
    profile = load_partner(write(tmp_path, text))
    assert profile.format == "x12" and profile.format_config == x12(profile)
    assert (x12(profile).version, x12(profile).acknowledgement) == ("005010", "997")
    assert x12(profile).ack_deadline_hours == 24.0 and profile.delivered_by == []
    clash = text + 'element_separator = "~"\n'
    with pytest.raises(PartnerConfigError, match=r"x12: .*separators must be distinct"):
        load_partner(write(tmp_path, clash))


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[sfpt]\nhost = 'h'\n", "[sfpt]", "unknown section 'sfpt': did you mean 'sftp'?"),
        ('format = "x21"\n', "format", "unknown format 'x21': did you mean 'x12'?"),
        ('format = "sftp"\n', "format", "unknown format 'sftp'"),
        ("sftp = 1\n", "sftp", "expected a section [sftp]"),
        ('inbound = ["csv", "x21"]\n', "inbound.1", "unknown format 'x21': did you mean 'x12'?"),
    ],
)
def test_unknown_kinds_are_answered_with_the_known_ones(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PartnerConfigError) as caught:
        load_partner(path)
    assert f"{path}, line 1: {key}: " in str(caught.value) and message in str(caught.value)
    assert "(known: " in str(caught.value) or key == "sftp"


def test_a_profile_without_a_format_section_has_the_default_format(tmp_path: Path) -> None:
    profile = load_partner(write(tmp_path, 'description = "collects its files"\n'))
    assert (profile.format, profile.format_config, profile.delivered_by) == ("x12", None, [])


def test_the_example_profiles_load_with_their_channels(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "mappings" / "partners"
    for example in sorted(examples.glob("*.toml.example")):
        write(tmp_path, example.read_text(), name=example.name.removesuffix(".toml.example"))
    profiles = load_partners(tmp_path)
    assert {name: sorted(p.channels) for name, p in profiles.items()} == {
        "example-folder": ["folder"],
        "example-sftp": ["sftp"],
    }
    assert all(p.delivered_by == sorted(p.channels) for p in profiles.values())


def test_each_file_of_a_partner_sending_several_formats_goes_to_its_own(tmp_path: Path) -> None:
    from gateway.partner_formats import PartnerFormats

    text = 'format = "csv"\ninbound = ["csv", "x12", "xml"]\n[csv]\nmapping = "example-orders"\n'
    profile = load_partner(write(tmp_path, text))
    assert profile.inbound_formats == ["csv", "x12", "xml"]
    single = load_partner(write(tmp_path, 'format = "xml"\n', name="single"))
    assert single.inbound_formats == ["xml"]
    formats = PartnerFormats.of(REGISTRY, {profile.name: profile, "single": single})
    kind = formats.kind_of_file
    assert kind(profile.name, b"ISA*00*...") == "x12"
    assert kind(profile.name, b"\xef\xbb\xbf\r\n  ISA*00*...") == "x12"
    assert kind(profile.name, b"<?xml version='1.0'?><cXML/>") == "xml"
    assert kind(profile.name, b'"ORDERS","SHOP"') == "csv"
    assert kind(profile.name, b"") == "csv"
    assert kind("single", b"ISA*00*...") == "xml"  # one format: every file is read by it


def test_a_mapping_of_the_home_is_used_before_the_shipped_one(tmp_path: Path) -> None:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    shipped = Path(__file__).resolve().parents[2] / "mappings" / "csv" / "example-orders.toml"
    own = tmp_path / "mappings" / "csv"
    own.mkdir()
    (own / "example-orders.toml").write_text(
        shipped.read_text().replace(
            'order_type_code = { value = "SA" }', 'order_type_code = { value = "DS" }'
        )
    )
    (profiles / "ours.toml").write_text('[csv]\nmapping = "example-orders"\n')
    (profiles / "shipped.toml").write_text('[xml]\nmappings = ["cxml-order-request"]\n')
    loaded = load_partners(profiles)
    assert loaded["ours"].formats["csv"].mapping == str(own / "example-orders.toml")  # type: ignore[attr-defined]
    assert loaded["shipped"].formats["xml"].mappings == ["cxml-order-request"]  # type: ignore[attr-defined]
    from gateway.partner_formats import PartnerFormats

    data = (
        Path(__file__).resolve().parents[2] / "fixtures" / "csv" / "example-orders.csv"
    ).read_bytes()
    result = PartnerFormats.of(REGISTRY, loaded).parse(data, file_name="o.csv", partner="ours")
    assert {doc.message.order_type_code for doc in result.documents} == {"DS"}  # type: ignore[union-attr]


def test_a_misspelt_key_of_the_profile_itself_is_answered_with_the_key_meant(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, 'descripton = "our 3PL"\nformat = "x12"\n')
    with pytest.raises(PartnerConfigError) as caught:
        load_partner(path)
    assert f"{path}, line 1: descripton: unknown key: did you mean 'description'?" in str(
        caught.value
    )
