"""The FastAPI door's routers, dependencies, middleware and error handlers."""
