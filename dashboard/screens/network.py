"""Page script: renders `dashboard.views.network` under the global filters set in app.py."""

from dashboard.filters import current
from dashboard.views import network

network.render(current())
