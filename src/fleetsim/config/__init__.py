"""Reference data: YAML, GeoJSON, Directions, cycle and schedule files, loaded and checked.

geopandas, shapely, pyproj and pyogrio are imported here and nowhere else.
"""

from fleetsim.config.catalogue import Catalogue, load_catalogue
from fleetsim.config.digests import request_hash
from fleetsim.config.errors import ConfigErrors, ConfigProblem
from fleetsim.config.overrides import apply_overrides
from fleetsim.config.resolve import resolve_request
from fleetsim.config.routes import route_profile

__all__ = [
    "Catalogue",
    "ConfigErrors",
    "ConfigProblem",
    "apply_overrides",
    "load_catalogue",
    "request_hash",
    "resolve_request",
    "route_profile",
]
