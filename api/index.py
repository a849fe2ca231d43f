"""Entry point for every host: `app` for ASGI servers and Vercel, `handler` for AWS Lambda."""

import logging

from mangum import Mangum

from api.app import create_app

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

app = create_app()
handler = Mangum(app, lifespan="auto")
