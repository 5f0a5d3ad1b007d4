"""fleetsim: electric-vehicle fleet simulation with road-load physics and shared charging."""

__version__ = "0.1.0"
