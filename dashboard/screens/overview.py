"""Page script: renders `dashboard.views.overview` for the roles that may see it."""

from dashboard import guard
from dashboard.views import overview

overview.render(guard.enter("overview"))
