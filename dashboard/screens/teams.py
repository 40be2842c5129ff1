"""Page script: renders `dashboard.views.teams` for the roles that may see it."""

from dashboard import guard
from dashboard.views import teams

teams.render(guard.enter("teams-at-risk"))
