"""Page script: renders `dashboard.views.people` for the roles that may see it."""

from dashboard import guard
from dashboard.views import people

people.render(guard.enter("people"))
