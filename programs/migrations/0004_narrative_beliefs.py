from django.db import migrations, models

import programs.models
from programs import library


def load_and_tag(apps, schema_editor):
    # The library gained a narrative per belief item; `load` is idempotent, so existing rows stay as they are.
    library.load(apps)
    library.tag_narratives(apps)


class Migration(migrations.Migration):
    dependencies = [("programs", "0003_week_limits")]

    operations = [
        migrations.AddField(
            model_name="narrative",
            name="beliefs",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The beliefs this narrative addresses: consequences (how much the pain affects life), "
                "personal control (what the patient can do about it), treatment control (whether treatment can "
                "help), concern (worry about the pain). The patient page suggests it to patients whose answers "
                "are furthest from where therapy aims on these.",
                validators=[programs.models.validate_beliefs],
            ),
        ),
        migrations.RunPython(load_and_tag, migrations.RunPython.noop),
    ]
