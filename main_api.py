"""FastAPI door: `uvicorn main_api:app` (routes and wiring live in fleetsim.api)."""

from fleetsim.api.app import create_app

app = create_app()
