"""The service's settings: :mod:`vocab.settings` (one settings object for all of chartcoder), under the names
the service has always imported."""

from __future__ import annotations

from vocab.settings import CONFIG_ENV, ConfigFileError, Settings, SettingsError, get_settings, load_settings

__all__ = ["CONFIG_ENV", "ConfigFileError", "Settings", "SettingsError", "get_settings", "load_settings"]
