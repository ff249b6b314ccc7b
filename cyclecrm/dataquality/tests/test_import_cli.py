"""`cyclecrm import`: the --json contract, mapping files, --as, exit status."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cyclecrm.contacts.models import Contact
from cyclecrm.dataquality.tests.import_helpers import use_tmp_data_dir

pytestmark = pytest.mark.django_db

FILE = (
    "first_name,last_name,email,phone,address,city,region,postal_code,country,birth_date,external_id\n"
    "Ada,Lovelace,ada@example.com,+1 202 555 0101,1 Main St,Springfield,IL,62701,US,1990-01-31,E1\n"
    "Bob,,bob@example.com,,,,,,,,E2\n"
    "Cy,Young,cy@example.com,,,,,,USA,,E3\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    use_tmp_data_dir(settings, tmp_path)


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_summary_is_the_last_stdout_line(admin, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(FILE, encoding="utf-8")
    out, err = _run("contact", str(path), "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("read", "created", "updated", "skipped", "rejected")} == {
        "read": 3,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "rejected": 1,
    }
    assert summary["rejected_file"].endswith("rejected.csv")
    assert "3/3 rows" in err
    ada = Contact.objects.get(external_id="E1")
    assert (ada.street, ada.region, ada.country, ada.owner) == ("1 Main St", "IL", "US", admin)


def test_rerun_with_update_policy_updates_by_external_id(admin, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(FILE, encoding="utf-8")
    _run("contact", str(path))
    path.write_text(FILE.replace("Springfield", "Chicago"), encoding="utf-8")
    out, _ = _run("contact", str(path), "--on-duplicate", "update", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["created"], summary["updated"], summary["skipped"]) == (0, 1, 1)
    assert Contact.objects.get(external_id="E1").city == "Chicago"


def test_mapping_file_nested_or_flat_and_as_user(rep_a, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Nom;Mail;Tel\nDupont;d@example.fr;01 23 45 67 89\n", encoding="cp1252")
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {"Nom": "last_name", "Mail": "email", "Tel": "phone"},
                "options": {"default_region": "FR"},
            }
        )
    )
    _run("contact", str(path), "--mapping", str(mapping), "--as", rep_a.username)
    dupont = Contact.objects.get(last_name="Dupont")
    assert (dupont.phone, dupont.owner) == ("+33123456789", rep_a)
    mapping.write_text(json.dumps({"Nom": "last_name", "Mail": "email", "Tel": ""}))
    path.write_text("Nom;Mail;Tel\nMartin;m@example.fr;x\n", encoding="utf-8")
    _run("contact", str(path), "--mapping", str(mapping), "--as", rep_a.username)
    assert Contact.objects.get(last_name="Martin").phone == ""


def test_all_or_nothing_rejection_exits_non_zero_after_the_summary(admin, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(FILE, encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import",
            "contact",
            str(path),
            "--mode",
            "all-or-nothing",
            "--json",
            stdout=out,
            stderr=StringIO(),
        )
    assert json.loads(out.getvalue().strip().splitlines()[-1])["rejected"] == 1
    assert Contact.objects.count() == 0


def test_unknown_field_in_mapping_is_named(admin, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(FILE, encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"email": "e_mail"}))
    with pytest.raises(CommandError, match=re.escape("mapping.email: Unknown field 'e_mail'")):
        _run("contact", str(path), "--mapping", str(mapping))
