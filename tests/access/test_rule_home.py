"""Every access rule lives in the policy package: whoever reads apps/access/policy/ reads all of
who may do what."""

from apps.access.policy import registered, rule_for


def test_every_registered_rule_is_defined_in_the_policy_package():
    homes = {
        f"{model.__name__}.{action}": rule_for(model, action).__module__
        for model, action in registered()
    }
    assert homes, "the policy registered no rule at all"
    elsewhere = {
        key: home for key, home in homes.items() if not home.startswith("apps.access.policy.")
    }
    assert elsewhere == {}


def test_the_rules_that_moved_in_are_registered():
    """Organisations, project parts and disease areas were once registered by their own apps."""
    names = {f"{model.__name__}.{action}" for model, action in registered()}
    assert {
        "Organisation.view",
        "Organisation.manage",
        "Partner.view",
        "Membership.view",
        "WorkPackage.view",
        "Biomarker.view",
        "DiseaseArea.view",
    } <= names
