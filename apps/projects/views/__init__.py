"""Project pages. Thin views: parse, look up through the access policy, call a service."""
