from tests.access.conftest import (  # noqa: F401  (the access world, reused)
    asthma,
    committee,
    conflicted_member,
    controlled_dataset,
    dac_member,
    duo_terms,
    nhs_org,
    request_data,
    respiratory,
)
