"""Configuration: typed settings (``schema``) and the YAML loader with line-numbered errors."""

from bot.settings.loader import (
    DEFAULT_CONFIG,
    config_path,
    database_url,
    load_settings,
    settings_from_mapping,
)
from bot.settings.schema import (
    ChannelRules,
    ChannelSettings,
    DigestSettings,
    FetchSettings,
    Settings,
    SourceSettings,
    StorySettings,
    TopicSettings,
    format_duration,
    parse_duration,
    visible_name,
)

__all__ = [
    "DEFAULT_CONFIG",
    "ChannelRules",
    "ChannelSettings",
    "DigestSettings",
    "FetchSettings",
    "Settings",
    "SourceSettings",
    "StorySettings",
    "TopicSettings",
    "config_path",
    "database_url",
    "format_duration",
    "load_settings",
    "parse_duration",
    "settings_from_mapping",
    "visible_name",
]
