"""The seeded xSDK history on the spoke's page: 1.1.0 dropped Alquimia, ExaGO and PFLOTRAN."""

from __future__ import annotations

import re

import pytest

from tests.hub.conftest import bundle_members, spack_to_product_name


@pytest.mark.django_db
def test_the_xsdk_page_shows_the_1_1_0_drop_from_the_reference(client, seeded):
    members = bundle_members("xsdk")
    names = spack_to_product_name()
    expected = {names[p] for p in members["1.0.0"] - members["1.1.0"] if p in names}
    assert expected == {"Alquimia", "ExaGO", "PFLOTRAN"}

    page = client.get("/communities/xsdk/").content.decode()
    i = page.index('id="bundles-h"')
    section = page[i : page.index("</section>", i)]
    row = section[section.index('href="/releases/xsdk-1.1.0/"') :]
    row = row[: row.index("</tr>")]
    dropped = row[row.index('class="dropped"') :]
    shown = set(re.findall(r'<a href="/products/[^"]+/">([^<]+)</a>', dropped))
    assert shown == expected
