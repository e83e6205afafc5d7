"""Helpers shared by the test tiers; tests import them as `from support.<module> import …`.

conftest.py files hold fixtures only (each builds its object from here and yields it), and no
test imports from a conftest or from another test module; tests/unit/test_test_layout.py keeps
it that way. Expectations are stated here or in the tests, not imported from the product
(pressroom, pressroom_dev).

* paths.py      ROOT, TEMPLATES, EVENTS, EXAMPLE_POSTS, GOLDEN, FIXTURE_POSTS, TEST_OUTPUT,
                CORPUS (the news site's real posts, when present)
* aws.py        the local AWS as the tests expect it: REGION, ACCOUNT_ID, CREDENTIALS (for boto3
                clients of serve's endpoint) and LOCAL_ENVIRONMENT (handlers on moto)
* events.py     load_event (a sample of events/), sqs_event (an SQS batch of received messages)
* posts.py      post_text and PostFactory (one post's text), START_POSTS and the names, titles
                and tag of the posts the e2e server starts with
* harness.py    Harness: the integration tier's local stack on moto, driven through the handlers
* processes.py  free_ports, local_environment, log_tail, stop_process_group (subprocesses of the
                e2e and soak tiers)
* serve.py      Pressroom: a running `pressroom serve` (start, wait_ready, stop), the e2e output
                folders (OUTPUT, SERVE_LOG, output_folder)
* browser.py    CHROMIUM, CHROMIUM_ARGS, CONTEXT: how Playwright launches the system's Chromium
* golden.py     check_golden: rendered HTML against tests/golden/<name>

The hostile corpus and its checks stay in tests/hostile (corpus.py), next to its files.
"""
