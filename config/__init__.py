"""Settings from the environment, built by the app factory or the CLI and passed down."""

from config.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError"]
