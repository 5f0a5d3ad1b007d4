"""Where the config comes from: the environment variables the doors read."""

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_DIR_ENV = "FLEETSIM_CONFIG_DIR"
OVERRIDES_ENV = "FLEETSIM_CONFIG_OVERRIDES"
DEFAULT_CONFIG_DIR = Path("config")


def config_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """`FLEETSIM_CONFIG_DIR`, or `./config` when unset or empty."""
    value = (os.environ if environ is None else environ).get(CONFIG_DIR_ENV, "")
    return Path(value) if value.strip() else DEFAULT_CONFIG_DIR


def overrides_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The JSON text of `FLEETSIM_CONFIG_OVERRIDES`, or None when unset or blank."""
    value = (os.environ if environ is None else environ).get(OVERRIDES_ENV, "")
    return value if value.strip() else None
