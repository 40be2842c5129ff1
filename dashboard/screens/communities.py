"""Page script: renders `dashboard.views.communities` for the roles that may see it."""

from dashboard import guard
from dashboard.views import communities

communities.render(guard.enter("communities"))
