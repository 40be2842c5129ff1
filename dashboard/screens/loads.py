"""Page script: renders `dashboard.views.loads` under the global filters set in app.py."""

from dashboard.filters import current
from dashboard.views import loads

loads.render(current())
