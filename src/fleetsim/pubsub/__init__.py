"""The Pub/Sub door's parts (DESIGN §8): envelope, push authentication, message handling,
publisher and pull worker. `main_pubsub.py` wires them; the job logic is `fleetsim.jobs`."""
