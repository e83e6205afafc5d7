"""Folder URLs: the distribution's viewer-request CloudFront Function, run with node from
template.yaml, against a table of URIs and against the rule the local site server applies."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from pressroom_dev.serve import viewer_request_uri
from pressroom_dev.stack import load_template
from support.paths import ROOT

NODE = shutil.which("node") or "/usr/bin/node"

# A request as the viewer sends it → the URI the function hands on to the cache and origin.
FOLDER_URLS = [
    ("/", "/index.html"),
    ("/a/", "/a/index.html"),
    ("/a/b/", "/a/b/index.html"),
    ("/a.html", "/a.html"),
    ("/a", "/a"),
    ("/%E4%B8%AD/", "/%E4%B8%AD/index.html"),
    ("/a/?x", "/a/index.html"),
    ("/index.html", "/index.html"),
    ("/category/xiamenribao.html?page=2", "/category/xiamenribao.html"),
]

# Runs the function's code as CloudFront does: one viewer-request event per URI (CloudFront
# gives the function the URI without the query string, and the query string apart).
RUNNER = """
const code = require("fs").readFileSync(process.argv[1], "utf8");
const handler = new Function(code + "\\nreturn handler;")();
const requests = JSON.parse(require("fs").readFileSync(0, "utf8"));
Promise.all(
  requests.map(([uri, querystring]) =>
    Promise.resolve(
      handler({
        version: "1.0",
        context: { eventType: "viewer-request", distributionId: "EDFDVBD6EXAMPLE" },
        viewer: { ip: "198.51.100.11" },
        request: { method: "GET", uri, querystring, headers: {}, cookies: {} },
      })
    ).then((request) => request.uri)
  )
).then((uris) => console.log(JSON.stringify(uris)));
"""


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def viewer_request_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The logical id and properties of the function the distribution runs on viewer
    requests."""
    resources = template["Resources"]
    config = resources["SiteDistribution"]["Properties"]["DistributionConfig"]
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    logical_id, attribute = association["FunctionARN"]["Fn::GetAtt"]
    assert attribute == "FunctionARN"
    return logical_id, resources[logical_id]


def run_function(code: str, uris: list[str], tmp_path: Any) -> list[str]:
    """The URI the function returns for each request (path and query string)."""
    if not shutil.which(NODE):
        pytest.fail(f"{NODE} not found: `make e2e-deps` installs nodejs")
    source = tmp_path / "viewer-request.js"
    source.write_text(code, encoding="utf-8")
    requests = []
    for uri in uris:
        path, _, query = uri.partition("?")
        requests.append([path, {name: {"value": ""} for name in query.split("&") if name}])
    result = subprocess.run(
        [NODE, "-e", RUNNER, str(source)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    uris_out: list[str] = json.loads(result.stdout)
    return uris_out


def test_the_viewer_request_function_is_a_published_cloudfront_js_2_function(
    template: dict[str, Any],
) -> None:
    """Given template.yaml, then the distribution's default cache behavior runs one CloudFront
    Function on viewer requests, published with the stack, on cloudfront-js-2.0, its code
    inline; DefaultRootObject stays as a fallback for "/"."""
    _, function = viewer_request_function(template)
    props = function["Properties"]
    assert function["Type"] == "AWS::CloudFront::Function"
    assert props["AutoPublish"] is True
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert "function handler(event)" in props["FunctionCode"]
    config = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"


def test_folder_urls_ask_for_their_index_html_in_the_function_and_the_local_server(
    template: dict[str, Any], tmp_path: Any
) -> None:
    """Given the template's function code run by node and the local site server's rule,
    when each request of the table comes, then both hand on the URI the table says: a URI
    ending in "/" gets index.html, anything else is left alone, the query string is not
    part of it."""
    _, function = viewer_request_function(template)
    requests = [uri for uri, _ in FOLDER_URLS]
    expected = [uri for _, uri in FOLDER_URLS]
    from_node = run_function(function["Properties"]["FunctionCode"], requests, tmp_path)
    local = [viewer_request_uri(uri.partition("?")[0]) for uri in requests]
    assert from_node == expected
    assert local == expected


def test_the_function_and_the_local_rule_agree_beyond_the_table(
    template: dict[str, Any], tmp_path: Any
) -> None:
    """Given odd URIs (double slashes, dots, encoded slashes, a bare index.html folder), then
    the function and the local server's rule still give the same URI for each."""
    _, function = viewer_request_function(template)
    uris = ["//", "/a//", "/./", "/a%2F/", "/a/index.html/", "/%20/", "/a.b/", "/A/"]
    from_node = run_function(function["Properties"]["FunctionCode"], uris, tmp_path)
    assert from_node == [viewer_request_uri(uri) for uri in uris]
