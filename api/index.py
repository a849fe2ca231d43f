"""Entry point for every host: `app` for ASGI servers and Vercel, `handler` for AWS Lambda."""

from mangum import Mangum

from api.app import create_app
from api.config import get_settings
from api.observability import logs

logs.configure(get_settings())

app = create_app()
handler = Mangum(app, lifespan="auto")
