"""CLI door: `python main.py run|validate|list` (the same app as the `fleetsim` command)."""

from fleetsim.cli import app

if __name__ == "__main__":
    app(prog_name="fleetsim")
