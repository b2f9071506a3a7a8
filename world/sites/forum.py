"""A phpBB-like forum: login with a CSRF token, expiring sessions, boards, topics, attachments.

Everything but the login page needs a session. A session dies after `session_requests`
requests (content.json) so that a crawler must notice the redirect to the login page, log in
again and carry on, as on a real forum whose sessions time out in the middle of a crawl.
"""

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from .web import Request, Response, Site, error, esc, human, int_param, iso, page, redirect

PER_PAGE = 10
LOGIN_PATH = "/ucp.php?mode=login"
TOKEN_LIFETIME = 3600     # phpBB refuses a form older than its form-token lifetime too


class ForumSite(Site):
    name = "forum"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(content, content_dir)
        forum = content["forum"]
        self.username, self.password = forum["username"], forum["password"]
        self.session_requests = int(forum.get("session_requests", 25))
        self.boards = {b["id"]: b for b in forum["boards"]}
        self.topics = {t["id"]: t for t in forum["topics"]}
        self.posts = {p["id"]: p for p in forum["posts"]}
        self.attachments = {a["id"]: a for a in forum["attachments"]}
        self.secret = os.urandom(16)     # signs form tokens; per process, like phpBB's per-board salt
        self.sessions = {}               # sid -> requests left

    # -- content ------------------------------------------------------------------------------------------

    def hidden(self) -> list:
        return sorted((p for p in self.posts.values() if p["hidden"]), key=lambda p: p["id"])

    def visible_count(self) -> int:
        return sum(not p["hidden"] for p in self.posts.values())

    def topic_posts(self, tid: int) -> list:
        return sorted((p for p in self.posts.values() if p["topic"] == tid and not p["hidden"]),
                      key=lambda p: p["id"])

    # -- sessions -----------------------------------------------------------------------------------------

    def token(self, creation_time: str) -> str:
        return hmac.new(self.secret, f"login:{creation_time}".encode(), hashlib.sha1).hexdigest()

    def use_session(self, request: Request) -> bool:
        """True if the request carries a live session; counts the request against it."""
        sid = request.cookies.get("sid", "")
        with self.lock:
            left = self.sessions.get(sid, 0)
            if left <= 0:
                self.sessions.pop(sid, None)
                return False
            self.sessions[sid] = left - 1
            return True

    def route(self, request: Request) -> Response:
        if request.path == "/ucp.php" and request.query.get("mode") == "login":
            return self.login(request) if request.method == "POST" else self.login_form()
        if not self.use_session(request):
            return redirect(LOGIN_PATH)
        handler = {"/": self.index, "/index.php": self.index, "/viewforum.php": self.viewforum,
                   "/viewtopic.php": self.viewtopic, "/download/file.php": self.download}.get(request.path)
        return handler(request) if handler else error(404, "The requested page does not exist.")

    def login_form(self, message: str = "", status: int = 200) -> Response:
        now = str(int(time.time()))
        note = f'<p class="error">{esc(message)}</p>\n' if message else ""
        body = (f"<h2>Login</h2>\n{note}"
                f'<form id="login" method="post" action="{esc(LOGIN_PATH)}">\n'
                '<label>Username: <input type="text" name="username" id="username"></label>\n'
                '<label>Password: <input type="password" name="password" id="password"></label>\n'
                f'<input type="hidden" name="creation_time" value="{now}">\n'
                f'<input type="hidden" name="form_token" value="{self.token(now)}">\n'
                '<input type="submit" name="login" value="Login">\n</form>')
        return page("Login", body, status)

    def login(self, request: Request) -> Response:
        form = request.form()
        created = form.get("creation_time", "")
        fresh = created.isascii() and created.isdigit() and 0 <= time.time() - int(created) <= TOKEN_LIFETIME
        if not (fresh and hmac.compare_digest(form.get("form_token", ""), self.token(created))):
            return self.login_form("The submitted form was invalid. Try submitting again.", 403)
        if not (hmac.compare_digest(form.get("username", ""), self.username)
                and hmac.compare_digest(form.get("password", ""), self.password)):
            return self.login_form("You have specified an incorrect username or password.", 403)
        sid = secrets.token_hex(16)
        with self.lock:
            self.sessions[sid] = self.session_requests
        response = redirect("/index.php")
        response.headers.append(("Set-Cookie", f"sid={sid}; Path=/; HttpOnly"))
        return response

    # -- pages --------------------------------------------------------------------------------------------

    def index(self, request: Request) -> Response:
        rows = [f'<li class="row"><a class="forumtitle" href="/viewforum.php?f={b["id"]}">{esc(b["name"])}</a>'
                f' <span class="forumdesc">{esc(b["description"])}</span></li>' for b in self.boards.values()]
        return page("Board index", '<h2>Board index</h2>\n<ul class="forums">\n' + "\n".join(rows) + "\n</ul>")

    def viewforum(self, request: Request) -> Response:
        board = self.boards.get(int_param(request.query, "f", 0))
        start = int_param(request.query, "start", 0)
        if board is None:
            return error(404, "The requested forum does not exist.")
        topics = []
        for t in self.topics.values():
            posts = self.topic_posts(t["id"]) if t["board"] == board["id"] else []
            if posts:     # a topic whose first post is still hidden does not exist yet
                topics.append((posts[-1], len(posts), t))
        topics.sort(key=lambda x: -x[0]["id"])      # most recent activity first, as phpBB lists them
        if start is None or start < 0 or (start >= len(topics) and start > 0):
            return error(404, "No topics at this offset.")
        rows = [f'<li class="row"><a class="topictitle" href="/viewtopic.php?t={t["id"]}">{esc(t["title"])}</a>'
                f' by <span class="username">{esc(t["author"])}</span> <span class="posts">{n}</span>'
                f' <span class="lastpost" data-post-id="{last["id"]}">'
                f'<time datetime="{iso(last["date"])}">{human(last["date"])}</time></span></li>'
                for last, n, t in topics[start:start + PER_PAGE]]
        nav = (f'<a rel="next" href="/viewforum.php?f={board["id"]}&amp;start={start + PER_PAGE}">Next</a>'
               if start + PER_PAGE < len(topics) else "")
        body = (f'<h2 class="forum-title">{esc(board["name"])}</h2>\n<ul class="topiclist topics">\n'
                + "\n".join(rows) + f'\n</ul>\n<div class="pagination">{nav}</div>')
        return page(board["name"], body)

    def viewtopic(self, request: Request) -> Response:
        topic = self.topics.get(int_param(request.query, "t", 0))
        posts = self.topic_posts(topic["id"]) if topic else []
        start = int_param(request.query, "start", 0)
        if not posts:
            return error(404, "The requested topic does not exist.")
        if start is None or start < 0 or start >= len(posts):
            return error(404, "No posts at this offset.")
        nav = (f'<a rel="next" href="/viewtopic.php?t={topic["id"]}&amp;start={start + PER_PAGE}">Next</a>'
               if start + PER_PAGE < len(posts) else "")
        body = (f'<h2 class="topic-title">{esc(topic["title"])}</h2>\n'
                + "\n".join(self.render_post(p) for p in posts[start:start + PER_PAGE])
                + f'\n<div class="pagination">{nav}</div>')
        return page(topic["title"], body)

    def render_post(self, post: dict) -> str:
        parts = []
        for block in post["blocks"]:
            if block["kind"] == "code":
                parts.append(f'<div class="codebox"><p>Code:</p><code>{esc(block["text"])}</code></div>')
            elif block["kind"] == "pre":
                parts.append(f'<pre>{esc(block["text"])}</pre>')
            else:
                parts.append(f'<p>{esc(block["text"])}</p>')
        files = "".join(f'<dd><a class="postlink" href="/download/file.php?id={a}">'
                        f'{esc(self.attachments[a]["name"])}</a></dd>' for a in post["attachments"])
        box = f'<dl class="attachbox"><dt>Attachments</dt>{files}</dl>' if files else ""
        return (f'<div class="post" id="p{post["id"]}"><span class="author">{esc(post["author"])}</span>'
                f'<time datetime="{iso(post["date"])}">{human(post["date"])}</time>\n'
                f'<div class="content">{"".join(parts)}</div>{box}</div>')

    def download(self, request: Request) -> Response:
        att = self.attachments.get(int_param(request.query, "id", 0))
        if att is None or self.posts[att["post"]]["hidden"]:
            return error(404, "The requested attachment does not exist.")
        data = (Path(self.content_dir) / att["file"]).read_bytes()
        # The name comes from the poster: keep it out of the header's syntax.
        name = "".join(c for c in att["name"] if c.isascii() and c.isprintable() and c not in '"\\;')
        return Response(200, data, "application/octet-stream",
                        [("Content-Disposition", f'attachment; filename="{name}"')])
