"""The Editors group: staff who keep programmes and organisations up to date.

They may add, change and view programmes and organisations and view the taxonomies and exchange
rates; they may not delete anything or touch users. Permissions are created here explicitly,
because Django creates them only after all migrations ran (post_migrate).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"
EDIT = ["programme", "organisation"]
VIEW_ONLY = ["programmetype", "sector", "location", "applicantkind", "businesssize", "exchangerate"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("programmes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model in EDIT for action in ("add", "change", "view")]
    codenames += [f"view_{model}" for model in VIEW_ONLY]
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="programmes", codename__in=codenames)
    )


def revoke(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
