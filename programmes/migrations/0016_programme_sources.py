"""Sources as data (#14): a programme cites one or more sources (address, publisher, title,
publication date, the day the team read it); the deadline type "not-published" says that no
source states the dates, and the organisation kind "not-stated" that none states the kind.
Writing a source advances the directory version (the triggers of 0014).
"""

import django.db.models.deletion
from django.conf import settings
from importlib import import_module

from django.db import migrations, models

# A programme's sources are on its page and its card: writing them advances the directory
# version, with the triggers of migration 0014.
VERSION = import_module("programmes.migrations.0014_directory_version")
TABLES = ("programmes_programmesource",)


def install_triggers(apps, schema_editor):
    VERSION.install(schema_editor, TABLES, functions=False)


def remove_triggers(apps, schema_editor):
    VERSION.remove(schema_editor, TABLES, functions=False)


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0015_security_email_digest'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProgrammeSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.URLField(blank=True, help_text='Leave empty for a source that is not online.', max_length=500, verbose_name='address')),
                ('publisher', models.CharField(help_text='Who published it, e.g. “Kazakhstanskaya Pravda”, “UNDP”.', max_length=200, verbose_name='publisher')),
                ('title', models.CharField(blank=True, max_length=300, verbose_name='title')),
                ('published_on', models.DateField(blank=True, help_text='As the source states it; empty if it gives none.', null=True, verbose_name='published on')),
                ('accessed_on', models.DateField(help_text='The day the team read the source.', verbose_name='read on')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
            ],
            options={
                'verbose_name': 'source',
                'verbose_name_plural': 'sources',
                'ordering': ['programme', 'order', 'pk'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='organisation',
            name='organisation_kind_valid',
        ),
        migrations.RemoveConstraint(
            model_name='programme',
            name='programme_deadline_type_valid',
        ),
        migrations.AlterField(
            model_name='historicalorganisation',
            name='kind',
            field=models.CharField(choices=[('state', 'State fund or agency'), ('city', 'City programme operator'), ('private', 'Private investor or fund'), ('university', 'University'), ('international', 'International organisation'), ('ngo', 'Non-governmental organisation'), ('company', 'Company'), ('not-stated', 'Not stated')], max_length=20, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='historicalprogramme',
            name='deadline_type',
            field=models.CharField(choices=[('fixed', 'Fixed deadline'), ('rolling', 'Rolling (apply any time)'), ('recurring', 'Recurring rounds'), ('until-funds-exhausted', 'Until funds are exhausted'), ('not-published', 'Dates not published — ask the organiser')], default='fixed', max_length=25, verbose_name='deadline type'),
        ),
        migrations.AlterField(
            model_name='historicalprogramme',
            name='last_verified_on',
            field=models.DateField(blank=True, help_text="When staff last checked the facts on the operator's own live page. Leave empty until then: the page shows the date of the newest source instead.", null=True, verbose_name='last verified on'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='kind',
            field=models.CharField(choices=[('state', 'State fund or agency'), ('city', 'City programme operator'), ('private', 'Private investor or fund'), ('university', 'University'), ('international', 'International organisation'), ('ngo', 'Non-governmental organisation'), ('company', 'Company'), ('not-stated', 'Not stated')], max_length=20, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='programme',
            name='deadline_type',
            field=models.CharField(choices=[('fixed', 'Fixed deadline'), ('rolling', 'Rolling (apply any time)'), ('recurring', 'Recurring rounds'), ('until-funds-exhausted', 'Until funds are exhausted'), ('not-published', 'Dates not published — ask the organiser')], default='fixed', max_length=25, verbose_name='deadline type'),
        ),
        migrations.AlterField(
            model_name='programme',
            name='last_verified_on',
            field=models.DateField(blank=True, help_text="When staff last checked the facts on the operator's own live page. Leave empty until then: the page shows the date of the newest source instead.", null=True, verbose_name='last verified on'),
        ),
        migrations.AddConstraint(
            model_name='organisation',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['state', 'city', 'private', 'university', 'international', 'ngo', 'company', 'not-stated'])), name='organisation_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='programme',
            constraint=models.CheckConstraint(condition=models.Q(('deadline_type__in', ['fixed', 'rolling', 'recurring', 'until-funds-exhausted', 'not-published'])), name='programme_deadline_type_valid'),
        ),
        migrations.AddField(
            model_name='programmesource',
            name='programme',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sources', to='programmes.programme', verbose_name='programme'),
        ),
        migrations.AddConstraint(
            model_name='programmesource',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('url', ''), _negated=True), ('published_on__isnull', False), _connector='OR'), name='programmesource_url_or_date', violation_error_message="Give the source's address, or its publication date."),
        ),
        migrations.AddConstraint(
            model_name='programmesource',
            constraint=models.CheckConstraint(condition=models.Q(('publisher', ''), _negated=True), name='programmesource_has_publisher', violation_error_message="Name the source's publisher."),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
