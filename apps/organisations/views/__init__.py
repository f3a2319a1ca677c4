"""Organisation pages, one module per audience: public, membership (a person's own), manage
(organisation admins) and staff. Thin views: look up through `selectors` (which ask the policy),
call a service, render."""
