"""Page script: renders `dashboard.views.contributors` for the roles that may see it."""

from dashboard import guard
from dashboard.views import contributors

contributors.render(guard.enter("contributors"))
