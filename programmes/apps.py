from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("Funding directory")

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers the checks, connects the receivers)
