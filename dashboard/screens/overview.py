"""Page script: renders `dashboard.views.overview` under the global filters set in app.py."""

from dashboard.filters import current
from dashboard.views import overview

overview.render(current())
