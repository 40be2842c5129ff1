"""Page script: renders `dashboard.views.loads` for the roles that may see it."""

from dashboard import guard
from dashboard.views import loads

loads.render(guard.enter("data"))
