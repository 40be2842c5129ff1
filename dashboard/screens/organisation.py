"""Page script: renders `dashboard.views.organisation` for the roles that may see it."""

from dashboard import guard
from dashboard.views import organisation

organisation.render(guard.enter("organisation"))
