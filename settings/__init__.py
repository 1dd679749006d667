"""The system's settings: each one read from the environment or `.env`, with its default."""

from settings.environment import Settings, SettingsError, get_settings, load_settings

__all__ = ["Settings", "SettingsError", "get_settings", "load_settings"]
