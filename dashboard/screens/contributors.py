"""Page script: renders `dashboard.views.contributors` under the global filters set in app.py."""

from dashboard.filters import current
from dashboard.views import contributors

contributors.render(current())
