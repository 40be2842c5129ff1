"""Page script: renders `dashboard.views.participation` for the roles that may see it."""

from dashboard import guard
from dashboard.views import participation

participation.render(guard.enter("participation"))
