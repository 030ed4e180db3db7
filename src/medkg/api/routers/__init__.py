"""One router per area of the API, mounted by :func:`medkg.api.app.create_app`:
health, explore, cypher, recommend, ingest and the web explorer page. A new
endpoint goes into the router of its area (or a new router listed in
``ROUTERS`` of :mod:`medkg.api.app`)."""
