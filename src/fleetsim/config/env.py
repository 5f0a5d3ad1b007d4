"""The environment variable that carries per-environment config overrides, for messages
(Settings reads it as `config_overrides`)."""

OVERRIDES_ENV = "FLEETSIM_CONFIG_OVERRIDES"
