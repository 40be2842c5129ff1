"""Page script: renders `dashboard.views.network` for the roles that may see it."""

from dashboard import guard
from dashboard.views import network

network.render(guard.enter("network"))
