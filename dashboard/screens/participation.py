"""Page script: renders `dashboard.views.participation` under the global filters set in app.py."""

from dashboard.filters import current
from dashboard.views import participation

participation.render(current())
