#!/usr/bin/env python3
"""A partner system's view of a work item and its linked items, across departments, with an API key.

    SWITCHBOARD_API_KEY=sbk_... .venv/bin/python client-examples/partner_linked_items.py --ref T-1007
    .venv/bin/python client-examples/partner_linked_items.py --url http://127.0.0.1:8000 \
        --key sbk_... --ref T-1007

Prints the item, then one line per linked item. A linked item in a department the key is not scoped
to is shown as its header only (reference, type, status, team, title) and marked "header only"
(SPEC §3). An admin issues keys with the `createApiKey` mutation. Needs only the Python standard
library.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

QUERY = """query($ref: String!) {
  workItem(ref: $ref) {
    ref title status
    linkedItems { ref type status title team { name } restricted }
  }
}"""


def fetch(url: str, key: str, ref: str) -> dict:
    request = urllib.request.Request(
        url.rstrip("/") + "/graphql",
        data=json.dumps({"query": QUERY, "variables": {"ref": ref}}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:  # GraphQL errors may come with a 4xx status and a body
        status, raw = exc.code, exc.read()
    try:
        body = json.loads(raw)
    except ValueError:
        raise SystemExit(f"unexpected answer from the server: HTTP {status}") from None
    if body.get("errors"):
        error = body["errors"][0]
        raise SystemExit(f"error {error.get('extensions', {}).get('code')}: {error['message']}")
    return body["data"]["workItem"]


def show(item: dict) -> None:
    print(f"{item['ref']}  {item['status']}  {item['title'] or '(no title)'}")
    linked = item["linkedItems"]
    print(f"linked items: {len(linked)}")
    for other in linked:
        team = (other.get("team") or {}).get("name") or "-"
        note = "  (other department: header only)" if other["restricted"] else ""
        print(f"  {other['ref']}  {other['type']}  {other['status']}  {team}  {other['title'] or '(no title)'}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", default=os.environ.get("SWITCHBOARD_API_KEY"), help="API key (default: $SWITCHBOARD_API_KEY)")
    parser.add_argument("--ref", required=True, help="work item reference, e.g. T-1007")
    args = parser.parse_args()
    if not args.key:
        parser.error("an API key is needed: --key or SWITCHBOARD_API_KEY")
    try:
        show(fetch(args.url, args.key, args.ref))
    except OSError as exc:  # refused, unreachable, timed out
        sys.exit(f"cannot reach {args.url}: {exc}")


if __name__ == "__main__":
    main()
