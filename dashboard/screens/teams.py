"""Page script: renders `dashboard.views.teams` under the global filters set in app.py."""

from dashboard.filters import current
from dashboard.views import teams

teams.render(current())
