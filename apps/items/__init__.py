"""One implementation of what the shared kinds (`apps.core.kinds`) have in common: items under
an access tier, and numbered versions with an approval life cycle. The models' common fields
are in `apps.core.shared_items`; here are the layers above them (services, selectors, forms,
views, admin), each imported by the kinds' own modules of the same layer. A kind's app keeps
only its own rules (a dataset's DUO policy, steward and committee; a protocol's comparison of
versions; an analysis's cited inputs)."""
