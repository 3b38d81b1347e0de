"""load_plan never overwrites silently: a database that differs from the fixtures is listed
and left alone; --force reverts with a history record; a renumbered activity is not
duplicated."""

import pytest
from django.core.management import CommandError, call_command

from activities.models import Activity, Target

pytestmark = pytest.mark.django_db


def _target_3_2_3():
    return Target.objects.get(activity=Activity.objects.get_by_natural_key("2024-2025", 3, 2, 3))


def test_an_unchanged_database_is_left_as_it_is(plan, capsys):
    call_command("load_plan")
    assert "stämmer med fixturerna" in capsys.readouterr().out


def test_an_edit_made_in_admin_stops_load_plan_and_is_listed(admin_client, plan):
    target = _target_3_2_3()
    change = admin_client.get(f"/admin/activities/target/{target.pk}/change/")
    assert change.status_code == 200
    target.value = 120
    target.save()  # what the admin's change form does
    with pytest.raises(CommandError) as stopped:
        call_command("load_plan", verbosity=0)
    assert "målvärde: 120 → 100" in str(stopped.value)
    assert "--force" in str(stopped.value)
    assert _target_3_2_3().value == 120


def test_force_reverts_and_the_history_says_so(plan):
    target = _target_3_2_3()
    target.value = 120
    target.save()
    call_command("load_plan", force=True, verbosity=0)
    target = _target_3_2_3()
    assert target.value == 100
    latest = target.history.first()
    assert latest.value == 100
    assert latest.history_change_reason.startswith("load_plan --force")
    assert target.history.count() == 3  # loaded, edited, reverted


def test_a_renumbered_activity_is_detected_not_duplicated(plan):
    activity = Activity.objects.get_by_natural_key("2024-2025", 3, 2, 3)
    activity.number = 9
    activity.save()
    for force in (False, True):
        with pytest.raises(CommandError) as stopped:
            call_command("load_plan", force=force, verbosity=0)
        assert "finns bara i databasen: aktivitet ”3.2.9" in str(stopped.value)
        assert "saknas i databasen: aktivitet ”3.2.3" in str(stopped.value)
    numbers = Activity.objects.filter(insats__area__number=3, insats__number=2)
    assert sorted(numbers.values_list("number", flat=True)) == [1, 2, 4, 9]
