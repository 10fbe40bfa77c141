"""The configuration file: what a valid one gives, how every kind of mistake is reported, and secrets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from bridge.config import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    BridgeConfig,
    ConfigError,
    Problem,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "bridge.toml"

VALID = """
[store]
url = "sqlite:///bridge.sqlite"

[api]
base_url = "http://127.0.0.1:8080"
timeout_s = 5

[telegram]
token_env = "TG_TOKEN"

[[channels]]
name = "vip"
platform = "telegram"
chat_id = -1001234567890
api_key_env = "VIP_API_KEY"
api_secret_env = "VIP_API_SECRET"
api_version = 1
exchange = "bybit"
invest = 2.5
invest_cap = 10
mode = "confirm"
[channels.posters]
admins = false
user_ids = [42, "43"]

[[channels]]
name = "desk"
platform = "console"
chat_id = "console"
api_key_env = "DESK_KEY"
api_secret_env = "DESK_SECRET"
"""

ENV = {
    "VIP_API_KEY": "vip-key-value",
    "VIP_API_SECRET": "vip-secret-value",
    "TG_TOKEN": "123456:telegram-token-value",
}


def problems_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env=env or {})
    return [str(p) for p in caught.value.problems]


def channel(**fields: object) -> str:
    """One [[channels]] table with the required keys, overridden or extended by `fields`."""
    values: dict[str, object] = {
        "name": "c",
        "platform": "telegram",
        "chat_id": "1",
        "api_key_env": "K",
        "api_secret_env": "S",
    }
    values.update(fields)
    lines = ["[[channels]]"]
    for key, value in values.items():
        if value is None:
            continue
        lines.append(f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}")
    return "\n".join(lines) + "\n"


# --- a valid file -----------------------------------------------------------------------------------------


def test_valid_file_gives_typed_channels_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(VALID)
    config = load_config(path, env=ENV)

    assert config.store.url == "sqlite:///bridge.sqlite"
    assert config.api.base_url == "http://127.0.0.1:8080" and config.api.timeout_s == 5
    vip, desk = config.channels
    assert vip.chat_id == "-1001234567890"  # an integer chat id is kept as text
    assert (vip.api_version, vip.exchange, vip.quote, vip.mode) == (1, "BYBIT", "USDT", "confirm")
    assert vip.invest == Decimal("2.5") and isinstance(vip.invest, Decimal)
    assert vip.invest_cap == Decimal(10)
    assert vip.posters.admins is False and vip.posters.user_ids == ("42", "43")
    assert (desk.mode, desk.api_version, desk.account, desk.too_many_targets) == ("live", 2, "SPOT", "cut")
    assert config.discord is None


def test_channel_for_finds_the_chat_by_platform_and_id() -> None:
    config = parse_config(VALID, env=ENV)
    assert config.channel_for("telegram", "-1001234567890") is config.channels[0]
    assert config.channel_for("console", "console") is config.channels[1]
    assert config.channel_for("discord", "-1001234567890") is None
    assert config.channel_for("telegram", "-1") is None


def test_the_example_file_is_valid() -> None:
    config = load_config(EXAMPLE, env={})
    assert [c.name for c in config.channels] == ["vip", "free-calls"]
    assert config.channels[1].mode == "confirm"


def test_a_telegram_channel_without_a_telegram_section_gets_the_defaults() -> None:
    config = parse_config(channel(), env={"TELEGRAM_BOT_TOKEN": "t"})
    assert config.telegram is not None and config.telegram.token_env == "TELEGRAM_BOT_TOKEN"
    assert config.telegram_token().get_secret_value() == "t"


def test_posters_allow_admins_listed_users_and_roles() -> None:
    config = parse_config(
        channel(platform="discord") + "[channels.posters]\nadmins = false\nuser_ids = [7]\nrole_ids = [99]\n",
        env={},
    )
    posters = config.channels[0].posters
    assert posters.allows("7", is_admin=False)
    assert posters.allows("8", is_admin=False, role_ids=["99"])
    assert not posters.allows("8", is_admin=True, role_ids=["98"])


# --- every kind of error names its location ----------------------------------------------------------------


def test_wrong_mode_names_channel_index_and_key() -> None:
    text = channel(name="a", chat_id="1") + channel(name="b", chat_id="2", mode="lve")
    assert problems_of(text) == ["channels[1].mode: must be one of live, confirm, dry-run (got 'lve')"]


def test_every_problem_is_reported_at_once() -> None:
    text = (
        '[api]\nbase_url = "ftp://x"\ntimeout_s = 0\n'
        + channel(platform="matrix", api_version=3)
        + channel(name="d", too_many_targets="drop", account="bonds")
    )
    problems = problems_of(text)
    assert problems == [
        "api.base_url: must be an http:// or https:// URL",
        "api.timeout_s: must be greater than 0",
        "channels[0].platform: must be one of telegram, discord, console (got 'matrix')",
        "channels[0].api_version: must be one of 1, 2 (got 3)",
        "channels[1].account: must be one of SPOT, MARGIN, FUTURES (got 'BONDS')",
        "channels[1].too_many_targets: must be one of cut, refuse (got 'drop')",
    ]


def test_missing_required_keys_are_named() -> None:
    assert problems_of('[[channels]]\nname = "x"\nplatform = "console"\n') == [
        "channels[0].chat_id: required",
        "channels[0].api_key_env: required",
        "channels[0].api_secret_env: required",
    ]


def test_a_file_without_channels_is_refused() -> None:
    assert problems_of("[store]\n") == ["channels: required"]
    assert problems_of("channels = []\n") == ["channels: at least one [[channels]] table is required"]


def test_unknown_keys_are_refused_with_a_suggestion() -> None:
    text = "[api]\ntimeout = 3\n" + channel(modes="live") + "[channels.posters]\nadmin = true\n" + "[extra]\n"
    problems = problems_of(text)
    assert "api.timeout: unknown key (did you mean timeout_s?); allowed: base_url, timeout_s" in problems
    assert any(p.startswith("channels[0].modes: unknown key (did you mean mode?)") for p in problems)
    posters = "channels[0].posters.admin: unknown key (did you mean admins?)"
    assert any(p.startswith(posters) for p in problems)
    assert any(p.startswith("extra: unknown key") for p in problems)
    assert len(problems) == 4


def test_duplicate_chat_is_refused_naming_both_channels() -> None:
    text = (
        channel(name="a", chat_id=-100)
        + channel(name="b", chat_id="-100")
        + channel(name="c", platform="discord", chat_id="-100")
    )
    assert problems_of(text) == [
        "channels[1].chat_id: telegram chat -100 is already configured by channels[0]",
    ]


def test_duplicate_is_reported_alongside_field_errors() -> None:
    text = channel(name="a") + channel(name="a", mode="loud")
    assert problems_of(text) == [
        "channels[1].mode: must be one of live, confirm, dry-run (got 'loud')",
        "channels[1].chat_id: telegram chat 1 is already configured by channels[0]",
        "channels[1].name: name 'a' is already used by channels[0]",
    ]


def test_env_var_names_must_be_names() -> None:
    text = channel(api_key_env="MY KEY", api_secret_env="1SECRET") + '[telegram]\ntoken_env = ""\n'
    problems = problems_of(text)
    assert [p.split(":")[0] for p in problems] == [
        "telegram.token_env",
        "channels[0].api_key_env",
        "channels[0].api_secret_env",
    ]
    assert all("must be the NAME of an environment variable" in p for p in problems)


def test_invest_above_cap_and_out_of_range_values_are_named() -> None:
    text = channel(invest=30, invest_cap=20) + channel(name="b", chat_id="2", invest=0, leverage_cap=0)
    assert problems_of(text) == [
        "channels[0].invest_cap: must be at least invest (30)",
        "channels[1].invest: must be greater than 0",
        "channels[1].leverage_cap: must be greater than or equal to 1",
    ]


def test_store_url_and_webhook_settings_are_checked() -> None:
    text = (
        '[store]\nurl = "mysql://x"\n[telegram]\nwebhook_url = "http://example.com/hook"\n'
        'webhook_listen = "8443"\n' + channel()
    )
    assert [p.split(":")[0] for p in problems_of(text)] == [
        "store.url",
        "telegram.webhook_url",
        "telegram.webhook_listen",
    ]


def test_wrong_types_are_named() -> None:
    problems = problems_of(channel(exchange=5, leverage_cap="high") + "[channels.posters]\nadmins = 3\n")
    assert [p.split(":")[0] for p in problems] == [
        "channels[0].exchange",
        "channels[0].leverage_cap",
        "channels[0].posters.admins",
    ]


def test_toml_syntax_error_names_the_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("[api\nbase_url = 1\n", env={}, source="bridge.toml")
    assert str(caught.value).startswith("bridge.toml: not valid TOML:")
    assert "line 1" in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.problems == (Problem(str(tmp_path / "nope.toml"), "file not found"),)


# --- the environment ---------------------------------------------------------------------------------------


def test_credentials_come_from_the_named_variables() -> None:
    config = parse_config(VALID, env=ENV)
    key, secret = config.channels[0].credentials()
    assert (key.get_secret_value(), secret.get_secret_value()) == ("vip-key-value", "vip-secret-value")
    assert config.telegram_token().get_secret_value() == "123456:telegram-token-value"


def test_credentials_accept_an_explicit_environment() -> None:
    config = parse_config(VALID, env={})
    key, secret = config.channels[1].credentials({"DESK_KEY": "k2", "DESK_SECRET": "s2"})
    assert (key.get_secret_value(), secret.get_secret_value()) == ("k2", "s2")


def test_unset_or_empty_variables_are_named_when_asked_for() -> None:
    config = parse_config(VALID, env={"VIP_API_KEY": "k", "VIP_API_SECRET": ""})
    with pytest.raises(ConfigError) as caught:
        config.channels[0].credentials()
    assert str(caught.value) == "channels[0].api_secret_env: environment variable VIP_API_SECRET is not set"
    with pytest.raises(ConfigError) as caught:
        config.telegram_token()
    assert str(caught.value) == "telegram.token_env: environment variable TG_TOKEN is not set"
    with pytest.raises(ConfigError, match="discord"):
        config.discord_token()


def test_env_references_say_which_variables_are_set() -> None:
    config = parse_config(VALID, env={"VIP_API_KEY": "k", "TG_TOKEN": "t"})
    assert [(r.location, r.name, r.is_set) for r in config.env_references()] == [
        ("channels[0].api_key_env", "VIP_API_KEY", True),
        ("channels[0].api_secret_env", "VIP_API_SECRET", False),
        ("channels[1].api_key_env", "DESK_KEY", False),
        ("channels[1].api_secret_env", "DESK_SECRET", False),
        ("telegram.token_env", "TG_TOKEN", True),
    ]


def test_the_process_environment_is_read_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIP_API_KEY", "from-process")
    monkeypatch.setenv("VIP_API_SECRET", "also-from-process")
    monkeypatch.setenv("vip_api_key", "wrong-case")
    monkeypatch.delenv("TG_TOKEN", raising=False)
    config = parse_config(VALID)
    key, secret = config.channels[0].credentials()
    assert (key.get_secret_value(), secret.get_secret_value()) == ("from-process", "also-from-process")
    assert not config.channels[0].env_is_set("TG_TOKEN")


def test_the_environment_is_read_once_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_TOKEN", "at-load")
    config = parse_config(VALID)
    monkeypatch.setenv("TG_TOKEN", "changed-later")
    assert config.telegram_token().get_secret_value() == "at-load"


# --- secrets never shown -----------------------------------------------------------------------------------


def test_secrets_never_appear_in_repr_str_or_dump() -> None:
    config = parse_config(VALID, env=ENV)
    key, secret = config.channels[0].credentials()
    token = config.telegram_token()
    shown = " ".join(
        [repr(config), str(config), repr(config.channels[0]), repr(key), str(secret), repr(token), str(token)]
        + [str(config.model_dump()), config.model_dump_json()]
    )
    for value in ENV.values():
        assert value not in shown
    assert isinstance(token, SecretStr)


def test_a_token_pasted_as_the_variable_name_is_not_echoed() -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    problems = problems_of(channel(api_key_env=token) + f'[telegram]\ntoken_env = "{token}"\n')
    assert problems and all(token not in p for p in problems)


def test_a_password_in_the_store_url_is_masked_for_display() -> None:
    config = parse_config('[store]\nurl = "postgresql://bridge:hunter2@db:5432/sb"\n' + channel(), env={})
    assert config.store.display_url == "postgresql://bridge:***@db:5432/sb"


# --- the demo ---------------------------------------------------------------------------------------------


def test_demo_config_is_one_live_console_channel_with_the_demo_keys() -> None:
    config = BridgeConfig.demo("http://127.0.0.1:9999")
    assert config.api.base_url == "http://127.0.0.1:9999"
    (console,) = config.channels
    assert (console.platform, console.chat_id, console.mode) == ("console", "console", "live")
    assert config.channel_for("console", "console") is console
    key, secret = console.credentials()
    assert (key.get_secret_value(), secret.get_secret_value()) == (DEMO_API_KEY, DEMO_API_SECRET)
    assert config.telegram is None and config.discord is None


def test_demo_config_takes_a_store_url() -> None:
    config = BridgeConfig.demo("http://127.0.0.1:1", store_url="sqlite:///tmp/x.sqlite")
    assert config.store.url == "sqlite:///tmp/x.sqlite"


def test_channel_defaults_carry_the_trading_settings_to_the_payload_builder() -> None:
    defaults = parse_config(VALID, env=ENV).channels[0].defaults()
    assert (defaults.exchange, defaults.quote, defaults.account) == ("BYBIT", "USDT", "SPOT")
    assert (defaults.invest, defaults.invest_cap) == (Decimal("2.5"), Decimal(10))
    assert (defaults.api_version, defaults.too_many_targets, defaults.leverage_cap) == (1, "cut", 20)
    assert defaults.dca_multiplier == Decimal(1)


def test_dca_multiplier_is_configurable_and_checked() -> None:
    text = VALID.replace('name = "vip"', 'name = "vip"\ndca_multiplier = 1.5', 1)
    assert parse_config(text, env=ENV).channels[0].defaults().dca_multiplier == Decimal("1.5")
    for wrong in ("0", "-1", "11"):
        bad = VALID.replace('name = "vip"', f'name = "vip"\ndca_multiplier = {wrong}', 1)
        with pytest.raises(ConfigError) as error:
            parse_config(bad, env=ENV)
        assert [p.location for p in error.value.problems] == ["channels[0].dca_multiplier"]


def _with_words(words: str) -> str:
    return f"""
[[channels]]
name = "sv"
platform = "console"
chat_id = "c1"
api_key_env = "K"
api_secret_env = "S"
[channels.words]
{words}
"""


def test_channel_words_are_loaded_per_concept() -> None:
    config = parse_config(_with_words('entry = ["Köp här"]\nstop = ["Skydd"]'), env={"K": "k", "S": "s"})
    assert config.channels[0].words == {"entry": ("Köp här",), "stop": ("Skydd",)}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ('entry = ["Stop"]', "channels[0].words.entry: 'Stop' is already a word for stop (channel 'sv')"),
        (
            'entry = ["Skydd"]\nstop = ["Skydd"]',
            "channels[0].words.entry: 'Skydd' is already an alias for stop",
        ),
        ('stop = ["60k"]', "channels[0].words.stop: '60k' looks like a number"),
        ('stop = ["Take"]', "channels[0].words.stop: 'Take' overlaps 'take profit"),
        ('stopp = ["Skydd"]', "channels[0].words.stopp: unknown concept; known: allscope"),
    ],
)
def test_channel_words_that_collide_or_look_like_numbers_are_refused_naming_channel_and_word(
    words: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_with_words(words), env={"K": "k", "S": "s"})
    assert expected in str(caught.value)
