"""Road-load physics over speed traces: pure numpy, vectorised over vehicles (DESIGN §3)."""

from fleetsim.physics.energy import TraceEnergy, trace_energy
from fleetsim.physics.trace import DriveTrace, drive_trace

__all__ = ["DriveTrace", "TraceEnergy", "drive_trace", "trace_energy"]
