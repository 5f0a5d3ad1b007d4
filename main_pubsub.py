"""Pub/Sub door: the push endpoint (`uvicorn main_pubsub:app`) and the pull worker
(`python main_pubsub.py pull --subscription NAME`); the parts live in fleetsim.pubsub."""

from fleetsim.pubsub.app import create_app
from fleetsim.pubsub.pull import cli

app = create_app()

if __name__ == "__main__":
    cli(prog_name="main_pubsub.py")
