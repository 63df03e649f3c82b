"""The staff side: editing, publishing and verifying the directory.

Django's admin autodiscovery imports ``programmes.admin`` and nothing else, and a ModelAdmin is
registered when its module is imported: so this package imports every module that registers one.

- base: the admin site's titles and the base classes (declined titles, language tabs, history)
- taxonomy: the vocabularies, organisations and exchange rates
- programmes: the programme form, its list and its actions
- spreadsheets: the programme list's import and export, and the log of saved imports
- review: the review queue and visitors' problem reports
"""

from . import programmes, review, spreadsheets, taxonomy  # noqa: F401 (registers the admins)
