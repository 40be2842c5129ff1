"""Mattermost, from its REST API v4 with a personal access token.

The token's user lists the teams (``GET /api/v4/teams``), their public and private channels
(``/teams/{id}/channels``, ``/teams/{id}/channels/private``: a System Admin's token sees them
all), the users (``/users``) and each channel's posts (``/channels/{id}/posts``, newest first,
paged until the window's start); the posts of the window, with their reactions
(``metadata.reactions``) and replies, become a bulk export (JSON lines), which ``ruche ingest
mattermost`` reads. A reply in the window to an older post comes with that post
(``/posts/{id}``), which the store already holds when an earlier pull loaded it. Direct messages
are not pulled (the API lists them only for their members).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from ingest.pull import Fetched, Job, bearer
from ingest.pull.http import Client, PullError
from ruche.i18n import N_, _

PER_PAGE = 200

NEEDS = N_("the token must be a personal access token of a System Admin (System Console > Integrations > Enable "
         "personal access tokens; then Profile > Security > Personal access tokens), or of a user granted "
         "post:all and the right to read every team's channels")


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


def _pages(api: Client, path: str, what: str) -> list[dict]:
    """Every item of a Mattermost list (``page``/``per_page``, until a page comes back short)."""
    items, page = [], 0
    while True:
        chunk = api.get_json(path, what, params={"page": page, "per_page": PER_PAGE})
        if not isinstance(chunk, list):
            raise PullError(_("Mattermost answered {what} with something that is not a list; nothing was published").format(
                what=what))
        items.extend(chunk)
        if len(chunk) < PER_PAGE:
            return items
        page += 1


def _posts(api: Client, channel_id: str, since_ms: int, what: str) -> list[dict]:
    """The channel's posts created at or after ``since_ms`` (the API gives them newest first)."""
    found, page = [], 0
    while True:
        answer = api.get_json(f"api/v4/channels/{channel_id}/posts", what,
                              params={"page": page, "per_page": PER_PAGE})
        order, posts = answer.get("order") or [], answer.get("posts") or {}
        batch = [posts[i] for i in order if i in posts]
        found.extend(p for p in batch if int(p.get("create_at") or 0) >= since_ms)
        if len(order) < PER_PAGE or all(int(p.get("create_at") or 0) < since_ms for p in batch):
            return found
        page += 1


def fetch(job: Job) -> Fetched | None:
    s = job.settings
    start, end = job.start_day(), job.today
    if start >= end:
        return None
    auth = bearer(s, "RUCHE_MATTERMOST_TOKEN", "mattermost_token_file", _("Mattermost personal access token"), NEEDS)
    low, high = _ms(start), _ms(end)
    with Client(str(s.mattermost_url), "Mattermost", auth, job.policy) as api:
        api.get_json("api/v4/users/me", "users/me")
        teams = _pages(api, "api/v4/teams", _("the teams"))
        users = _pages(api, "api/v4/users", _("the users"))
        names = {u["id"]: u.get("username") for u in users}
        channels = []
        for team in teams:
            for kind in ("channels", "channels/private"):
                for c in _pages(api, f"api/v4/teams/{team['id']}/{kind}", f"the {kind.replace('/', ' ')} of a team"):
                    channels.append((team, c))
        lines = [{"type": "version", "version": 1}]
        lines += [{"type": "team", "team": {"name": t["name"], "display_name": t.get("display_name") or t["name"],
                                            "type": t.get("type") or "O"}} for t in teams]
        lines += [{"type": "channel", "channel": {"team": t["name"], "name": c["name"],
                                                  "display_name": c.get("display_name") or c["name"],
                                                  "type": c.get("type") or "O"}} for t, c in channels]
        for u in users:
            user = {k: u[k] for k in ("username", "email", "first_name", "last_name", "position", "roles")
                    if u.get(k) is not None}
            if u.get("is_bot"):  # a bot account: the bulk export marks it by its role
                user["roles"] = (user.get("roles", "") + " system_bot").strip()
            if u.get("delete_at"):
                user["delete_at"] = u["delete_at"]
            lines.append({"type": "user", "user": user})
        posts = 0
        job.progress.start(_("{source}: downloading").format(source="mattermost"), max(1, len(channels)))
        try:
            for team, channel in channels:
                found = [p for p in _posts(api, channel["id"], low, _("the posts of a channel"))
                         if int(p.get("create_at") or 0) < high and not p.get("delete_at")]
                roots = {p["id"]: p for p in found if not p.get("root_id")}
                replies: dict[str, list[dict]] = {}
                for p in found:
                    if p.get("root_id"):
                        replies.setdefault(p["root_id"], []).append(p)
                for root_id in sorted(set(replies) - set(roots)):
                    roots[root_id] = api.get_json(f"api/v4/posts/{root_id}", _("a thread's first post"))
                for root in sorted(roots.values(), key=lambda p: (int(p.get("create_at") or 0), p["id"])):
                    post = _post(root, names)
                    post |= {"team": team["name"], "channel": channel["name"]}
                    post["replies"] = [_post(r, names) for r in sorted(
                        replies.get(root["id"], []), key=lambda p: (int(p.get("create_at") or 0), p["id"]))]
                    lines.append({"type": "post", "post": post})
                    posts += 1 + len(post["replies"])
                job.progress.step(channel["name"])
        finally:
            job.progress.finish()
    path = job.folder / f"mattermost-{start}-{end}.jsonl"
    partial = path.with_name(path.name + ".part")
    partial.write_text("".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines),
                       encoding="utf-8")
    partial.replace(path)
    return Fetched(files=[(path, "mattermost")], cursor=end.isoformat(), data_through=end - timedelta(days=1))


def _post(p: dict, names: dict[str, str]) -> dict:
    """A post of the API as a bulk export writes it: its author's and reactors' usernames."""
    out = {"user": names.get(p.get("user_id"), p.get("user_id")), "message": p.get("message", ""),
           "create_at": int(p.get("create_at") or 0)}
    if p.get("type"):
        out["type"] = p["type"]
    reactions = (p.get("metadata") or {}).get("reactions") or []
    out["reactions"] = [{"user": names.get(r.get("user_id"), r.get("user_id")), "emoji_name": r.get("emoji_name"),
                         "create_at": int(r.get("create_at") or 0)} for r in reactions] or None
    if p.get("file_ids"):
        out["attachments"] = [{"path": f} for f in p["file_ids"]]
    return out
