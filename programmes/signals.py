"""Keep derived programme columns true when the rows they derive from change elsewhere."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import services
from .models import ExchangeRate, Organisation


@receiver([post_save, post_delete], sender=ExchangeRate)
def exchange_rate_changed(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the programmes are refreshed by the loader itself
        return
    # All currencies: a rate edited from USD to EUR changes programmes in both.
    services.refresh_kzt_amounts()


@receiver(post_save, sender=Organisation)
def organisation_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:  # a new organisation has no programmes yet
        return
    # Programmes are found by their organisation's name, in every language.
    services.refresh_search_text(instance.programmes.all())
