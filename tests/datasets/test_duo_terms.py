from apps.datasets.models import DuoTerm


def test_the_data_migration_loads_the_23_current_duo_terms(db):
    assert DuoTerm.objects.count() == 23
    assert set(DuoTerm.objects.filter(kind="permission").values_list("shorthand", flat=True)) == {
        "NRES",
        "GRU",
        "HMB",
        "DS",
        "POA",
    }
    ds = DuoTerm.objects.get(shorthand="DS")
    assert (ds.id, ds.parent_id_code, ds.requires_value) == (
        "DUO:0000007",
        "DUO:0000006",
        "disease",
    )
    assert DuoTerm.objects.get(shorthand="TS").requires_value == "months"
