"""Job execution shared by the API's local worker and the Pub/Sub door: claim, run, record.

Import the submodules (`fleetsim.jobs.execute`, `.worker`, `.job`, `.errors`) directly.
"""
