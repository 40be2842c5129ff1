"""Page script: renders `dashboard.views.audit` for the roles that may see it."""

from dashboard import guard
from dashboard.views import audit

audit.render(guard.enter("audit"))
