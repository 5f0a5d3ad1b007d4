"""Moved to fleetsim.logs; kept until every importer is switched over."""

from fleetsim.logs import configure_logging, request_id_var

__all__ = ["configure_logging", "request_id_var"]
